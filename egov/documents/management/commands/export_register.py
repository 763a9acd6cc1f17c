"""Write an agency's outgoing or incoming register for a period to a PDF or XLSX file (for
printing and archiving at the end of a year)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.documents import registers
from egov.org.models import Agency


class Command(BaseCommand):
    help = "Xuất sổ đăng ký văn bản đi/đến của một cơ quan ra tệp PDF hoặc XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("agency", help="Mã định danh cơ quan, ví dụ 000.00.00.H41")
        parser.add_argument(
            "--kind",
            choices=["di", "den"],
            default="di",
            help="di: sổ văn bản đi; den: sổ văn bản đến",
        )
        parser.add_argument(
            "--from", dest="start", help="Từ ngày YYYY-MM-DD (mặc định 1/1 năm nay)"
        )
        parser.add_argument("--to", dest="end", help="Đến ngày YYYY-MM-DD (mặc định hôm nay)")
        parser.add_argument("--format", choices=["pdf", "xlsx"], default="pdf")
        parser.add_argument("-o", "--output", required=True, help="Đường dẫn tệp kết quả")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.utils import timezone

        agency = Agency.objects.filter(identifier=options["agency"]).first()
        if agency is None:
            raise CommandError(f"Không có cơ quan mã {options['agency']}.")
        today = timezone.localdate()
        try:
            start = (
                date.fromisoformat(options["start"]) if options["start"] else date(today.year, 1, 1)
            )
            end = date.fromisoformat(options["end"]) if options["end"] else today
        except ValueError as exc:
            raise CommandError("Ngày phải có dạng YYYY-MM-DD.") from exc
        register = registers.build_register(options["kind"], agency, start, end)
        content = (
            registers.register_pdf(register)
            if options["format"] == "pdf"
            else registers.register_xlsx(register)
        )
        Path(options["output"]).write_bytes(content)
        self.stdout.write(
            f"{register.title}: {len(register.rows)} văn bản, {start:%d/%m/%Y}–{end:%d/%m/%Y} "
            f"→ {options['output']}"
        )
