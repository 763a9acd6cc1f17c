"""Dossiers made while no portal address was set were never queued; once it is set, the
reconciliation queues them (as docs/deployment.md says) and the portal gets them. The demo
relied on it: its dossiers waited on the sync panel forever."""

from __future__ import annotations

import pytest
from django.utils import timezone

from egov.core.actors import SYSTEM
from egov.events.models import OutboxMessage
from egov.events.services import dispatch_due
from egov.national.models import SyncRecord
from egov.national.reconcile import reconcile

from .conftest import TOKEN, receive

pytestmark = pytest.mark.django_db


def test_records_made_without_a_portal_are_queued_by_reconciliation(
    staff, procedure, portal, settings
):
    settings.NATIONAL_PORTAL_URL = ""
    dossier = receive(staff, procedure)
    assert not OutboxMessage.objects.filter(topic="national_portal").exists()

    settings.NATIONAL_PORTAL_URL, settings.NATIONAL_PORTAL_TOKEN = portal.url, TOKEN
    outcome = reconcile(actor=SYSTEM, day=timezone.localdate())
    assert outcome.queued == [dossier.code]
    assert "đã xếp gửi 1 hồ sơ" in outcome.report()
    for _ in range(5):
        if not dispatch_due().claimed:
            break
    assert SyncRecord.objects.get(code=dossier.code).remote_known
    assert dossier.code in portal.dossiers
    # Run again: nothing more to queue, nothing sent twice.
    again = reconcile(actor=SYSTEM, day=timezone.localdate())
    assert again.queued == [] and again.resent == []
