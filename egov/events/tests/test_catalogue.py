"""The event catalogue: declared once, payloads checked when recorded, published as data and as
docs/events.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from egov.core.actors import SYSTEM
from egov.core.registry import DuplicateEntry
from egov.events.catalogue import CATALOGUE, EventPayloadError, Payload, declare, markdown
from egov.events.models import Event
from egov.events.services import record_event


class _Probe(Payload):
    what: str


PROBE = declare("probe.checked", subject="probe", payload=_Probe, description="test only")


def test_a_second_declaration_of_a_type_is_refused():
    with pytest.raises(DuplicateEntry):
        declare("probe.checked", subject="probe", payload=_Probe, description="again")


@pytest.mark.django_db
def test_a_payload_or_subject_the_catalogue_does_not_declare_is_refused_and_nothing_written():
    from django.db import transaction

    before = Event.objects.count()
    for subject, payload in [
        ("probe", {"what": "x", "extra": 1}),  # unknown field
        ("probe", {}),  # missing field
        ("dossier", {"what": "x"}),  # not the declared subject
    ]:
        with pytest.raises(EventPayloadError), transaction.atomic():
            record_event(
                actor=SYSTEM,
                event_type=PROBE,
                subject_type=subject,
                subject_id="1",
                payload=payload,
            )
    assert Event.objects.count() == before
    with transaction.atomic():
        event = record_event(
            actor=SYSTEM,
            event_type=PROBE,
            subject_type="probe",
            subject_id="1",
            payload={"what": "x"},
        )
    assert event.event_type == "probe.checked"
    assert PROBE.read(event.payload).what == "x"


@pytest.mark.django_db
def test_the_catalogue_is_published_with_each_payload_schema():
    response = APIClient().get("/api/v1/event-types/")
    assert response.status_code == 200
    listed = {entry["event_type"]: entry for entry in response.json()}
    assert set(listed) == set(CATALOGUE)
    probe = listed["probe.checked"]
    assert probe["subject_type"] == "probe"
    assert probe["payload_schema"]["additionalProperties"] is False
    assert probe["payload_schema"]["required"] == ["what"]


def test_docs_events_md_matches_the_declarations():
    """`python manage.py event_catalogue --write` regenerates the file after a change."""
    doc = Path(settings.BASE_DIR, "docs", "events.md").read_text(encoding="utf-8")
    declared_by_code = [e for e in CATALOGUE.values() if ".tests." not in e.payload.__module__]
    assert doc == markdown(declared_by_code)
