"""GET /api/v1/events/: each caller sees only the events they may see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from egov.accounts.services import create_api_client
from egov.core.actors import SYSTEM
from egov.events.models import Event
from egov.events.services import record_event
from egov.org.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


@pytest.fixture
def log(agency, other_agency, make_citizen):  # type: ignore[no-untyped-def]
    """Citizens registered (events about them) and dossier events in two agencies."""
    alice, bob = make_citizen(), make_citizen()
    with transaction.atomic():
        for i in range(3):
            record_event(
                actor=SYSTEM,
                event_type="dossier.received",
                subject_type="dossier",
                subject_id=f"H41-{i}",
                agency_id=agency.pk,
                payload={"status": i},
            )
        record_event(
            actor=SYSTEM,
            event_type="dossier.received",
            subject_type="dossier",
            subject_id="STP-1",
            agency_id=other_agency.pk,
        )
        record_event(
            actor=SYSTEM,
            event_type="test.user_noted",
            subject_type="user",
            subject_id=alice.pk,
            agency_id=agency.pk,
        )
    return {"alice": alice, "bob": bob}


def as_user(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def as_app(agency=None, scopes=("events:read",)) -> APIClient:  # type: ignore[no-untyped-def]
    _client, token = create_api_client(actor=SYSTEM, name="app", scopes=list(scopes), agency=agency)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def subjects(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [e["subject_id"] for e in response.json()["results"]]


def test_url_name():
    assert reverse("api-event-list") == URL


def test_operator_sees_everything(log, agency, make_official):
    operator = make_official(agency, roles=[Role.OPERATOR]).user
    assert len(subjects(as_user(operator).get(URL))) == Event.objects.count()


def test_official_sees_only_their_agency(log, agency, other_agency, make_official):
    official = make_official(other_agency).user
    seen = subjects(as_user(official).get(URL))
    assert "STP-1" in seen
    assert not {"H41-0", "H41-1", "H41-2", str(log["alice"].pk)} & set(seen)
    assert Event.objects.filter(agency_id=other_agency.pk).count() == len(seen)


def test_citizen_sees_only_events_about_themselves(log):
    alice, bob = log["alice"], log["bob"]
    seen = as_user(alice).get(URL).json()["results"]
    assert seen and {(e["subject_type"], e["subject_id"]) for e in seen} == {
        ("user", str(alice.pk))
    }
    assert {e["event_type"] for e in seen} >= {
        "account.citizen_registered",
        "test.user_noted",
    }
    # Asking for someone else's events explicitly gives nothing, not an error that leaks.
    assert subjects(as_user(alice).get(URL, {"subject_type": "user", "subject_id": bob.pk})) == []
    assert subjects(as_user(alice).get(URL, {"subject_type": "dossier"})) == []


def test_api_client_of_an_agency_sees_that_agency(log, agency):
    seen = subjects(as_app(agency).get(URL))
    assert {"H41-0", "H41-1", "H41-2", str(log["alice"].pk)} <= set(seen)
    assert "STP-1" not in seen
    assert len(seen) == Event.objects.filter(agency_id=agency.pk).count()


def test_api_client_without_agency_sees_nothing(log):
    assert subjects(as_app(None).get(URL)) == []


def test_api_client_without_the_scope_is_refused(log, agency):
    response = as_app(agency, scopes=["org:read"]).get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_anonymous_is_refused(log):
    response = APIClient().get(URL)
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_filters(log, agency, make_official):
    api = as_user(make_official(agency, roles=[Role.OPERATOR]).user)
    assert subjects(api.get(URL, {"subject_type": "dossier", "subject_id": "H41-1"})) == ["H41-1"]
    assert len(subjects(api.get(URL, {"event_type": "dossier.received"}))) == 4
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert subjects(api.get(URL, {"since": future})) == []
    assert len(subjects(api.get(URL, {"since": timezone.localdate().isoformat()}))) >= 5


def test_bad_filter_is_explained(log, agency, make_official):
    api = as_user(make_official(agency, roles=[Role.OPERATOR]).user)
    response = api.get(URL, {"since": "hôm qua"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "since" in response.json()["fields"]
    assert api.get(URL, {"after": "-3"}).status_code == 400


def test_keyset_pagination_walks_every_event_once(log, agency, make_official):
    api = as_user(make_official(agency, roles=[Role.OPERATOR]).user)
    ids: list[int] = []
    response = api.get(URL, {"limit": 2, "event_type": "dossier.received"})
    pages = 0
    while True:
        body = response.json()
        ids += [e["id"] for e in body["results"]]
        pages += 1
        if not body["next"]:
            break
        assert "event_type=dossier.received" in body["next"]
        response = api.get(body["next"])
    assert pages == 2
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 4
    # Resuming after the last id seen gives only newer events.
    with transaction.atomic():
        record_event(
            actor=SYSTEM,
            event_type="dossier.received",
            subject_type="dossier",
            subject_id="H41-new",
            agency_id=agency.pk,
        )
    assert subjects(api.get(URL, {"after": ids[-1], "event_type": "dossier.received"})) == [
        "H41-new"
    ]
