"""The secretariat prepares a meeting, sends the invitations (e-mail with the ICS, SMS,
in-app), sends every change again, cancels, and reminders go out once; what the services
refuse changes nothing."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from egov.accounts.services import create_api_client
from egov.core.actors import SYSTEM, actor_for_api_client
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.events.models import Event, OutboxMessage
from egov.meetings.models import AgendaItem, Material, Meeting, MeetingStatus, Participant
from egov.meetings.services import meetings as svc
from egov.org.models import Role

from .conftest import actor
from .secretariat_helpers import (
    at,
    attendees,
    calendar_of,
    details,
    messages,
    reachable,
    state,
    vevent,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(board):  # type: ignore[no-untyped-def]
    reachable(board)
    return board


def _events(meeting: Meeting, name: str) -> list[Event]:
    return list(
        Event.objects.filter(subject_type="meeting", subject_id=str(meeting.pk), event_type=name)
    )


def _with_agenda(board, meeting: Meeting) -> Meeting:  # type: ignore[no-untyped-def]
    for title in ("Báo cáo kinh tế - xã hội quý I", "Kế hoạch đầu tư công", "Các vấn đề khác"):
        svc.add_item(actor=actor(board.secretariat), meeting=meeting, title=title)
    meeting.refresh_from_db()
    return meeting


# --- creating ------------------------------------------------------------------------------------


def test_secretariat_creates_a_meeting_with_its_participants(board) -> None:  # type: ignore[no-untyped-def]
    meeting = svc.create_meeting(actor=actor(board.secretariat), data=details(board))
    assert meeting.status == MeetingStatus.DRAFT and meeting.agency == board.agency
    assert meeting.rule.code == "ubnd"  # the default rule
    # Entered at 08:00 in Hà Nội, stored as 01:00 UTC.
    assert meeting.starts_at.astimezone(UTC).hour == 1
    roles = dict(meeting.participants.values_list("official__user__username", "role"))
    assert roles["chutich"] == Participant.Role.CHAIR
    assert roles["thuky"] == Participant.Role.SECRETARY
    assert roles["khachmoi"] == Participant.Role.GUEST
    assert sorted(u for u, r in roles.items() if r == "member") == [
        f"uyvien{i}" for i in range(1, 7)
    ]
    (created,) = _events(meeting, "meeting.created")
    assert created.payload["chair"] == "chutich"
    # Nothing is sent before publishing.
    assert messages(meeting) == []


def test_the_chair_listed_among_members_takes_part_once_as_chair(board) -> None:  # type: ignore[no-untyped-def]
    data = details(board, members=[board.chair, board.members[0]], guests=[])
    meeting = svc.create_meeting(actor=actor(board.secretariat), data=data)
    assert meeting.participants.filter(official=board.chair).get().role == "chair"
    assert meeting.participants.count() == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_at": "start"}, "ends_at"),
        ({"starts_at": "past"}, "starts_at"),
        ({"members": "chair_only"}, "members"),
        ({"secretary": "chair"}, "secretary"),
        ({"title": "x" * 301}, "title"),
        ({"title": "   "}, "title"),
        ({"place": "", "online_link": ""}, "place"),
        ({"online_link": "javascript:alert(1)"}, "online_link"),
        ({"kind": "party"}, "kind"),
        ({"guests": "a_member"}, "guests"),
        ({"ends_at": "next_month"}, "ends_at"),
    ],
)
def test_bad_details_are_refused_and_nothing_is_created(board, change, field) -> None:  # type: ignore[no-untyped-def]
    values = dict(change)
    specials = {
        ("ends_at", "start"): at(10, 8),
        ("ends_at", "next_month"): at(40, 8),
        ("starts_at", "past"): timezone.now() - timedelta(minutes=5),
        ("members", "chair_only"): [board.chair],
        ("secretary", "chair"): board.chair,
        ("guests", "a_member"): [board.members[0]],
    }
    for key, value in change.items():
        if (key, value) in specials:
            values[key] = specials[(key, value)]
    if field == "starts_at":
        values["ends_at"] = timezone.now() + timedelta(hours=1)
    before = state()
    with pytest.raises(svc.MeetingError) as refused:
        svc.create_meeting(actor=actor(board.secretariat), data=details(board, **values))
    assert refused.value.code == "meeting_invalid"
    assert field in refused.value.fields
    assert state() == before


def test_only_a_secretariat_creates_meetings(board, other_agency, make_official) -> None:  # type: ignore[no-untyped-def]
    before = state()
    for who in (board.members[0], board.chair, board.outsider):
        with pytest.raises(NotAllowed):
            svc.create_meeting(actor=actor(who), data=details(board))
    client, _token = create_api_client(
        actor=SYSTEM, name="Lịch họp", scopes=["meetings:write"], agency=board.agency
    )
    with pytest.raises(NotAllowed):
        svc.create_meeting(actor=actor_for_api_client(client), data=details(board))
    assert state()["meetings"] == before["meetings"]
    # Another agency's secretariat creates meetings of its own agency, not of this one.
    theirs = make_official(other_agency, roles=[Role.SECRETARIAT], username="vanphongstp")
    meeting = svc.create_meeting(actor=actor(theirs), data=details(board))
    assert meeting.agency == other_agency


# --- editing -------------------------------------------------------------------------------------


def test_attacks_on_someone_elses_meeting_change_nothing(  # type: ignore[no-untyped-def]
    board, make_meeting, other_agency, make_official
) -> None:
    meeting = make_meeting()
    stranger = make_official(other_agency, roles=[Role.SECRETARIAT], username="vanphongkhac")
    item = meeting.items.first()
    before = state()
    attempts = [
        lambda a: svc.update_meeting(actor=a, meeting=meeting, data=details(board)),
        lambda a: svc.set_participants(actor=a, meeting=meeting, members=[board.members[0]]),
        lambda a: svc.add_item(actor=a, meeting=meeting, title="Nội dung chen vào"),
        lambda a: svc.update_item(actor=a, item=item, title="Sửa trộm"),
        lambda a: svc.move_item(actor=a, item=item, position=3),
        lambda a: svc.remove_item(actor=a, item=item),
        lambda a: svc.publish(actor=a, meeting=meeting),
        lambda a: svc.cancel(actor=a, meeting=meeting, reason="Phá đám"),
    ]
    for attempt in attempts:
        # A member or the chair: they see the meeting, but it is not theirs to prepare.
        for who in (board.members[0], board.chair, board.guest):
            with pytest.raises(NotAllowed):
                attempt(actor(who))
        # An outsider and another agency's secretariat do not even find it.
        for who in (board.outsider, stranger):
            with pytest.raises(NotFoundError):
                attempt(actor(who))
    assert state() == before


def test_update_details_and_stale_version(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    seen = meeting.version
    data = details(board, starts_at=at(5, 14), ends_at=at(5, 17), members=[], guests=[])
    meeting = svc.update_meeting(
        actor=actor(board.secretariat), meeting=meeting, data=data, expected_version=seen
    )
    assert meeting.starts_at == at(5, 14) and meeting.version == seen + 1
    (updated,) = _events(meeting, "meeting.updated")
    assert set(updated.payload["changed"]) == {"details", "time", "place"}
    before = state()
    with pytest.raises(DomainError) as stale:
        svc.update_meeting(
            actor=actor(board.secretariat),
            meeting=meeting,
            data=details(board, title="Tên khác"),
            expected_version=seen,
        )
    assert stale.value.code == "stale_version"
    # The same details again: no new version, no event.
    again = svc.update_meeting(actor=actor(board.secretariat), meeting=meeting, data=data)
    assert again.version == meeting.version
    assert state() == before


def test_changing_the_chair_keeps_the_members(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    new_chair = board.members[0]
    svc.update_meeting(
        actor=actor(board.secretariat),
        meeting=meeting,
        data=details(board, chair=new_chair, starts_at=meeting.starts_at, ends_at=meeting.ends_at),
    )
    roles = dict(meeting.participants.values_list("official__user__username", "role"))
    assert roles["uyvien1"] == "chair" and "chutich" not in roles
    assert sum(1 for r in roles.values() if r == "member") == 5


def test_set_participants_with_guest_items(
    board, make_meeting, make_official, other_agency
) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    director = make_official(other_agency, roles=[Role.LEADER], username="giamdocstp")
    items = list(meeting.items.order_by("position"))
    svc.set_participants(
        actor=actor(board.secretariat),
        meeting=meeting,
        members=board.members[:3],
        guests=[(director, [items[0], items[2]]), board.guest],
    )
    rows = {p.official.user.username: p for p in meeting.participants.all()}
    assert set(rows) == {
        "chutich",
        "thuky",
        "uyvien1",
        "uyvien2",
        "uyvien3",
        "giamdocstp",
        "khachmoi",
    }
    assert sorted(i.position for i in rows["giamdocstp"].items.all()) == [1, 3]
    assert rows["khachmoi"].items.count() == 0
    # A guest can only be invited to this meeting's items; a member is needed.
    other = make_meeting(title="Cuộc họp khác")
    before = state()
    with pytest.raises(svc.MeetingError) as refused:
        svc.set_participants(
            actor=actor(board.secretariat),
            meeting=meeting,
            members=board.members[:3],
            guests=[(director, [other.items.first()])],
        )
    assert "guests" in refused.value.fields
    with pytest.raises(svc.MeetingError) as refused:
        svc.set_participants(actor=actor(board.secretariat), meeting=meeting, members=[])
    assert "members" in refused.value.fields
    assert state() == before


# --- the agenda ----------------------------------------------------------------------------------


def test_agenda_add_edit_move_remove(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    sec = actor(board.secretariat)
    fourth = svc.add_item(
        actor=sec,
        meeting=meeting,
        title="Tờ trình quy hoạch",
        presenter=board.members[3],
        duration_minutes=45,
        description="Sở Kế hoạch và Đầu tư trình bày",
    )
    assert fourth.position == 4
    svc.update_item(
        actor=sec, item=fourth, title="Tờ trình điều chỉnh quy hoạch", duration_minutes=30
    )
    svc.move_item(actor=sec, item=fourth, position=1)
    titles = list(meeting.items.order_by("position").values_list("title", flat=True))
    assert titles == ["Tờ trình điều chỉnh quy hoạch", "Nội dung 1", "Nội dung 2", "Nội dung 3"]
    second = meeting.items.get(title="Nội dung 2")
    material = Material.objects.create(
        meeting=meeting, item=second, title="Báo cáo", created_by=board.secretariat
    )
    svc.remove_item(actor=sec, item=second)
    material.refresh_from_db()
    assert material.item is None  # the paper stays with the meeting
    assert list(meeting.items.order_by("position").values_list("position", "title")) == [
        (1, "Tờ trình điều chỉnh quy hoạch"),
        (2, "Nội dung 1"),
        (3, "Nội dung 3"),
    ]
    assert len(_events(meeting, "meeting.updated")) == 4


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 601}, "duration_minutes"),
        ({"description": "x" * 5001}, "description"),
    ],
)
def test_bad_items_are_refused(board, make_meeting, kwargs, field) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    item = meeting.items.first()
    values = {"title": "Nội dung hợp lệ", **kwargs}
    before = state()
    with pytest.raises(svc.MeetingError) as refused:
        svc.add_item(actor=actor(board.secretariat), meeting=meeting, **values)
    assert field in refused.value.fields
    with pytest.raises(svc.MeetingError):
        svc.update_item(actor=actor(board.secretariat), item=item, **values)
    with pytest.raises(svc.MeetingError):
        svc.move_item(actor=actor(board.secretariat), item=item, position=9)
    assert state() == before


# --- publishing ----------------------------------------------------------------------------------


def test_publish_sends_email_sms_and_inapp_with_the_ics(board) -> None:  # type: ignore[no-untyped-def]
    meeting = svc.create_meeting(actor=actor(board.secretariat), data=details(board))
    _with_agenda(board, meeting)
    svc.set_participants(
        actor=actor(board.secretariat),
        meeting=meeting,
        members=board.members,
        guests=[(board.guest, [meeting.items.get(position=2)])],
    )
    meeting = svc.publish(actor=actor(board.secretariat), meeting=meeting)
    assert meeting.status == MeetingStatus.PUBLISHED and meeting.ical_sequence == 0
    people = 9  # chair, secretary, six members, the guest
    emails = messages(meeting, "email")
    assert len(emails) == people
    assert len(messages(meeting, "sms")) == people
    assert len(messages(meeting, "meeting_notice")) == people
    by_address = {m.payload["to"]: m for m in emails}
    member = by_address["uyvien1@quangninh.gov.vn"]
    assert member.payload["subject"].startswith("Giấy mời họp:")
    event = vevent(calendar_of(member))
    assert event["SEQUENCE"] == 0 and str(event["UID"]) == meeting.ical_uid
    assert "3. Các vấn đề khác" in str(event["DESCRIPTION"])
    # The guest's invitation lists only the item they are invited to.
    guest_text = str(vevent(calendar_of(by_address["khachmoi@quangninh.gov.vn"]))["DESCRIPTION"])
    assert "2. Kế hoạch đầu tư công" in guest_text and "Các vấn đề khác" not in guest_text
    sms = messages(meeting, "sms")[0].payload
    assert sms["to"].startswith("+8491234") and len(sms["text"]) <= 300
    assert not meeting.participants.filter(invited_at=None).exists()
    (published,) = _events(meeting, "meeting.published")
    assert published.payload["invitees"] == people and published.payload["sequence"] == 0


def test_publish_refuses_an_incomplete_meeting(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(items=0)
    before = state()
    with pytest.raises(svc.MeetingError) as refused:
        svc.publish(actor=actor(board.secretariat), meeting=meeting)
    assert "agenda" in refused.value.fields
    assert state() == before


def test_republish_sends_changes_cancels_the_removed_and_invites_the_added(  # type: ignore[no-untyped-def]
    board, make_meeting
) -> None:
    meeting = make_meeting()
    sec = actor(board.secretariat)
    svc.publish(actor=sec, meeting=meeting)
    assert svc.pending_changes(meeting) == []
    before = state()
    with pytest.raises(svc.MeetingError):
        svc.republish(actor=sec, meeting=meeting)  # nothing changed yet
    assert state() == before

    meeting.refresh_from_db()
    svc.update_meeting(
        actor=sec,
        meeting=meeting,
        data=details(board, starts_at=at(4, 14), ends_at=at(4, 16), members=[], guests=[]),
    )
    svc.set_participants(
        actor=sec, meeting=meeting, members=[*board.members[:5], board.outsider], guests=[]
    )
    svc.add_item(actor=sec, meeting=meeting, title="Nội dung bổ sung")
    changes = svc.pending_changes(meeting)
    parts = {c.part for c in changes}
    assert {"time", "place", "participants", "agenda"} <= parts
    texts = " | ".join(c.text for c in changes)
    assert "Thôi mời: Cán bộ" in texts and "Thêm nội dung: Nội dung bổ sung" in texts

    meeting = svc.republish(actor=sec, meeting=meeting, note="Đổi sang buổi chiều")
    assert meeting.ical_sequence == 1 and svc.pending_changes(meeting) == []
    emails = {
        m.payload["to"]: m for m in messages(meeting, "email") if ":seq:1" in m.idempotency_key
    }
    removed = calendar_of(emails["uyvien6@quangninh.gov.vn"])
    assert removed["METHOD"] == "CANCEL"
    event = vevent(removed)
    assert event["SEQUENCE"] == 1 and "STATUS" not in event  # uninvited, not cancelled
    assert [str(a) for a in attendees(event)] == ["mailto:uyvien6@quangninh.gov.vn"]
    added = emails["nguoingoai@quangninh.gov.vn"]
    assert added.payload["subject"].startswith("Giấy mời họp:")
    assert calendar_of(added)["METHOD"] == "REQUEST"
    kept = emails["uyvien1@quangninh.gov.vn"]
    assert kept.payload["subject"].startswith("Thay đổi cuộc họp:")
    assert "Đổi sang buổi chiều" in kept.payload["body"] and "Thời gian:" in kept.payload["body"]
    update = vevent(calendar_of(kept))
    assert update["SEQUENCE"] == 1 and str(update["STATUS"]) == "CONFIRMED"
    # 14:00 in Hà Nội is 07:00 UTC.
    assert update.decoded("DTSTART").astimezone(UTC).hour == 7
    (republished,) = _events(meeting, "meeting.republished")
    assert republished.payload["sequence"] == 1


def test_cancel_sends_method_cancel_to_everyone(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    sec = actor(board.secretariat)
    svc.publish(actor=sec, meeting=meeting)
    before = state()
    with pytest.raises(svc.MeetingError) as refused:
        svc.cancel(actor=sec, meeting=meeting, reason="  ")
    assert "reason" in refused.value.fields
    assert state() == before
    meeting = svc.cancel(actor=sec, meeting=meeting, reason="Lãnh đạo đi công tác đột xuất")
    assert meeting.status == MeetingStatus.CANCELLED and meeting.ical_sequence == 1
    cancels = [m for m in messages(meeting, "email") if ":cancelled:" in m.idempotency_key]
    assert len(cancels) == 9
    cal = calendar_of(cancels[0])
    assert cal["METHOD"] == "CANCEL"
    assert str(vevent(cal)["STATUS"]) == "CANCELLED" and vevent(cal)["SEQUENCE"] == 1
    assert "Lãnh đạo đi công tác đột xuất" in cancels[0].payload["body"]
    (cancelled,) = _events(meeting, "meeting.cancelled")
    assert cancelled.payload["reason"] == "Lãnh đạo đi công tác đột xuất"
    # A cancelled meeting is not edited or sent again.
    with pytest.raises(DomainError):
        svc.add_item(actor=sec, meeting=meeting, title="Muộn rồi")


def test_cancelling_a_draft_tells_nobody(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = svc.cancel(
        actor=actor(board.secretariat), meeting=make_meeting(), reason="Trùng lịch"
    )
    assert meeting.status == MeetingStatus.CANCELLED and messages(meeting) == []


# --- reminders -----------------------------------------------------------------------------------


def test_reminders_go_out_once_to_those_who_did_not_decline(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(starts_in=timedelta(days=3))
    svc.publish(actor=actor(board.secretariat), meeting=meeting)
    # One member declines and sends a delegate; another declines without one.
    Participant.objects.filter(meeting=meeting, official=board.members[0]).update(
        response="declined", delegate=board.outsider
    )
    Participant.objects.filter(meeting=meeting, official=board.members[1]).update(
        response="declined"
    )
    start = meeting.starts_at
    assert svc.send_reminders(now=start - timedelta(days=2)) == 0
    day = svc.send_reminders(now=start - timedelta(hours=23))
    assert day == 8  # nine invited, two declined, one delegate
    assert svc.send_reminders(now=start - timedelta(hours=22)) == 0
    hour = svc.send_reminders(now=start - timedelta(minutes=50))
    assert hour == 8
    assert svc.send_reminders(now=start - timedelta(minutes=10)) == 0
    reminded = [m for m in messages(meeting, "meeting_notice") if ":remind_" in m.idempotency_key]
    officials = {m.payload["official"] for m in reminded}
    assert board.members[1].pk not in officials and board.members[0].pk not in officials
    assert board.outsider.pk in officials
    kinds = [e.payload["reminder"] for e in _events(meeting, "meeting.reminded")]
    assert kinds == ["day_before", "hour_before"]


def test_a_meeting_published_within_the_day_gets_only_the_hour_reminder(
    board, make_meeting
) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(starts_in=timedelta(hours=5))
    svc.publish(actor=actor(board.secretariat), meeting=meeting)
    assert svc.send_reminders() == 0
    meeting.refresh_from_db()
    assert meeting.reminded_day_at is not None
    assert svc.send_reminders(now=meeting.starts_at - timedelta(minutes=30)) == 9


def test_moving_the_meeting_makes_the_reminders_due_again(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(starts_in=timedelta(hours=20))
    sec = actor(board.secretariat)
    svc.publish(actor=sec, meeting=meeting)
    meeting.refresh_from_db()
    Meeting.objects.filter(pk=meeting.pk).update(
        published_snapshot={**meeting.published_snapshot, "sent_at": "2000-01-01T00:00:00+00:00"}
    )
    assert svc.send_reminders() == 9
    meeting.refresh_from_db()
    svc.update_meeting(
        actor=sec,
        meeting=meeting,
        data=details(
            board,
            starts_at=meeting.starts_at + timedelta(days=2),
            ends_at=meeting.ends_at + timedelta(days=2),
            place=meeting.place,
        ),
    )
    svc.republish(actor=sec, meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.reminded_day_at is None
    assert svc.send_reminders(now=meeting.starts_at - timedelta(hours=12)) == 9
    reminders = OutboxMessage.objects.filter(
        idempotency_key__contains=":remind_day:", topic="email"
    )
    assert reminders.count() == 18  # nine people, once for each time the meeting was set


def test_items_of_a_cancelled_or_missing_meeting_are_not_found(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    item = AgendaItem.objects.filter(meeting=meeting).first()
    assert item is not None
    item_id = item.pk
    item.delete()
    with pytest.raises(NotFoundError):
        svc.remove_item(actor=actor(board.secretariat), item=item_id)  # type: ignore[arg-type]
