"""Issue a second-factor enrolment code from the server console: for an operator (or a superuser
made with createsuperuser) when no other operator can issue one, e.g. the only operator lost
their authenticator (--reset removes it first)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.accounts.models import User
from egov.accounts.services import issue_enrolment_code, reset_second_factor
from egov.core.actors import SYSTEM
from egov.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Cấp mã kích hoạt xác thực hai lớp cho một tài khoản công chức, quản trị (mã chỉ hiện "
        "một lần). --reset: gỡ thiết bị xác thực cũ trước."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reset", action="store_true", help="Gỡ thiết bị xác thực cũ.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username__iexact=options["username"].strip()).first()
        if user is None:
            raise CommandError(f"Không có tài khoản {options['username']}.")
        issue = reset_second_factor if options["reset"] else issue_enrolment_code
        try:
            issued = issue(actor=SYSTEM, user=user)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Mã kích hoạt của {user.username}: {issued.code} "
            f"(hết hạn {issued.expires_at:%Y-%m-%d %H:%M} UTC)"
        )
