"""Import a procedure catalogue file (JSON or XLSX); nothing is written on any error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.catalog.io import CatalogImportError, import_catalog, read_document
from egov.core.actors import SYSTEM


class Command(BaseCommand):
    help = (
        "Nhập danh mục thủ tục hành chính từ tệp JSON hoặc XLSX. Thủ tục được nhận biết theo "
        "mã; chạy lại cùng tệp không thay đổi gì. Có lỗi thì không ghi gì."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Tệp .json hoặc .xlsx")
        parser.add_argument(
            "--dry-run", action="store_true", help="Chỉ kiểm tra và báo kết quả, không ghi."
        )
        parser.add_argument(
            "--skip-missing-agencies",
            action="store_true",
            help="Bỏ qua (kèm cảnh báo) mã cơ quan chưa có trong hệ thống.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"Không tìm thấy tệp {path}.")
        try:
            document = read_document(path.read_bytes(), path.name)
            result = import_catalog(
                document,
                actor=SYSTEM,
                dry_run=options["dry_run"],
                missing_agencies="skip" if options["skip_missing_agencies"] else "error",
            )
        except CatalogImportError as exc:
            for error in exc.errors:
                self.stderr.write(f"- {error}")
            raise CommandError(exc.message) from exc
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(warning))
        self.stdout.write(self.style.SUCCESS(result.summary()))
