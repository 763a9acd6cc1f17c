"""Recompute the event log's hash chains, check them against the signed checkpoints and their
RFC 3161 timestamp tokens, and report the first broken row.

Exit code 0 and "OK ..." when every chain is intact and every checkpointed event is still there
unchanged; exit code 1 and the first broken row (id, chain, seq, what is wrong) otherwise. Reads
in pages, so it runs on any number of rows. `--checkpoint-file` checks a copy kept elsewhere (the
webhook receiver's, an archive) instead of EVENT_CHECKPOINT_FILE.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.events.models import EventArchive
from egov.events.services import verify_event_log


def archive_note(archive: EventArchive) -> str:
    """What is not verified here, and where it is."""
    chains = ", ".join(sorted(archive.chains)[:10]) + (" ..." if len(archive.chains) > 10 else "")
    if archive.dump_file:
        where = f"tệp {archive.dump_file} (SHA-256 {archive.dump_sha256})"
    else:
        where = "các bảng đã tách " + ", ".join(archive.partitions) + " (không có tệp sao lưu)"
    if archive.dropped:
        where += ", bảng đã xóa khỏi cơ sở dữ liệu"
    return (
        f"Sự kiện từ {archive.first_month:%m/%Y} đến hết {archive.last_month:%m/%Y} "
        f"({archive.rows:,} sự kiện, chuỗi {chains}) đã được lưu trữ tại {where}, "
        "không được kiểm tra ở đây; các chuỗi được kiểm tra tiếp từ mã băm cuối đã ghi của "
        f"phần lưu trữ (hồ sơ lưu trữ id={archive.pk})."
    )


class Command(BaseCommand):
    help = "Kiểm tra tính toàn vẹn của nhật ký sự kiện (chuỗi hash)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--chain", help="Chỉ kiểm tra một chuỗi, ví dụ 'agency:12' hoặc 'global'."
        )
        parser.add_argument(
            "--chunk-size", type=int, default=2000, help="Số dòng đọc mỗi lần (mặc định 2000)."
        )
        parser.add_argument(
            "--checkpoint-file",
            help="Tệp điểm chốt cần đối chiếu (mặc định EVENT_CHECKPOINT_FILE).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_event_log(
            chain=options["chain"],
            chunk_size=options["chunk_size"],
            checkpoint_file=options["checkpoint_file"],
        )
        if result.unverifiable_checkpoints:
            self.stderr.write(
                self.style.WARNING(
                    f"{result.unverifiable_checkpoints} điểm chốt được ký bằng khóa không còn "
                    "trong SECRET_KEY/SECRET_KEY_FALLBACKS: không kiểm tra được."
                )
            )
        if result.untimestamped_checkpoints:
            self.stderr.write(
                self.style.WARNING(
                    f"{result.untimestamped_checkpoints} điểm chốt chưa có dấu thời gian của TSA "
                    "(TSA chưa trả lời hoặc chưa cấu hình TSA_URL; lần chạy sau sẽ đóng dấu)."
                )
            )
        for archive in result.archives:
            self.stdout.write(self.style.WARNING(archive_note(archive)))
        if result.archived_pins:
            self.stderr.write(
                self.style.WARNING(
                    f"{result.archived_pins} điểm chốt trỏ vào phần đã lưu trữ: sự kiện cuối của "
                    "mỗi phần được đối chiếu với hồ sơ lưu trữ, các sự kiện khác chỉ đối chiếu "
                    "được với tệp sao lưu."
                )
            )
        if result.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    f"OK: {result.chains} chuỗi, {result.events} sự kiện, "
                    f"{result.checkpoints} điểm chốt, không có sai lệch"
                    + (
                        f" ({result.archived_events} sự kiện đã lưu trữ không kiểm tra ở đây)."
                        if result.archives
                        else "."
                    )
                )
            )
            return
        broken = result.first_break
        assert broken is not None
        row = broken.event_id if broken.event_id is not None else "-"
        raise CommandError(
            f"NHẬT KÝ BỊ SAI LỆCH tại sự kiện id={row} chain={broken.chain} "
            f"seq={broken.seq}: {broken.message} [{broken.code}] "
            f"(đã kiểm tra {result.events} sự kiện đúng trước đó)",
            returncode=1,
        )
