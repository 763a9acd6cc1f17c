"""Lock order against the officials' actions (issue #19, seen in the local cluster's check).

Every action takes its agency's chain head first (record_event) and its projectors then lock
the dossier's national sync record. The first acknowledgement by the national portal and a
reconciliation's resend lock that sync record and record an event: they must take the chain
head first too, or an action and a delivery running at once deadlock (PostgreSQL aborts one:
a 500 for the official, a retry for the delivery)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection, transaction

from egov.conftest import Background, someone_waits_on_a_lock
from egov.core.actors import SYSTEM
from egov.events.models import Event
from egov.events.services import lock_chain
from egov.national.delivery import _acknowledged
from egov.national.models import SyncRecord
from egov.national.reconcile import resend

pytestmark = pytest.mark.django_db(transaction=True)


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
    with transaction.atomic():
        lock_chain(agency.pk)  # an official's action holding the agency's chain
        worker = Background(lambda: action(sync))
        assert someone_waits_on_a_lock(), "the delivery did not wait for the chain head"
        # Meanwhile the action's projector locks the sync record: the delivery must not hold it.
        SyncRecord.objects.select_for_update(nowait=True).get(pk=sync.pk)
    assert worker.outcome() == {"done": True}
    assert Event.objects.filter(event_type=event_type, subject_id=sync.code).count() == 1
