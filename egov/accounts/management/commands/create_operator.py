"""Create the first operator account of an installation (who then manages everything else in
the administration). The operator sets up TOTP at the first login with the enrolment code this
command prints: like every other account, not with the password alone (the password may have
come through an environment variable or a shell history; the code is shown only here, on the
server console)."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from egov.accounts.models import User
from egov.accounts.services import create_official, issue_enrolment_code
from egov.core.actors import SYSTEM
from egov.core.errors import DomainError
from egov.org.models import AdministrativeUnit, Agency, Role
from egov.org.services import create_agency

PASSWORD_ENV = "EGOV_OPERATOR_PASSWORD"


class Command(BaseCommand):
    help = (
        "Tạo tài khoản quản trị hệ thống. Mật khẩu nhập từ bàn phím, hoặc lấy từ biến môi "
        f"trường {PASSWORD_ENV}. Nếu cơ quan chưa có, dùng --agency-name để tạo."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--full-name", required=True, help="Họ và tên.")
        parser.add_argument(
            "--agency", default="000.00.00.H41", help="Mã định danh cơ quan (QCVN 102)."
        )
        parser.add_argument(
            "--agency-name",
            help="Tên cơ quan, khi cần tạo mới (ví dụ: Ủy ban nhân dân tỉnh Quảng Ninh).",
        )
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"Tài khoản {username} đã tồn tại.")
        password = os.environ.get(PASSWORD_ENV) or self._ask_password()
        try:
            validate_password(password, User(username=username, full_name=options["full_name"]))
        except ValidationError as exc:
            raise CommandError("Mật khẩu chưa đủ mạnh: " + " ".join(exc.messages)) from exc
        try:
            with transaction.atomic():
                agency = self._agency(options["agency"], options.get("agency_name"))
                official = create_official(
                    actor=SYSTEM,
                    username=username,
                    full_name=options["full_name"],
                    password=password,
                    agency=agency,
                    roles=[Role.OPERATOR],
                    email=options["email"],
                )
                issued = issue_enrolment_code(actor=SYSTEM, user=official.user)
        except DomainError as exc:
            detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {detail}".strip()) from exc
        self.stdout.write(
            f"Đã tạo tài khoản quản trị {username} ({agency.name}). Khi đăng nhập lần đầu, "
            "hãy cài đặt xác thực hai lớp (TOTP) với mã kích hoạt dưới đây (chỉ hiện một lần, "
            f"hết hạn {issued.expires_at:%Y-%m-%d %H:%M} UTC); trang quản trị ở /quan-tri/.\n"
            f"Mã kích hoạt: {issued.code}"
        )

    def _ask_password(self) -> str:
        first = getpass.getpass("Mật khẩu: ")
        if first != getpass.getpass("Nhập lại mật khẩu: "):
            raise CommandError("Hai mật khẩu không khớp.")
        return first

    def _agency(self, identifier: str, name: str | None) -> Agency:
        agency = Agency.objects.filter(identifier=identifier.strip().upper()).first()
        if agency is not None:
            return agency
        if not name:
            raise CommandError(
                f"Chưa có cơ quan {identifier}: thêm --agency-name để tạo cơ quan này."
            )
        province = AdministrativeUnit.objects.filter(
            scheme=AdministrativeUnit.Scheme.TWO_TIER_2025,
            level=AdministrativeUnit.Level.PROVINCE,
            code=f"{settings.PROVINCE_CODE:02d}",
        ).first()
        return create_agency(
            actor=SYSTEM,
            identifier=identifier,
            name=name,
            abbreviation="UBND",
            kind=Agency.Kind.PEOPLES_COMMITTEE,
            admin_unit=province,
        )
