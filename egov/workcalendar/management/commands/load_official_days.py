"""Load the government's announced days off and swap working days as special days."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from egov.core.actors import SYSTEM
from egov.workcalendar.official_days import OFFICIAL_DAYS
from egov.workcalendar.services import load_official_days, official_holidays


def _fmt(days: list[date]) -> str:
    return ", ".join(f"{d:%d/%m/%Y}" for d in days) or "-"


class Command(BaseCommand):
    help = (
        "Nạp các ngày nghỉ, ngày làm bù do Chính phủ công bố (egov/workcalendar/official_days.py) "
        "thành ngày nghỉ/làm bù toàn tỉnh, chỉ với những ngày gói holidays chưa có. Không ghi đè "
        "ngày do quản trị viên nhập. Chạy lại nhiều lần không tạo trùng."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--year",
            type=int,
            action="append",
            dest="years",
            help="Chỉ nạp năm này (có thể lặp lại).",
        )
        parser.add_argument(
            "--include-covered",
            action="store_true",
            help="Ghi cả những ngày gói holidays đã có (để quản trị viên thấy trong danh sách).",
        )
        parser.add_argument(
            "--show",
            action="store_true",
            help="Chỉ in các ngày lễ của gói holidays và danh sách đã biết, không ghi gì.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["show"]:
            years = options["years"] or sorted({d.day.year for d in OFFICIAL_DAYS})
            for year in years:
                self.stdout.write(f"Năm {year} — ngày nghỉ theo gói holidays:")
                for day, name in sorted(official_holidays(year).items()):
                    self.stdout.write(f"  {day:%d/%m/%Y} {name}")
            return
        result = load_official_days(
            actor=SYSTEM, include_covered=options["include_covered"], years=options["years"]
        )
        self.stdout.write(f"Đã thêm: {_fmt(result.created)}")
        self.stdout.write(f"Đã cập nhật: {_fmt(result.updated)}")
        self.stdout.write(f"Không đổi: {_fmt(result.unchanged)}")
        self.stdout.write(f"Gói holidays đã có: {_fmt(result.already_in_package)}")
        self.stdout.write(
            f"Giữ nguyên ngày do quản trị viên nhập: {_fmt(result.kept_operator_rows)}"
        )
