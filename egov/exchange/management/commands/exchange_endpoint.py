"""Declare an agency on another platform (an external exchange endpoint)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.core.actors import SYSTEM
from egov.core.errors import DomainError
from egov.exchange.edxml import Dialect


class Command(BaseCommand):
    help = (
        "Khai báo (hoặc sửa) điểm liên thông của một cơ quan ở nền tảng khác: mã định danh, tên, "
        "địa chỉ API liên thông, mã truy cập gửi đi và mã truy cập nhận vào."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organ_id", help="Mã định danh cơ quan, ví dụ 000.00.00.H26")
        parser.add_argument("--name", required=True, help="Tên cơ quan (như trên chứng thư số).")
        parser.add_argument("--url", required=True, help="https://.../api/v1/exchange/")
        parser.add_argument("--token", default=None, help="Mã truy cập bên kia cấp cho ta.")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--inbound-token", default=None, help="Mã bên kia dùng khi gửi đến.")
        group.add_argument(
            "--new-inbound-token",
            action="store_true",
            help="Sinh mã truy cập nhận vào mới và in ra (một lần).",
        )
        parser.add_argument("--timeout", type=int, default=None, help="Thời gian chờ (giây).")
        parser.add_argument("--inactive", action="store_true", help="Tạm ngừng điểm này.")
        parser.add_argument(
            "--dialect",
            choices=[d.value for d in Dialect],
            default=None,
            help="Dạng gói tin phần mềm bên kia đọc được (mặc định EXCHANGE_DEFAULT_DIALECT).",
        )
        zipping = parser.add_mutually_exclusive_group()
        zipping.add_argument(
            "--no-zip", action="store_true", help="Gửi tệp đính kèm không nén zip."
        )
        zipping.add_argument("--zip", action="store_true", help="Nén zip tệp đính kèm.")

    def handle(self, *args: Any, **options: Any) -> None:
        from egov.exchange import endpoints

        inbound = options["inbound_token"]
        if options["new_inbound_token"]:
            inbound = endpoints.new_peer_token()
        try:
            endpoint = endpoints.save_endpoint(
                actor=SYSTEM,
                organ_id=options["organ_id"],
                organ_name=options["name"],
                url=options["url"],
                auth_token=options["token"],
                inbound_token=inbound,
                timeout_seconds=options["timeout"],
                is_active=not options["inactive"],
                dialect=options["dialect"],
                zip_attachments=False if options["no_zip"] else (True if options["zip"] else None),
            )
        except DomainError as exc:
            details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip()) from exc
        self.stdout.write(f"Đã lưu điểm liên thông {endpoint}.")
        if options["new_inbound_token"]:
            self.stdout.write(f"Mã truy cập nhận vào (gửi cho nền tảng bên kia): {inbound}")
