"""Invitations and results are announced to the configured webhook through the outbox, with
the event's hash as the idempotency key; nothing is queued when no webhook is configured."""

from __future__ import annotations

import pytest
from django.test import override_settings

from egov.events.models import Event, OutboxMessage
from egov.meetings.services import meetings as svc

from .conftest import actor

pytestmark = pytest.mark.django_db
URL = "https://dieuhanh.example.vn/hooks/meetings"


def _webhooks() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(topic=OutboxMessage.Topic.WEBHOOK))


def test_publishing_is_announced_once(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    with override_settings(MEETINGS_WEBHOOK_URL=URL):
        svc.publish(actor=actor(board.secretariat), meeting=meeting)
    [message] = _webhooks()
    event = Event.objects.get(event_type="meeting.published", subject_id=str(meeting.pk))
    body = message.payload["body"]
    assert message.payload["url"] == URL
    assert body["type"] == "meeting.published" and body["id"] == event.hash
    assert body["subject"] == f"meeting/{meeting.pk}" and body["data"]["title"] == meeting.title
    assert message.idempotency_key == f"meetings:webhook:{event.hash}"


def test_no_webhook_without_a_url(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    svc.publish(actor=actor(board.secretariat), meeting=make_meeting())
    assert _webhooks() == []
