"""`python manage.py webhook_receiver_standin --port 8030 --secret whsec_...`: a local webhook
receiver (egov/webhooks/standin.py) in the foreground: it verifies each delivery with the
`standardwebhooks` package and prints it. For the demo and by hand."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Chạy bên nhận sự kiện mô phỏng trên 127.0.0.1: kiểm tra chữ ký Standard Webhooks của "
        "từng lần gửi và in ra. Chỉ dùng cho phát triển, kiểm thử và trình diễn."
    )

    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        from egov.webhooks.standin import MODES

        parser.add_argument("--port", type=int, default=8030)
        parser.add_argument(
            "--secret",
            action="append",
            default=None,
            help="Khóa ký whsec_... (lặp lại khi đang đổi khóa; mặc định: biến môi trường "
            "WEBHOOK_STANDIN_SECRET).",
        )
        parser.add_argument("--mode", choices=MODES, default="ok")
        parser.add_argument("--fail-first", type=int, default=0)
        parser.add_argument("--delay", type=float, default=30.0, help="Số giây chờ (timeout).")

    def handle(self, *args: Any, **options: Any) -> None:
        from egov.webhooks.standin import ReceiverStandIn

        secrets = options["secret"] or [
            s for s in os.environ.get("WEBHOOK_STANDIN_SECRET", "").split(",") if s
        ]
        if not secrets:
            raise CommandError("Cần khóa ký: --secret whsec_... hoặc WEBHOOK_STANDIN_SECRET.")
        server = ReceiverStandIn(
            secrets,
            port=options["port"],
            mode=options["mode"],
            fail_first=options["fail_first"],
            delay=options["delay"],
            verbose=True,
        )
        self.stdout.write(f"Bên nhận sự kiện mô phỏng: {server.url}/ (chế độ {options['mode']})")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
