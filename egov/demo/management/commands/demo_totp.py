"""Print the current TOTP code of the demo secret, so a person trying the demo can log in."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.demo.data import DEMO_TOTP_SECRET


def current_demo_code(at: float | None = None) -> tuple[str, int]:
    """(6-digit code, seconds it stays valid) for the demo secret."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    now = time.time() if at is None else at
    period = app_settings.TOTP_PERIOD
    code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(now) // period))
    return code, period - int(now) % period


class Command(BaseCommand):
    help = (
        "In mã TOTP hiện tại của khóa minh họa (chỉ khi DEBUG hoặc có --force). Với tên tài "
        "khoản, chỉ in khi tài khoản đó dùng khóa minh họa."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?", help="Tài khoản công chức minh họa.")
        parser.add_argument(
            "--force", action="store_true", help="Chạy cả khi DEBUG tắt (chỉ cho bản demo)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEBUG or options["force"]):
            raise CommandError("Lệnh này chỉ dùng cho bản minh họa: bật DEBUG hoặc thêm --force.")
        username = options.get("username")
        if username:
            self._check_user_uses_demo_secret(username)
        code, remaining = current_demo_code()
        self.stdout.write(code)
        self.stderr.write(f"(còn hiệu lực {remaining} giây)")

    def _check_user_uses_demo_secret(self, username: str) -> None:
        from allauth.mfa.models import Authenticator
        from allauth.mfa.utils import decrypt

        authenticator = Authenticator.objects.filter(
            user__username=username, type=Authenticator.Type.TOTP
        ).first()
        if authenticator is None:
            raise CommandError(f"Tài khoản {username} chưa có xác thực hai lớp (TOTP).")
        if decrypt(authenticator.data["secret"]) != DEMO_TOTP_SECRET:
            raise CommandError(
                f"Tài khoản {username} không dùng khóa minh họa; lệnh này không in mã của nó."
            )
