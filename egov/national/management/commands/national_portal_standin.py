"""`python manage.py national_portal_standin --port 8028`: the national public service portal's
sync stand-in (egov/national/standin.py) in the foreground, for the demo and by hand."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Chạy Cổng Dịch vụ công quốc gia mô phỏng (đồng bộ hồ sơ) trên 127.0.0.1: kiểm tra từng "
        "trường, lưu hồ sơ và bước xử lý, trả lời {error_code, message}. Chỉ dùng cho phát "
        "triển, kiểm thử và trình diễn."
    )

    requires_system_checks: list[str] = []  # a stand-in: start at once

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8028)
        parser.add_argument(
            "--token",
            default=None,
            help="Mã truy cập phải có (mặc định: biến môi trường NATIONAL_PORTAL_TOKEN).",
        )
        parser.add_argument("--fail-rate", type=float, default=0.0)
        parser.add_argument("--timeout-rate", type=float, default=0.0)
        parser.add_argument("--timeout-delay", type=float, default=30.0)
        parser.add_argument("--slow", type=float, default=0.0)

    def handle(self, *args: Any, **options: Any) -> None:
        from egov.national.standin import NationalPortalStandIn

        token = options["token"]
        if token is None:
            token = os.environ.get("NATIONAL_PORTAL_TOKEN", "")
        server = NationalPortalStandIn(
            port=options["port"],
            token=token,
            fail_rate=options["fail_rate"],
            timeout_rate=options["timeout_rate"],
            timeout_delay=options["timeout_delay"],
            slow=options["slow"],
            verbose=True,
        )
        self.stdout.write(f"Cổng Dịch vụ công quốc gia mô phỏng: {server.url}; Ctrl+C để dừng.")
        self.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
