"""Load the starter catalogue (egov/catalog/data/starter_catalog.json); safe to run again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from egov.catalog.starter import load_starter_catalog


class Command(BaseCommand):
    help = (
        "Nạp danh mục thủ tục mẫu (các thủ tục thường gặp). Thủ tục đã có được giữ nguyên; "
        "dùng --update để ghi đè bằng nội dung mẫu."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--update",
            action="store_true",
            help="Cập nhật cả những thủ tục đã có theo nội dung mẫu.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_starter_catalog(update=options["update"])
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(warning))
        self.stdout.write(self.style.SUCCESS(result.summary()))
