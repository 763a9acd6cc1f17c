"""Recompute the event log's hash chains and report the first broken row.

Exit code 0 and "OK ..." when every chain is intact; exit code 1 and the first broken row
(id, chain, seq, what is wrong) otherwise. Reads in pages, so it runs on any number of rows.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.events.services import verify_event_log


class Command(BaseCommand):
    help = "Kiểm tra tính toàn vẹn của nhật ký sự kiện (chuỗi hash)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--chain", help="Chỉ kiểm tra một chuỗi, ví dụ 'agency:12' hoặc 'global'."
        )
        parser.add_argument(
            "--chunk-size", type=int, default=2000, help="Số dòng đọc mỗi lần (mặc định 2000)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_event_log(chain=options["chain"], chunk_size=options["chunk_size"])
        if result.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    f"OK: {result.chains} chuỗi, {result.events} sự kiện, không có sai lệch."
                )
            )
            return
        broken = result.first_break
        assert broken is not None
        raise CommandError(
            f"NHẬT KÝ BỊ SAI LỆCH tại sự kiện id={broken.event_id} chain={broken.chain} "
            f"seq={broken.seq}: {broken.message} [{broken.code}] "
            f"(đã kiểm tra {result.events} sự kiện đúng trước đó)",
            returncode=1,
        )
