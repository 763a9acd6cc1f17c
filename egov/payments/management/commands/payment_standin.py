"""`python manage.py payment_standin`: the national payment platform's local stand-in
(egov/payments/standin.py) in the foreground, for the demo and by hand."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Chạy Nền tảng thanh toán trực tuyến mô phỏng trên 127.0.0.1: nhận INIT và QUERY, hiển "
        "thị trang thanh toán, gọi lại địa chỉ thông báo của cổng dịch vụ công. Chỉ dùng cho phát "
        "triển, kiểm thử và trình diễn."
    )

    requires_system_checks: list[str] = []  # a stand-in: start at once

    def add_arguments(self, parser: CommandParser) -> None:
        from egov.payments.standin import MODES

        parser.add_argument("--port", type=int, default=8027)
        parser.add_argument(
            "--secret",
            default=None,
            help="Khóa bí mật của đối tác (mặc định: biến môi trường PAYMENT_PARTNER_SECRET).",
        )
        parser.add_argument(
            "--partner",
            default=None,
            help="Mã đối tác MaDoiTac (mặc định: PAYMENT_PARTNER_CODE).",
        )
        parser.add_argument("--mode", choices=MODES, default="success")
        parser.add_argument(
            "--delay", type=float, default=5.0, help="Số giây chờ (late, init-timeout)."
        )
        parser.add_argument(
            "--retries", type=int, default=3, help="Số lần gửi lại thông báo chưa được nhận."
        )
        parser.add_argument("--retry-delay", type=float, default=10.0)

    def handle(self, *args: Any, **options: Any) -> None:
        from egov.payments.standin import PaymentPlatformStandIn

        secret = options["secret"] or os.environ.get("PAYMENT_PARTNER_SECRET", "")
        partner = options["partner"] or str(getattr(settings, "PAYMENT_PARTNER_CODE", ""))
        if not secret or not partner:
            raise CommandError(
                "Cần khóa bí mật và mã đối tác: --secret/--partner hoặc các biến môi trường "
                "PAYMENT_PARTNER_SECRET, PAYMENT_PARTNER_CODE."
            )
        server = PaymentPlatformStandIn(
            secret=secret,
            partner=partner,
            port=options["port"],
            mode=options["mode"],
            delay=options["delay"],
            retries=options["retries"],
            retry_delay=options["retry_delay"],
            verbose=True,
        )
        self.stdout.write(
            f"Nền tảng thanh toán mô phỏng: {server.url} (MaDoiTac {partner}, chế độ "
            f"{options['mode']}); Ctrl+C để dừng."
        )
        self.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
