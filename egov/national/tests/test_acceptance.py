"""Acceptance (issue #18): 1,000 dossiers through their lifecycle, synchronised to the stand-in
national portal while it fails 30 % of the calls and times out 5 %; once the outbox is drained
the portal holds exactly our records and steps; reconciliation then finds a record the portal
acknowledged but lost, and sends it again."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from egov.events.models import Event, OutboxMessage
from egov.national.models import SyncRecord

from .conftest import finish, receive
from .helpers import bulk_lifecycles, drain

pytestmark = pytest.mark.django_db


def test_a_thousand_dossiers_reach_the_portal_through_failures(portal, staff, procedure, settings):
    settings.NATIONAL_PORTAL_TIMEOUT = 0.15
    settings.OUTBOX_MAX_ATTEMPTS = 40
    portal.control({"fail_rate": 0.30, "timeout_rate": 0.05, "timeout_delay": 0.3})
    # Three through the real one-stop services (reception with a scanned paper, result, forward,
    # return), the rest by the factory of the same events.
    real = [finish(staff, receive(staff, procedure, n)).code for n in range(3)]
    started = time.monotonic()
    codes = real + bulk_lifecycles(staff, procedure, 997)
    made = time.monotonic()
    lost = codes[500]
    portal.control({"lose": [lost]})

    rounds = drain()
    print(f"made {made - started:.1f}s, drained {time.monotonic() - made:.1f}s in {rounds}")

    assert portal.calls["failed"] > 100 and portal.calls["timed_out"] > 10
    assert not OutboxMessage.objects.filter(topic="national_portal", status="dead").exists()
    syncs = SyncRecord.objects.filter(code__in=codes).prefetch_related("steps")
    assert len(syncs) == 1000
    for sync in syncs:
        assert sync.remote_known and sync.acked_version == sync.version
        assert sync.acked_steps == sync.step_count == 5
        if sync.code == lost:
            assert lost not in portal.dossiers
            continue
        assert portal.dossiers[sync.code] == sync.record, sync.code
        assert portal.steps_of(sync.code) == [s.data for s in sync.steps.all()], sync.code
    # The 766 indicator's numerator: one dossier.synced per dossier, never two.
    assert Event.objects.filter(event_type="dossier.synced").count() == 1000

    # The portal stops losing it; reconciliation finds it missing and sends it again.
    portal.control({"lose": [], "keep": [lost], "fail_rate": 0, "timeout_rate": 0})
    out = io.StringIO()
    call_command("national_reconcile", date=timezone.localdate().isoformat(), stdout=out)
    report = out.getvalue()
    assert "Thiếu trên Cổng quốc gia, đã xếp gửi lại 1 hồ sơ" in report and lost in report
    drain()
    sync = SyncRecord.objects.get(code=lost)
    assert portal.dossiers[lost] == sync.record
    assert portal.steps_of(lost) == [s.data for s in sync.steps.all()]
    out = io.StringIO()
    call_command("national_reconcile", date=timezone.localdate().isoformat(), stdout=out)
    assert "Khớp: không phải gửi lại hồ sơ nào." in out.getvalue()
    assert Event.objects.filter(event_type="dossier.synced", subject_id=lost).count() == 1
