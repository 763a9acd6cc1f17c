"""Export the procedure catalogue as JSON or XLSX."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.catalog.io import export_json, export_xlsx


class Command(BaseCommand):
    help = (
        "Xuất danh mục thủ tục hành chính ra tệp JSON hoặc XLSX (OUT là '-' để in JSON ra màn "
        "hình)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", help="Tệp kết quả, hoặc '-' (chỉ với JSON).")
        parser.add_argument(
            "--format",
            choices=["json", "xlsx"],
            default=None,
            help="Định dạng; mặc định theo đuôi tệp.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out: str = options["out"]
        fmt = options["format"] or ("xlsx" if out.lower().endswith(".xlsx") else "json")
        if fmt == "xlsx":
            if out == "-":
                raise CommandError("Tệp XLSX phải được ghi ra một tệp, không in ra màn hình.")
            Path(out).write_bytes(export_xlsx())
        else:
            text = export_json()
            if out == "-":
                sys.stdout.write(text)
                return
            Path(out).write_text(text, encoding="utf-8")
        self.stderr.write(self.style.SUCCESS(f"Đã xuất danh mục ra {out}."))
