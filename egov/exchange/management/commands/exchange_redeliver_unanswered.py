"""Carry again the packages a status wrongly marked delivered before their own answer (#14)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Gửi lại các gói tin đã bị đánh dấu 'đã chuyển đến' mà chưa có trả lời của chính gói "
        "tin đó (lỗi trước bản sửa #14: một trạng thái của gói khác đã đánh dấu thay). Chạy một "
        "lần sau khi nâng cấp; --dry-run chỉ liệt kê."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Chỉ liệt kê, không gửi.")

    def handle(self, *args: Any, **options: Any) -> None:
        from egov.core.actors import SYSTEM
        from egov.exchange.sending import redeliver_unanswered

        packages = redeliver_unanswered(actor=SYSTEM, dry_run=options["dry_run"])
        verb = "Sẽ gửi lại" if options["dry_run"] else "Đã xếp hàng gửi lại"
        for package in packages:
            self.stdout.write(
                f"{verb}: {package.document_id} → {package.recipient_organ_id} "
                f"(nghiệp vụ {package.business_doc_type})"
            )
        self.stdout.write(f"{len(packages)} gói tin.")
