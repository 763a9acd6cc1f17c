"""Recompute the sharing message log's hash chain and check its signed checkpoints.

Exit 0 and "OK ..." when intact; exit 1 and the first break (entry number, what is wrong).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.sharing.log import verify_message_log


class Command(BaseCommand):
    help = "Kiểm tra tính toàn vẹn của nhật ký trao đổi dữ liệu (chuỗi hash, điểm chốt có ký)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk-size", type=int, default=2000)

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_message_log(chunk_size=options["chunk_size"])
        if not report.ok:
            broken = report.first_break
            assert broken is not None
            where = f" (dòng id {broken.entry_id})" if broken.entry_id else ""
            raise CommandError(f"HỎNG tại bản ghi số {broken.seq}{where}: {broken.reason}")
        self.stdout.write(
            f"OK: {report.entries} bản ghi, {report.checkpoints} điểm chốt có chữ ký hợp lệ."
        )
