"""Recompute every dashboard aggregate from the event log (recovery, or after installing the
stats app on a database that already has dossiers)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from egov.stats import aggregates


class Command(BaseCommand):
    help = "Tính lại toàn bộ số liệu điều hành (bảng tổng hợp) từ nhật ký sự kiện."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=5000, help="Số sự kiện đọc mỗi lượt.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        report = aggregates.rebuild(batch=options["batch"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã tính lại từ {report.events} sự kiện: {report.daily_rows} dòng theo ngày, "
                f"{report.open_dossiers} hồ sơ đang theo dõi, {report.days_closed} ngày đã chốt "
                f"({time.monotonic() - started:.1f} giây)."
            )
        )
