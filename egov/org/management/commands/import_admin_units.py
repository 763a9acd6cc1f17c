"""Import administrative units (provinces, communes; districts for the legacy scheme)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.core.errors import DomainError
from egov.org.models import AdministrativeUnit
from egov.org.services import ImportResult, import_from_package, import_legacy_file


class Command(BaseCommand):
    help = (
        "Nhập đơn vị hành chính. Mô hình 2025 (2 cấp) lấy từ gói vietnam-provinces; mô hình "
        "3 cấp cũ (legacy) lấy từ tệp JSON (--file) vì gói không còn kèm dữ liệu này. "
        "Chạy lại nhiều lần không tạo trùng."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--province",
            type=int,
            action="append",
            dest="provinces",
            help="Mã tỉnh (có thể lặp lại). Mặc định: PROVINCE_CODE trong cấu hình "
            f"({settings.PROVINCE_CODE}).",
        )
        parser.add_argument("--all", action="store_true", help="Nhập tất cả tỉnh, thành phố.")
        parser.add_argument(
            "--scheme",
            choices=["2025", "legacy"],
            default="2025",
            help="2025: mô hình 2 cấp (mặc định); legacy: mô hình 3 cấp trước 01/7/2025.",
        )
        parser.add_argument(
            "--file",
            type=Path,
            help="Với --scheme legacy: tệp JSON tỉnh > huyện > xã theo định dạng "
            "nested-divisions.json của vietnam-provinces trước 2025.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"] and options["provinces"]:
            raise CommandError("Chọn --all hoặc --province, không dùng cả hai.")
        provinces = None if options["all"] else (options["provinces"] or [settings.PROVINCE_CODE])
        try:
            if options["scheme"] == "legacy":
                if options["file"] is None:
                    raise CommandError(
                        "Gói vietnam-provinces đang cài chỉ có dữ liệu 2 cấp (từ 01/7/2025). "
                        "Để nhập mô hình 3 cấp cũ, hãy cung cấp tệp JSON bằng --file."
                    )
                result = import_legacy_file(path=options["file"], province_codes=provinces)
            else:
                if options["file"] is not None:
                    raise CommandError("--file chỉ dùng với --scheme legacy.")
                result = import_from_package(province_codes=provinces)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self._report(result)

    def _report(self, result: ImportResult) -> None:
        levels = ", ".join(
            f"{AdministrativeUnit.Level(level).label}: {n}" for level, n in result.by_level.items()
        )
        self.stdout.write(
            f"Mô hình {result.scheme}: {result.total} đơn vị ({levels}); "
            f"tạo mới {result.created}, cập nhật {result.updated}, "
            f"không đổi {result.unchanged}."
        )
