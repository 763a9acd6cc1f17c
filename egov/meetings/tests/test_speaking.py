"""Registration to speak: served in the order of the requests, a closed list refuses new ones
(those waiting are still called), only the chair or secretary gives the floor."""

from __future__ import annotations

import pytest

from egov.cases import TransitionRefused
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.events.models import Event
from egov.meetings.models import AgendaItem, Meeting, MeetingStatus, SpeakingRequest
from egov.meetings.services.session import open_meeting, start_item
from egov.meetings.services.speaking import (
    call_next_speaker,
    close_speakers,
    finish_speaker,
    queue,
    request_to_speak,
    withdraw_request,
)

from .conftest import actor

pytestmark = pytest.mark.django_db


def _in_session(make_meeting) -> tuple[Meeting, list[AgendaItem]]:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    return meeting, list(meeting.items.order_by("position"))


def _speakers(name: str, meeting: Meeting) -> list[str]:
    rows = Event.objects.filter(
        subject_type="meeting", subject_id=str(meeting.pk), event_type=name
    ).order_by("id")
    return [e.payload["speaker"] for e in rows]


def test_queue_is_served_in_request_order(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting, items = _in_session(make_meeting)
    first, second, third = board.members[2], board.members[0], board.members[1]
    for member in (first, second, third):
        request_to_speak(actor=actor(member), item=items[0], topic=f"Ý kiến {member.pk}")
    open_meeting(actor=actor(board.chair), meeting=meeting)

    called = call_next_speaker(actor=actor(board.chair), item=items[0])
    assert called.participant.official == first and called.status == "speaking"
    assert [r.participant.official for r in queue(items[0])] == [first, second, third]
    # Calling the next ends the speech going on.
    call_next_speaker(actor=actor(board.secretary), item=items[0])
    called.refresh_from_db()
    assert called.status == "done" and called.finished_at is not None
    speaking_now = SpeakingRequest.objects.get(item=items[0], status="speaking")
    finish_speaker(actor=actor(board.chair), request=speaking_now)
    call_next_speaker(actor=actor(board.chair), item=items[0])

    assert _speakers("meeting.speaker_called", meeting) == ["uyvien3", "uyvien1", "uyvien2"]
    assert _speakers("meeting.speaker_finished", meeting) == ["uyvien3", "uyvien1"]
    with pytest.raises(DomainError) as refused:
        call_next_speaker(actor=actor(board.chair), item=items[0])
    assert refused.value.code == "meeting_invalid"
    # Once done, a member may ask again: a new place at the end.
    request_to_speak(actor=actor(first), item=items[0])
    assert [r.participant.official for r in queue(items[0])] == [third, first]


def test_already_waiting_is_refused(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    _meeting, items = _in_session(make_meeting)
    member = board.members[0]
    request_to_speak(actor=actor(member), item=items[0])
    with pytest.raises(DomainError) as refused:
        request_to_speak(actor=actor(member), item=items[0], topic="lần hai")
    assert refused.value.code == "already_registered"
    assert SpeakingRequest.objects.filter(item=items[0]).count() == 1
    # Another item is another list.
    request_to_speak(actor=actor(member), item=items[1])


def test_closed_list_refuses_new_requests_and_still_calls_those_waiting(
    board, make_meeting
) -> None:  # type: ignore[no-untyped-def]
    meeting, items = _in_session(make_meeting)
    early = board.members[0]
    request_to_speak(actor=actor(early), item=items[0])
    open_meeting(actor=actor(board.chair), meeting=meeting)
    close_speakers(actor=actor(board.chair), item=items[0])
    items[0].refresh_from_db()
    assert items[0].speakers_open is False

    with pytest.raises(DomainError) as refused:
        request_to_speak(actor=actor(board.members[1]), item=items[0])
    assert refused.value.code == "speakers_closed"
    assert SpeakingRequest.objects.filter(item=items[0]).count() == 1
    assert call_next_speaker(actor=actor(board.chair), item=items[0]).participant.official == early
    # Closing twice says so; the other items still take requests.
    with pytest.raises(DomainError):
        close_speakers(actor=actor(board.chair), item=items[0])
    request_to_speak(actor=actor(board.members[1]), item=items[1])


def test_member_cannot_call_finish_or_close(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting, items = _in_session(make_meeting)
    member = board.members[0]
    mine = request_to_speak(actor=actor(member), item=items[0])
    open_meeting(actor=actor(board.chair), meeting=meeting)
    with pytest.raises(NotAllowed):
        call_next_speaker(actor=actor(member), item=items[0])
    with pytest.raises(NotAllowed):
        close_speakers(actor=actor(member), item=items[0])
    call_next_speaker(actor=actor(board.chair), item=items[0])
    with pytest.raises(NotAllowed):
        finish_speaker(actor=actor(board.members[1]), request=mine)
    mine.refresh_from_db()
    assert mine.status == "speaking"
    items[0].refresh_from_db()
    assert items[0].speakers_open is True
    # An outsider does not even find the meeting.
    with pytest.raises(NotFoundError):
        call_next_speaker(actor=actor(board.outsider), item=items[0])
    with pytest.raises(NotFoundError):
        request_to_speak(actor=actor(board.outsider), item=items[0])


def test_withdraw_only_ones_own_waiting_request(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting, items = _in_session(make_meeting)
    mine = request_to_speak(actor=actor(board.members[0]), item=items[0])
    with pytest.raises(NotAllowed):
        withdraw_request(actor=actor(board.members[1]), request=mine)
    withdraw_request(actor=actor(board.members[0]), request=mine)
    mine.refresh_from_db()
    assert mine.status == "withdrawn"
    assert queue(items[0]) == []
    with pytest.raises(DomainError):
        withdraw_request(actor=actor(board.members[0]), request=mine)
    assert _speakers("meeting.speaker_withdrawn", meeting) == ["uyvien1"]


def test_speakers_only_on_the_item_being_discussed_and_not_before_invitations(
    board, make_meeting
) -> None:  # type: ignore[no-untyped-def]
    meeting, items = _in_session(make_meeting)
    request_to_speak(actor=actor(board.members[0]), item=items[1])
    open_meeting(actor=actor(board.chair), meeting=meeting)
    with pytest.raises(DomainError):
        call_next_speaker(actor=actor(board.chair), item=items[1])
    start_item(actor=actor(board.chair), meeting=meeting, item=items[1])
    call_next_speaker(actor=actor(board.chair), item=items[1])
    # An item discussed already takes no new request.
    start_item(actor=actor(board.chair), meeting=meeting, item=items[2])
    with pytest.raises(DomainError):
        request_to_speak(actor=actor(board.members[1]), item=items[1])

    draft = make_meeting(title="Chưa gửi giấy mời")
    with pytest.raises(TransitionRefused):
        request_to_speak(actor=actor(board.members[0]), item=draft.items.first())


def test_member_who_declined_cannot_ask(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    from egov.meetings.services.attendance import answer_invitation

    meeting, items = _in_session(make_meeting)
    member = board.members[0]
    answer_invitation(actor=actor(member), meeting=meeting, response="declined", reason="Ốm")
    with pytest.raises(DomainError):
        request_to_speak(actor=actor(member), item=items[0])
    assert not SpeakingRequest.objects.exists()
