"""The events the event log's own machinery records (the event catalogue, catalogue.py)."""

from __future__ import annotations

from .catalogue import Payload, declare


class OutboxRetried(Payload):
    topic: str
    idempotency_key: str
    last_error: str  # cut to 500 characters


OUTBOX_RETRIED = declare(
    "outbox.retried",
    subject="outbox_message",
    payload=OutboxRetried,
    description="An operator gave a dead outbox message a fresh set of delivery attempts.",
)


class PartitionsArchived(Payload):
    first_month: str  # YYYY-MM
    last_month: str
    partitions: list[str]
    rows: int
    chains: int
    chains_sha256: str  # of the archive record's per-chain ranges (canonical JSON)
    dump_file: str
    dump_sha256: str
    dropped: bool


PARTITIONS_ARCHIVED = declare(
    "event_archive.partitions_archived",
    subject="event_archive",
    payload=PartitionsArchived,
    description=(
        "Whole months of the event log were detached from the database (PostgreSQL partitions), "
        "optionally dumped to a file (its SHA-256 given) and dropped; what the chains need to "
        "go on verifying is in the archive record."
    ),
)
