"""Stand-ins the benchmark settings plug in (egov/settings/bench.py)."""

from __future__ import annotations


class DiscardSmsGateway:
    """SMS_GATEWAY for the benchmark: accepts every message and sends nothing, so the Huey
    consumer measured by the `memory` scenario delivers SMS like e-mail instead of retrying."""

    def send(self, *, to: str, text: str, idempotency_key: str) -> None:
        return None
