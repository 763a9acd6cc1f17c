"""What the secretariat's tests share: the board reachable by e-mail and SMS, times typed in
Asia/Ho_Chi_Minh, the messages a meeting queued and a record of everything a refusal must not
change."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from icalendar import Calendar

from egov.events.models import Event, OutboxMessage
from egov.meetings.models import AgendaItem, Meeting, MeetingNotice, Participant
from egov.meetings.services.meetings import MeetingInput

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def reachable(board: Any) -> None:
    """Every official of the board with an e-mail address and a mobile number."""
    people = [board.secretariat, board.chair, board.secretary, *board.members, board.guest]
    people.append(board.outsider)
    for n, official in enumerate(people, start=1):
        user = official.user
        user.email = f"{user.username}@quangninh.gov.vn"
        user.phone = f"+8491234{n:04d}"
        user.save(update_fields=["email", "phone"])


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """`days` from today at hour:minute in Hà Nội."""
    day = timezone.localdate(timezone.now(), VN) + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=VN)


def details(board: Any, **overrides: Any) -> MeetingInput:
    values: dict[str, Any] = {
        "title": "Phiên họp thường kỳ Ủy ban nhân dân tỉnh tháng 3",
        "kind": "regular",
        "chair": board.chair,
        "secretary": board.secretary,
        "starts_at": at(10, 8),
        "ends_at": at(10, 11, 30),
        "place": "Phòng họp tầng 3, trụ sở Ủy ban nhân dân tỉnh",
        "online_link": "",
        "description": "",
        "members": list(board.members),
        "guests": [board.guest],
    }
    values.update(overrides)
    return MeetingInput(**values)


def messages(meeting: Meeting, topic: str | None = None) -> list[OutboxMessage]:
    rows = OutboxMessage.objects.filter(idempotency_key__startswith=f"meeting:{meeting.pk}:")
    if topic:
        rows = rows.filter(topic=topic)
    return list(rows.order_by("id"))


def calendar_of(message: OutboxMessage) -> Calendar:
    (attachment,) = message.payload["attachments"]
    assert attachment["content_type"].startswith("text/calendar")
    return Calendar.from_ical(attachment["content"])


def vevent(cal: Calendar) -> Any:
    (event,) = cal.walk("VEVENT")
    return event


def state() -> dict[str, Any]:
    """Everything an action could change (compared before and after a refusal)."""
    found: dict[str, Any] = {
        "meetings": list(Meeting.objects.order_by("pk").values()),
        "participants": list(Participant.objects.order_by("pk").values()),
        "items": list(AgendaItem.objects.order_by("pk").values()),
        "guest_items": list(Participant.items.through.objects.order_by("pk").values()),
        "events": Event.objects.count(),
        "outbox": OutboxMessage.objects.count(),
        "notices": MeetingNotice.objects.count(),
    }
    return found


def attendees(event: Any) -> list[Any]:
    """The ATTENDEE values of a VEVENT (icalendar gives one value alone, not in a list)."""
    found = event.get("ATTENDEE")
    if found is None:
        return []
    return list(found) if isinstance(found, list) else [found]
