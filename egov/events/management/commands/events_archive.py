"""Detach whole months of the event log before a month (PostgreSQL).

`--before 2026-01` detaches every month before January 2026 that is still attached; `--dump-dir`
first dumps them with pg_dump (custom format) to a file whose SHA-256 is recorded; `--drop` then
drops the detached tables (only with a dump). `--dry-run` shows what would be detached. The
archive record (EventArchive) and an event of the global chain are written in the same
transaction as the detach; verify_events goes on verifying the rest.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.core.actors import Actor
from egov.events import partitions


class Command(BaseCommand):
    help = "Tách (lưu trữ) các tháng cũ của nhật ký sự kiện khỏi cơ sở dữ liệu (PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--before", required=True, metavar="YYYY-MM", help="Tách các tháng trước tháng này."
        )
        parser.add_argument("--dump-dir", help="Thư mục ghi tệp pg_dump của các tháng được tách.")
        parser.add_argument(
            "--drop", action="store_true", help="Xóa bảng sau khi tách (cần --dump-dir)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Chỉ cho biết sẽ tách gì.")
        parser.add_argument("--operator", default="", help="Tên người thực hiện, ghi vào sự kiện.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            before = partitions.parse_month(options["before"])
            if options["dry_run"]:
                plan = partitions.plan_archive(before)
                self.stdout.write(
                    f"Sẽ tách {', '.join(plan.partitions)}: {plan.rows:,} sự kiện, "
                    f"{len(plan.chains)} chuỗi."
                )
                return
            label = f"operator {options['operator']}".strip() if options["operator"] else "system"
            archive = partitions.archive_before(
                before,
                actor=Actor(kind="system", label=f"events_archive ({label})"),
                dump_dir=options["dump_dir"],
                drop=options["drop"],
            )
        except partitions.PartitionError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã tách {', '.join(archive.partitions)}: {archive.rows:,} sự kiện, "
                f"{len(archive.chains)} chuỗi"
                + (
                    f"; tệp {archive.dump_file} (SHA-256 {archive.dump_sha256})"
                    if archive.dump_file
                    else ""
                )
                + ("; đã xóa bảng." if archive.dropped else "; bảng vẫn còn, đã tách khỏi nhật ký.")
            )
        )
