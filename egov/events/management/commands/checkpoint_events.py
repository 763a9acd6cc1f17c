"""Sign where the event chains end now, have the time-stamping authority attest it (RFC 3161),
and keep both outside the database.

The worker does this every five minutes; run it by hand before a backup or an audit, or from
cron where no worker runs the periodic tasks. `--public-key` prints the key that verifies the
checkpoints (give it to whoever keeps the copies); `--sync-file` only appends to the checkpoint
file what it lacks; `--timestamp-only` only asks the TSA for the tokens still missing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from egov.events.checkpoints import public_key_pem
from egov.events.services import create_checkpoint, sync_checkpoint_file, timestamp_checkpoints


class Command(BaseCommand):
    help = "Ký điểm chốt nhật ký sự kiện (đầu các chuỗi) và ghi ra ngoài cơ sở dữ liệu."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--public-key", action="store_true", help="In khóa công khai để kiểm tra điểm chốt."
        )
        parser.add_argument(
            "--sync-file", action="store_true", help="Chỉ ghi bổ sung tệp điểm chốt."
        )
        parser.add_argument(
            "--timestamp-only",
            action="store_true",
            help="Chỉ xin dấu thời gian (RFC 3161) cho các điểm chốt chưa có.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["public_key"]:
            self.stdout.write(public_key_pem(), ending="")
            return
        if not options["sync_file"] and not options["timestamp_only"]:
            checkpoint = create_checkpoint()
            if checkpoint is None:
                self.stdout.write("Không chuỗi nào thay đổi từ điểm chốt trước.")
            else:
                self.stdout.write(
                    f"Đã chốt (id={checkpoint.pk}, khóa {checkpoint.key_id}): {checkpoint.body}"
                )
        if not options["sync_file"]:
            report = timestamp_checkpoints()
            if not report.configured:
                self.stderr.write(
                    self.style.WARNING(
                        "Chưa cấu hình TSA (TSA_URL) và chưa có TSA minh họa: điểm chốt chưa "
                        f"được đóng dấu thời gian ({report.pending} điểm chốt)."
                    )
                )
            else:
                self.stdout.write(
                    f"Đóng dấu thời gian: {report.stamped} điểm chốt; còn chờ {report.pending}."
                )
                if report.error:
                    self.stderr.write(self.style.WARNING(f"TSA: {report.error}"))
                if report.expired:
                    self.stderr.write(
                        self.style.WARNING(
                            f"{report.expired} điểm chốt đã quá hạn để đóng dấu thời gian."
                        )
                    )
        written = sync_checkpoint_file()
        self.stdout.write(f"Đã ghi {written} dòng vào tệp điểm chốt.")
