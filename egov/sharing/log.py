"""The message log's hashing and verification (read-only; services.py appends).

Each entry's hash is SHA-256 over the canonical JSON of the previous entry's hash and every
field of the entry, so changing, removing or reordering a row breaks the chain from there on. A
checkpoint is a signed body {"kind": "sharing.message_log", "at", "seq", "hash", "v"} under the
platform's checkpoint key (egov.events.checkpoints: Ed25519 derived from SECRET_KEY); the body's
"kind" keeps it apart from the event log's checkpoints signed by the same key. A cut of the
log's end (the last rows deleted and the head rewound) is found by the latest checkpoint naming
an entry that no longer exists or has another hash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature

from egov.events import checkpoints

from .models import MessageLogCheckpoint, MessageLogEntry

GENESIS = "0" * 64
KIND = "sharing.message_log"


def entry_hash(entry: MessageLogEntry) -> str:
    body = json.dumps(
        [
            entry.prev_hash,
            entry.seq,
            entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
            entry.request_id,
            entry.client_id,
            entry.client_label,
            entry.agency_id,
            entry.service,
            entry.method,
            entry.path,
            entry.status_code,
            entry.outcome,
            entry.signed,
            entry.request_sha256,
            entry.response_sha256,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def checkpoint_body(at: datetime, seq: int, digest: str) -> str:
    return checkpoints.canonical(
        {
            "v": 1,
            "kind": KIND,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "seq": seq,
            "hash": digest,
        }
    )


@dataclass
class LogBreak:
    seq: int
    entry_id: int | None
    reason: str


@dataclass
class LogReport:
    entries: int = 0
    checkpoints: int = 0
    breaks: list[LogBreak] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def first_break(self) -> LogBreak | None:
        return self.breaks[0] if self.breaks else None


def _verify_signature(row: MessageLogCheckpoint) -> bool:
    key = checkpoints.verifying_keys().get(row.key)
    if key is None:
        return False
    try:
        key.verify(base64.b64decode(row.sig), checkpoint_body(row.at, row.seq, row.hash).encode())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def verify_message_log(*, chunk_size: int = 2000) -> LogReport:
    """Recompute the chain, then check every checkpoint's signature and that the entry it names
    is still there with that hash. Reports the first break of the chain and every bad
    checkpoint."""
    report = LogReport()
    hashes: dict[int, str] = {}
    checkpoint_rows = list(MessageLogCheckpoint.objects.order_by("at", "pk"))
    wanted = {row.seq for row in checkpoint_rows}
    prev, expected_seq, last = GENESIS, 1, 0
    while True:
        rows = list(MessageLogEntry.objects.filter(seq__gt=last).order_by("seq")[:chunk_size])
        if not rows:
            break
        for entry in rows:
            if not report.breaks:
                if entry.seq != expected_seq:
                    report.breaks.append(
                        LogBreak(expected_seq, None, f"thiếu bản ghi số {expected_seq}")
                    )
                elif entry.prev_hash != prev:
                    report.breaks.append(
                        LogBreak(entry.seq, entry.pk, "mã băm trước không khớp bản ghi trước")
                    )
                elif entry_hash(entry) != entry.hash:
                    report.breaks.append(
                        LogBreak(entry.seq, entry.pk, "nội dung bản ghi bị thay đổi")
                    )
            if entry.seq in wanted:
                hashes[entry.seq] = entry.hash
            prev, expected_seq, last = entry.hash, entry.seq + 1, entry.seq
            report.entries += 1
    for row in checkpoint_rows:
        report.checkpoints += 1
        if not _verify_signature(row):
            report.breaks.append(LogBreak(row.seq, None, f"điểm chốt {row.pk} sai chữ ký"))
        elif row.seq and hashes.get(row.seq) != row.hash:
            report.breaks.append(
                LogBreak(row.seq, None, f"điểm chốt {row.pk}: bản ghi {row.seq} bị mất hoặc đổi")
            )
    return report
