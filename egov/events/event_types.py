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
