"""Attacks and leaks: the portal's token is sent on every call (and a portal that does not get
it refuses); the applicant's personal data never reaches our logs or the outbox's errors, even
when the portal fails, times out or refuses the record."""

from __future__ import annotations

import logging

import pytest

from egov.events.models import OutboxMessage
from egov.national import adapter
from egov.national.models import SyncRecord

from .conftest import APPLICANT_ID, APPLICANT_NAME, TOKEN, finish, receive
from .helpers import drain

pytestmark = pytest.mark.django_db


def test_every_call_carries_the_token(portal, staff, procedure):
    finish(staff, receive(staff, procedure))
    drain()
    assert portal.tokens_seen and set(portal.tokens_seen) == {f"Bearer {TOKEN}"}


def test_a_wrong_token_is_refused_and_nothing_is_stored(portal, staff, procedure, settings):
    settings.NATIONAL_PORTAL_TOKEN = "doan-mo"
    dossier = receive(staff, procedure)
    from egov.events.services import dispatch_due

    dispatch_due()
    assert dossier.code not in portal.dossiers
    message = OutboxMessage.objects.get(topic="national_portal")
    assert message.status == "failed" and "[3]" in message.last_error
    with pytest.raises(adapter.PortalError):
        adapter.HttpNationalPortal(portal.url, "").counts(dossier.received_at.date())


def test_no_personal_data_in_logs_or_errors(portal, staff, procedure, settings, caplog):
    caplog.set_level(logging.DEBUG)
    settings.NATIONAL_PORTAL_TIMEOUT = 0.2
    portal.control({"fail_rate": 0.4, "timeout_rate": 0.2, "timeout_delay": 0.4})
    dossiers = [finish(staff, receive(staff, procedure, n)) for n in range(2)]
    drain()
    # A record the portal refuses: its validation message names fields, never values.
    procedure.sector.__class__.objects.filter(pk=procedure.sector_id).update(code="MÃ SAI")
    receive(staff, procedure, 7)
    drain()
    assert portal.calls["failed"] and OutboxMessage.objects.filter(status="dead").exists()
    secrets = [APPLICANT_NAME, APPLICANT_ID, TOKEN] + [d.applicant_id_number for d in dossiers]
    logged = caplog.text
    errors = " ".join(OutboxMessage.objects.values_list("last_error", flat=True))
    errors += " ".join(SyncRecord.objects.values_list("last_error", flat=True))
    for secret in secrets:
        assert secret not in logged and secret not in errors
