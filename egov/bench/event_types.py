"""The event the benchmarks append (the event catalogue, egov.events.catalogue)."""

from __future__ import annotations

from egov.events.catalogue import Payload, declare


class Appended(Payload):
    i: int
    run: str
    text: str


APPENDED = declare(
    "bench.appended",
    subject="bench",
    payload=Appended,
    description="A benchmark appended a throw-away event (never in production data).",
)
