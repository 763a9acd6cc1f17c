"""Lock order against the officials' actions (issue #19, seen in the local cluster's check).

Every action takes its agency's chain head first (record_event) and its projectors then lock
the dossier's national sync record. The first acknowledgement by the national portal and a
reconciliation's resend lock that sync record and record an event: they must take the chain
head first too, or an action and a delivery running at once deadlock (PostgreSQL aborts one:
a 500 for the official, a retry for the delivery)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection, connections, transaction

from egov.core.actors import SYSTEM
from egov.events.models import Event
from egov.events.services import lock_chain
from egov.national.delivery import _acknowledged
from egov.national.models import SyncRecord
from egov.national.reconcile import resend

pytestmark = pytest.mark.django_db(transaction=True)


def _someone_waits_on_a_lock(timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # fresh view inside our transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


def _acknowledge(sync: SyncRecord) -> None:
    _acknowledged(sync.pk, 1, {})


def _resend(sync: SyncRecord) -> None:
    resend(actor=SYSTEM, code=sync.code, reason="Đối soát")


@pytest.mark.parametrize(
    ("action", "event_type"),
    [(_acknowledge, "dossier.synced"), (_resend, "dossier.sync_resent")],
    ids=["first acknowledgement", "resend"],
)
def test_the_chain_head_is_taken_before_the_sync_record(
    agency: Any, action: Callable[[SyncRecord], None], event_type: str
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    sync = SyncRecord.objects.create(
        code=f"{agency.identifier}-261204-0001",
        agency_id=agency.pk,
        agency_code=agency.identifier,
        day=date(2026, 12, 4),
        version=1,
    )
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            action(sync)
            outcome["done"] = True
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc
        finally:
            connections.close_all()

    worker = threading.Thread(target=run)
    with transaction.atomic():
        lock_chain(agency.pk)  # an official's action holding the agency's chain
        worker.start()
        assert _someone_waits_on_a_lock(), "the delivery did not wait for the chain head"
        # Meanwhile the action's projector locks the sync record: the delivery must not hold it.
        SyncRecord.objects.select_for_update(nowait=True).get(pk=sync.pk)
    worker.join(15)
    assert outcome == {"done": True}
    assert Event.objects.filter(event_type=event_type, subject_id=sync.code).count() == 1
