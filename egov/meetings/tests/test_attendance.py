"""Answering an invitation and recording presence: what the participant, the chair and a
delegate notice; refusals change nothing."""

from __future__ import annotations

import pytest

from egov.cases import TransitionRefused
from egov.conftest import login_client
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.core.scoping import visible_to
from egov.events.models import Event, OutboxMessage
from egov.events.services import dispatch_due
from egov.meetings.models import (
    Material,
    Meeting,
    MeetingNotice,
    MeetingStatus,
    Participant,
    SpeakingRequest,
)
from egov.meetings.services.attendance import answer_invitation, record_presence
from egov.meetings.services.speaking import request_to_speak

from .conftest import actor

pytestmark = pytest.mark.django_db


def _events(meeting: Meeting, name: str) -> list[Event]:
    return list(
        Event.objects.filter(subject_type="meeting", subject_id=str(meeting.pk), event_type=name)
    )


def _seat(meeting: Meeting, official) -> Participant:  # type: ignore[no-untyped-def]
    return Participant.objects.get(meeting=meeting, official=official)


def test_member_confirms_and_the_chair_and_secretary_are_told(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    member = board.members[0]
    answer_invitation(actor=actor(member), meeting=meeting, response="accepted")

    seat = _seat(meeting, member)
    assert seat.response == "accepted" and seat.responded_at is not None
    [event] = _events(meeting, "meeting.attendance_answered")
    assert event.payload["participant"] == "uyvien1" and event.payload["response"] == "accepted"
    dispatch_due()
    for told in (board.chair, board.secretary):
        [notice] = MeetingNotice.objects.filter(official=told)
        assert "xác nhận tham dự" in notice.title and notice.link == f"/hop/{meeting.pk}/"
    assert not MeetingNotice.objects.filter(official=member).exists()
    # An answer is not an edit of the meeting: the secretariat's forms do not go stale.
    assert Meeting.objects.get(pk=meeting.pk).version == meeting.version


def test_decline_without_reason_is_refused_and_nothing_changes(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    member = board.members[1]
    before_outbox = OutboxMessage.objects.count()
    with pytest.raises(DomainError) as refused:
        answer_invitation(actor=actor(member), meeting=meeting, response="declined", reason="  ")
    assert refused.value.code == "meeting_invalid" and "reason" in refused.value.fields
    seat = _seat(meeting, member)
    assert seat.response == "pending" and seat.reason == "" and seat.responded_at is None
    assert not _events(meeting, "meeting.attendance_answered")
    assert OutboxMessage.objects.count() == before_outbox

    # Not an answer at all, and a delegate with a confirmation: refused the same way.
    with pytest.raises(DomainError):
        answer_invitation(actor=actor(member), meeting=meeting, response="maybe")
    with pytest.raises(DomainError) as refused:
        answer_invitation(
            actor=actor(member), meeting=meeting, response="accepted", delegate=board.outsider
        )
    assert "delegate" in refused.value.fields
    assert _seat(meeting, member).response == "pending"


def test_delegate_sees_the_meeting_and_its_open_materials_and_is_told(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    member, deputy = board.members[2], board.outsider
    items = list(meeting.items.order_by("position"))
    public = Material.objects.create(
        meeting=meeting, item=items[0], title="Tờ trình", created_by=board.secretariat
    )
    Material.objects.create(
        meeting=meeting,
        item=items[0],
        title="Báo cáo mật",
        confidential=True,
        created_by=board.secretariat,
    )
    assert not visible_to(actor(deputy), Meeting.objects.filter(pk=meeting.pk)).exists()

    answer_invitation(
        actor=actor(member),
        meeting=meeting,
        response="declined",
        reason="Đi công tác tại Hà Nội",
        delegate=deputy,
    )
    seat = _seat(meeting, member)
    assert seat.response == "declined" and seat.delegate == deputy
    [event] = _events(meeting, "meeting.attendance_answered")
    assert event.payload["delegate"] == "nguoingoai"

    assert visible_to(actor(deputy), Meeting.objects.filter(pk=meeting.pk)).exists()
    seen = list(visible_to(actor(deputy), Material.objects.filter(meeting=meeting)))
    assert seen == [public]
    page = login_client(deputy.user).get(f"/hop/{meeting.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Anh/chị dự họp thay" in text and "Tờ trình" in text and "Báo cáo mật" not in text
    # The delegate takes the member's seat to ask to speak.
    request = request_to_speak(actor=actor(deputy), item=items[0], topic="Ý kiến của Sở")
    assert request.participant == seat

    dispatch_due()
    [notice] = MeetingNotice.objects.filter(official=deputy)
    assert "dự họp thay" in notice.title and "Đi công tác tại Hà Nội" in notice.body
    chair_notice = MeetingNotice.objects.get(official=board.chair)
    assert "báo vắng mặt" in chair_notice.title and "Đi công tác" in chair_notice.title

    # The member changes their mind: the delegate is told, loses the meeting and their request.
    answer_invitation(actor=actor(member), meeting=meeting, response="accepted")
    assert not visible_to(actor(deputy), Meeting.objects.filter(pk=meeting.pk)).exists()
    request.refresh_from_db()
    assert request.status == SpeakingRequest.Status.WITHDRAWN
    dispatch_due()
    assert MeetingNotice.objects.filter(official=deputy, kind="delegate_cancelled").exists()
    assert login_client(deputy.user).get(f"/hop/{meeting.pk}/").status_code == 404


def test_delegate_must_be_someone_else_not_invited(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    member = board.members[0]
    for delegate in (member, board.members[1], board.guest):
        with pytest.raises(DomainError) as refused:
            answer_invitation(
                actor=actor(member),
                meeting=meeting,
                response="declined",
                reason="Bận việc",
                delegate=delegate,
            )
        assert "delegate" in refused.value.fields
    answer_invitation(
        actor=actor(board.members[1]),
        meeting=meeting,
        response="declined",
        reason="Ốm",
        delegate=board.outsider,
    )
    with pytest.raises(DomainError):
        answer_invitation(
            actor=actor(member),
            meeting=meeting,
            response="declined",
            reason="Bận việc",
            delegate=board.outsider,
        )
    # The delegate holds no invitation of their own: they cannot answer for the member.
    with pytest.raises(NotAllowed):
        answer_invitation(actor=actor(board.outsider), meeting=meeting, response="declined")
    assert _seat(meeting, member).response == "pending"


def test_answers_change_until_the_meeting_opens(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    member = board.members[3]
    answer_invitation(actor=actor(member), meeting=meeting, response="declined", reason="Họp Bộ")
    answer_invitation(actor=actor(member), meeting=meeting, response="accepted")
    seat = _seat(meeting, member)
    assert seat.response == "accepted" and seat.reason == ""

    Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.IN_SESSION)
    with pytest.raises(TransitionRefused):
        answer_invitation(actor=actor(member), meeting=meeting, response="declined", reason="x")
    assert _seat(meeting, member).response == "accepted"
    # Nor before the invitations are out, and never by someone not invited.
    draft = make_meeting()
    with pytest.raises(TransitionRefused):
        answer_invitation(actor=actor(member), meeting=draft, response="accepted")
    with pytest.raises(NotFoundError):
        answer_invitation(actor=actor(board.outsider), meeting=meeting, response="accepted")


def test_guest_answers_but_sees_only_their_items(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    items = list(meeting.items.order_by("position"))
    answer_invitation(actor=actor(board.guest), meeting=meeting, response="accepted")
    assert _seat(meeting, board.guest).response == "accepted"

    text = login_client(board.guest.user).get(f"/hop/{meeting.pk}/").content.decode()
    assert "Nội dung 2" in text
    assert "Nội dung 1" not in text and "Nội dung 3" not in text
    with pytest.raises(NotFoundError):
        request_to_speak(actor=actor(board.guest), item=items[0])
    request_to_speak(actor=actor(board.guest), item=items[1])


def test_secretary_records_presence_a_member_cannot(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    seats = {p.official_id: p for p in Participant.objects.filter(meeting=meeting)}
    here = [seats[board.chair.pk], seats[board.secretary.pk], seats[board.members[0].pk]]
    record_presence(actor=actor(board.secretary), meeting=meeting, present=here)

    present = set(
        Participant.objects.filter(meeting=meeting, present=True).values_list("pk", flat=True)
    )
    assert present == {p.pk for p in here}
    assert Participant.objects.filter(meeting=meeting, present=False).count() == len(seats) - 3
    [event] = _events(meeting, "meeting.presence_recorded")
    assert sorted(event.payload["present"]) == ["chutich", "thuky", "uyvien1"]

    with pytest.raises(NotAllowed):
        record_presence(actor=actor(board.members[0]), meeting=meeting, present=[])
    with pytest.raises(NotFoundError):
        record_presence(actor=actor(board.outsider), meeting=meeting, present=[])
    other = make_meeting(MeetingStatus.PUBLISHED, title="Cuộc họp khác")
    stranger_seat = Participant.objects.filter(meeting=other).first()
    with pytest.raises(DomainError) as refused:
        record_presence(
            actor=actor(board.secretary), meeting=meeting, present=[*here, stranger_seat]
        )
    assert "present" in refused.value.fields
    after = set(
        Participant.objects.filter(meeting=meeting, present=True).values_list("pk", flat=True)
    )
    assert after == present
    assert len(_events(meeting, "meeting.presence_recorded")) == 1
