"""The sync read models, kept from the dossier events inside each event's transaction.

Every dossier event that changes the dossier's sync record (or adds a process step) makes a new
version and queues one outbox message (topic "national_portal", key
`national:<code>:v<version>:r<resends>`); the deliverer always sends the latest version
(delivery.py), so messages delivered late, twice or out of order never regress the portal.
"""

from __future__ import annotations

import copy
from datetime import datetime

from django.conf import settings

from egov.events.models import Event, OutboxMessage
from egov.events.services import enqueue, register_projector

from . import records
from .event_types import OWN
from .models import SyncRecord, SyncStep

TOPIC = OutboxMessage.Topic.NATIONAL_PORTAL


def queue(sync: SyncRecord, *, not_before: datetime | None = None) -> OutboxMessage:
    """One message for the record's current version (in the caller's transaction)."""
    return enqueue(
        TOPIC,
        {"code": sync.code, "version": sync.version, "agency": sync.agency_code},
        idempotency_key=key_of(sync),
        not_before=not_before,
    )


def key_of(sync: SyncRecord) -> str:
    return f"national:{sync.code}:v{sync.version}:r{sync.resends}"


def queue_unless_waiting(sync: SyncRecord) -> None:
    """Queue the version, unless an earlier message of the dossier still waits untouched: the
    deliverer sends the latest record anyway, and queues a follow-up itself when it finds a
    newer version than the one it sent (delivery._acknowledged), so a message taken by a worker
    while this transaction was open is never the last word."""
    waiting = sync.state.get("queued", "")
    if (
        waiting
        and OutboxMessage.objects.filter(
            idempotency_key=waiting, status=OutboxMessage.Status.PENDING, attempts=0
        ).exists()
    ):
        return
    message = queue(sync)
    SyncRecord.objects.filter(pk=sync.pk).update(
        state={**sync.state, "queued": message.idempotency_key}
    )
    sync.state = {**sync.state, "queued": message.idempotency_key}


@register_projector("dossier.")
def project(event: Event) -> None:
    if event.event_type in OWN:
        return
    code = event.subject_id
    sync = SyncRecord.objects.select_for_update().filter(code=code).first()
    if sync is None:
        sync = SyncRecord(
            code=code,
            agency_id=event.agency_id,
            day=records.local_day(event.occurred_at),
            record=records.empty_record(code),
        )
    record = copy.deepcopy(sync.record)
    state = copy.deepcopy(sync.state)
    step = records.apply(event, record, state)
    if step is None and record == sync.record:
        if state != sync.state and sync.pk is not None:
            sync.state = state
            sync.save(update_fields=["state"])
        return
    if sync.pk is None and not record.get("MaTTHC"):
        return  # not a dossier we can describe (no submission or reception seen)
    sync.record, sync.state = record, state
    sync.agency_code = record.get("DonViXuLy", "")[:20]
    sync.version += 1
    sync.changed_at = event.occurred_at
    if sync.unsent_since is None:
        sync.unsent_since = event.occurred_at
    if step is not None:
        sync.step_count += 1
    if sync.pk is None:
        sync.save()
    else:
        sync.save(
            update_fields=[
                "record",
                "state",
                "agency_code",
                "version",
                "changed_at",
                "unsent_since",
                "step_count",
            ]
        )
    if step is not None:
        SyncStep.objects.create(
            sync=sync, seq=sync.step_count, data={**step, "STT": sync.step_count}
        )
    if settings.NATIONAL_PORTAL_URL:  # no portal configured: the read model only
        queue_unless_waiting(sync)
