"""List the event log's monthly partitions (PostgreSQL), or create them.

Without options: every partition, attached or detached, with its bounds and rows (the planner's
estimate; `--count` counts). `--ensure` makes the current month and EVENT_PARTITIONS_AHEAD
months after it (what the worker does every night); `--create YYYY-MM` makes one month (and moves
there the rows of that month found in the DEFAULT partition). Exit code 1 when the DEFAULT
partition holds rows (`--check`).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.events import partitions


class Command(BaseCommand):
    help = "Liệt kê hoặc tạo các phân vùng theo tháng của nhật ký sự kiện (PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ensure", action="store_true", help="Tạo tháng này và các tháng tới.")
        parser.add_argument(
            "--ahead", type=int, help="Số tháng tạo trước (mặc định theo cấu hình)."
        )
        parser.add_argument("--create", metavar="YYYY-MM", help="Tạo phân vùng của một tháng.")
        parser.add_argument("--count", action="store_true", help="Đếm chính xác số dòng.")
        parser.add_argument(
            "--check", action="store_true", help="Mã thoát 1 nếu phân vùng mặc định có dòng."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not partitions.supported():
            raise CommandError(
                "Nhật ký sự kiện chỉ được phân vùng trên PostgreSQL (sau migration events 0008)."
            )
        try:
            if options["create"]:
                month = partitions.parse_month(options["create"])
                name = partitions.ensure_month(month)
                self.stdout.write(
                    f"Đã tạo {name}." if name else "Phân vùng đã có (hoặc đã lưu trữ)."
                )
            if options["ensure"]:
                made = partitions.ensure_partitions(ahead=options["ahead"])
                self.stdout.write(f"Đã tạo: {', '.join(made)}." if made else "Đã đủ phân vùng.")
        except partitions.PartitionError as exc:
            raise CommandError(str(exc)) from exc
        for part in partitions.list_partitions(count=options["count"]):
            state = "gắn" if part.attached else "đã tách"
            rows = "?" if part.rows < 0 else f"{part.rows:,}"
            self.stdout.write(f"{part.name:28} {state:8} {rows:>14}  {part.bounds}")
        stray = partitions.check_default_partition()
        if stray:
            message = (
                f"{stray} sự kiện nằm trong phân vùng mặc định {partitions.DEFAULT_PARTITION}: "
                "tạo phân vùng của tháng đó (--create YYYY-MM)."
            )
            if options["check"]:
                raise CommandError(message, returncode=1)
            self.stderr.write(self.style.WARNING(message))
