from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from egov.events.models import Event, OutboxMessage
from egov.events.services import dispatch_due
from egov.national.models import SyncRecord

pytestmark = pytest.mark.django_db


def drain(limit: int = 200) -> None:
    now = timezone.now()
    for _ in range(limit):
        report = dispatch_due(now=now, limit=200)
        if not OutboxMessage.objects.filter(
            topic="national_portal", status__in=["pending", "failed", "delivering"]
        ).exists():
            return
        now += timedelta(hours=7)
    raise AssertionError("outbox not drained")


def test_one_dossier_reaches_the_portal(portal, lifecycle):
    (dossier,) = lifecycle(1)
    sync = SyncRecord.objects.get(code=dossier.code)
    drain()
    remote = portal.dossiers[dossier.code]
    sync.refresh_from_db()
    assert remote == sync.record
    assert [s["STT"] for s in portal.steps_of(dossier.code)] == list(range(1, sync.step_count + 1))
    print(remote, portal.steps_of(dossier.code))
    assert Event.objects.filter(event_type="dossier.synced", subject_id=dossier.code).count() == 1
