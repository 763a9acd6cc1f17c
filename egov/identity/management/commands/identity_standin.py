"""`python manage.py identity_standin`: the national electronic identity's (VNeID) local stand-in
(egov/identity/standin.py), an OpenID Connect provider, in the foreground for the demo and by
hand."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Chạy hệ thống định danh điện tử VNeID mô phỏng (nhà cung cấp OpenID Connect) trên "
        "127.0.0.1 với vài công dân mẫu. Chỉ dùng cho phát triển, kiểm thử và trình diễn."
    )

    requires_system_checks: list[str] = []  # a stand-in: start at once

    def add_arguments(self, parser: CommandParser) -> None:
        from egov.identity.standin import MODES

        parser.add_argument("--port", type=int, default=8029)
        parser.add_argument(
            "--client-id", default=None, help="Mã ứng dụng (mặc định: VNEID_CLIENT_ID)."
        )
        parser.add_argument(
            "--client-secret",
            default=None,
            help="Khóa bí mật của ứng dụng (mặc định: biến môi trường VNEID_CLIENT_SECRET).",
        )
        parser.add_argument("--mode", choices=MODES, default="normal")
        parser.add_argument(
            "--key-file",
            default=None,
            help="Tệp khóa ký RSA (mặc định var/identity_standin_key.json; tạo nếu chưa có).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from egov.identity.standin import IdentityStandIn

        client_id = options["client_id"] or settings.VNEID_CLIENT_ID
        secret = options["client_secret"] or settings.VNEID_CLIENT_SECRET
        if not client_id or not secret:
            raise CommandError(
                "Cần mã ứng dụng và khóa bí mật: --client-id/--client-secret hoặc các biến môi "
                "trường VNEID_CLIENT_ID, VNEID_CLIENT_SECRET."
            )
        key_file = Path(options["key_file"] or Path(settings.VAR_DIR) / "identity_standin_key.json")
        server = IdentityStandIn(
            client_id=client_id,
            client_secret=secret,
            port=options["port"],
            mode=options["mode"],
            key_path=key_file,
            verbose=True,
        )
        self.stdout.write(
            f"VNeID mô phỏng: {server.discovery_url} (client_id {client_id}, chế độ "
            f"{options['mode']}); Ctrl+C để dừng."
        )
        self.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
