"""Administration: the event log can be read and searched, never changed; dead outbox messages
can be sent again."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction

from egov.core.actors import SYSTEM
from egov.events.models import Event, OutboxMessage
from egov.events.services import enqueue, record_event
from egov.org.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(agency, make_official, login_with_mfa):  # type: ignore[no-untyped-def]
    user = make_official(agency, roles=[Role.OPERATOR]).user
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="events",
            codename__in=[
                "view_event",
                "view_outboxmessage",
                "change_event",
                "delete_event",
                "add_event",
                "change_outboxmessage",
            ],
        )
    )
    login_with_mfa(user)
    return user


def test_event_list_is_searchable_and_filterable(client, operator, agency, other_agency):
    with transaction.atomic():
        record_event(
            actor=SYSTEM,
            event_type="dossier.received",
            subject_type="dossier",
            subject_id="000.00.00.H41-250701-0001",
            agency_id=agency.pk,
        )
        record_event(
            actor=SYSTEM,
            event_type="dossier.returned",
            subject_type="dossier",
            subject_id="000.00.01.H41-250701-0002",
            agency_id=other_agency.pk,
            payload={"method": "counter"},
        )
    page = client.get("/quan-tri/events/event/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "loại sự kiện" in html and agency.name in html  # Vietnamese filters, agency names
    first, second = "dossier:000.00.00.H41-250701-0001", "dossier:000.00.01.H41-250701-0002"
    assert first in html and second in html
    found = client.get("/quan-tri/events/event/", {"q": "000.00.01.H41-250701-0002"})
    assert second in found.content.decode() and first not in found.content.decode()
    by_agency = client.get("/quan-tri/events/event/", {"agency": str(agency.pk)})
    assert first in by_agency.content.decode() and second not in by_agency.content.decode()
    by_type = client.get("/quan-tri/events/event/", {"event_type": "dossier.returned"})
    assert second in by_type.content.decode() and first not in by_type.content.decode()


def test_events_cannot_be_added_changed_or_deleted_in_admin(client, operator, agency):
    with transaction.atomic():
        event = record_event(
            actor=SYSTEM,
            event_type="dossier.received",
            subject_type="dossier",
            subject_id="X",
            agency_id=agency.pk,
        )
    assert client.get("/quan-tri/events/event/add/").status_code == 403
    detail = client.get(f"/quan-tri/events/event/{event.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()  # read-only view
    client.post(f"/quan-tri/events/event/{event.pk}/change/", {"event_type": "x"})
    assert (
        client.post(f"/quan-tri/events/event/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    client.post(
        "/quan-tri/events/event/", {"action": "delete_selected", "_selected_action": [event.pk]}
    )
    event.refresh_from_db()
    assert event.event_type == "dossier.received" and Event.objects.count() >= 1


def test_operator_retries_dead_messages_from_admin(client, operator):
    with transaction.atomic():
        dead = enqueue("webhook", {"url": "http://127.0.0.1:9/"}, idempotency_key="dead-1")
        alive = enqueue("webhook", {"url": "http://127.0.0.1:9/"}, idempotency_key="pending-1")
    OutboxMessage.objects.filter(pk=dead.pk).update(
        status="dead", attempts=12, last_error="HTTP 503"
    )
    listing = client.get("/quan-tri/events/outboxmessage/", {"status__exact": "dead"})
    assert "Hỏng, cần xử lý" in listing.content.decode()
    response = client.post(
        "/quan-tri/events/outboxmessage/",
        {"action": "retry_dead_messages", "_selected_action": [dead.pk, alive.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "Đã đưa 1 tin nhắn vào hàng đợi gửi lại." in text
    assert "Bỏ qua 1 tin nhắn" in text
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == ("pending", 0)
    assert Event.objects.filter(event_type="outbox.retried", actor_user_id=operator.pk).exists()
