"""Telling officials about meetings, consultations and tasks: in-app, e-mail and SMS, all
through the transactional outbox of the action that decided it (sent only if it commits, at
least once, each message with an idempotency key so a retry is recognised).

In-app notices are an outbox topic too (`meeting_notice`): the deliverer below writes the
`MeetingNotice` row, once per key, so every channel has the same guarantees and the same log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings

from egov.cases import Action
from egov.events.models import OutboxMessage
from egov.events.services import PermanentDeliveryError, register_deliverer
from egov.org.models import Official

from ..models import MeetingNotice

NOTICE_TOPIC = OutboxMessage.Topic.MEETING_NOTICE
SMS_LIMIT = 300


def absolute(path: str) -> str:
    """A link for an e-mail or SMS (PUBLIC_BASE_URL + path; the path alone without it)."""
    base = (getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else path


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return f"{cut}…"


def notify(
    act: Action[Any],
    official: Official,
    *,
    key: str,
    kind: str,
    title: str,
    body: str,
    link: str,
    sms: bool = True,
    email: bool = True,
    attachments: Sequence[dict[str, str]] = (),
) -> None:
    """One notice to one official on every channel they have. `key` is unique for this notice
    (e.g. "meeting:12:invite:3:seq:0"); each channel adds its suffix. `attachments`: text files
    for the e-mail (the ICS invitation)."""
    act.enqueue(
        NOTICE_TOPIC,
        {
            "official": official.pk,
            "kind": kind,
            "title": title[:300],
            "body": body,
            "link": link[:300],
        },
        idempotency_key=f"{key}:inapp",
    )
    user = official.user
    url = absolute(link)
    if email and user.email:
        act.enqueue(
            OutboxMessage.Topic.EMAIL,
            {
                "to": user.email,
                "subject": title[:200],
                "body": f"{body}\n\n{url}",
                "attachments": list(attachments),
            },
            idempotency_key=f"{key}:email",
        )
    phone = getattr(user, "phone", "")
    if sms and phone:
        # Shortened at a word boundary; the link is kept whole.
        text = f"{_shorten(title, SMS_LIMIT - len(url) - 2)}. {url}" if url else title
        act.enqueue(
            OutboxMessage.Topic.SMS,
            {"to": phone, "text": text},
            idempotency_key=f"{key}:sms",
        )


@register_deliverer(NOTICE_TOPIC)
def deliver_notice(message: OutboxMessage) -> None:
    payload = message.payload
    official = Official.objects.filter(pk=payload.get("official")).first()
    if official is None:
        raise PermanentDeliveryError("Công chức nhận thông báo không còn trong hệ thống.")
    MeetingNotice.objects.get_or_create(
        idempotency_key=message.idempotency_key,
        defaults={
            "official": official,
            "kind": str(payload.get("kind", ""))[:30],
            "title": str(payload.get("title", ""))[:300],
            "body": str(payload.get("body", "")),
            "link": str(payload.get("link", ""))[:300],
        },
    )


# Events other systems may build on (an agency's portal, the operations centre): invitations
# sent, changed or cancelled, and results (a vote closed, minutes signed, a conclusion notice or
# a consultation's result issued). Posted as JSON to MEETINGS_WEBHOOK_URL through the outbox
# (at least once, the event's hash as the idempotency key, signed with
# OUTBOX_WEBHOOK_SIGNING_KEY like every webhook). Per-client subscriptions are issue #18's.
ANNOUNCED = frozenset(
    {
        "meeting.published",
        "meeting.republished",
        "meeting.cancelled",
        "meeting_vote.closed",
        "meeting_minutes.signed",
        "meeting_conclusion.issued",
        "consultation.issued",
    }
)


def announce(act: Action[Any], event: Any) -> None:
    """Queue the webhook for `event` (an Event just recorded by `act`) when one is configured."""
    url = getattr(settings, "MEETINGS_WEBHOOK_URL", "")
    if not url or event.event_type not in ANNOUNCED:
        return
    act.enqueue(
        OutboxMessage.Topic.WEBHOOK,
        {
            "url": url,
            "body": {
                "id": event.hash,
                "type": event.event_type,
                "subject": f"{event.subject_type}/{event.subject_id}",
                "agency": event.agency_id,
                "time": event.occurred_at.isoformat(),
                "data": event.payload,
            },
        },
        idempotency_key=f"meetings:webhook:{event.hash}",
    )
