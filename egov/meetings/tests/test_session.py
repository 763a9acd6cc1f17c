"""The meeting in session: opened by the chair or secretary with its first item, moved from
item to item, closed with the requests still waiting recorded as not called."""

from __future__ import annotations

import pytest

from egov.cases import TransitionRefused
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.events.models import Event
from egov.meetings.models import AgendaItem, Meeting, MeetingStatus, SpeakingRequest
from egov.meetings.services.session import (
    close_meeting,
    next_item,
    open_meeting,
    room_token,
    start_item,
)
from egov.meetings.services.speaking import call_next_speaker, request_to_speak

from .conftest import actor

pytestmark = pytest.mark.django_db


def _types(meeting: Meeting) -> list[str]:
    return list(
        Event.objects.filter(subject_type="meeting", subject_id=str(meeting.pk))
        .order_by("id")
        .values_list("event_type", flat=True)
    )


def test_open_move_and_close(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    first, second, third = meeting.items.order_by("position")
    token = room_token(meeting)

    open_meeting(actor=actor(board.secretary), meeting=meeting)
    meeting.refresh_from_db()
    first.refresh_from_db()
    assert meeting.status == "in_session" and meeting.opened_at is not None
    assert meeting.current_item == first and first.status == "current"
    assert next_item(meeting) == second
    assert room_token(meeting) != token

    start_item(actor=actor(board.chair), meeting=meeting, item=second)
    meeting.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert meeting.current_item == second
    assert (first.status, second.status) == ("done", "current")
    assert next_item(meeting) == third
    with pytest.raises(DomainError):
        start_item(actor=actor(board.chair), meeting=meeting, item=second)

    # Back to an item discussed before: the chair may.
    start_item(actor=actor(board.chair), meeting=meeting, item=first)
    first.refresh_from_db()
    assert first.status == "current"

    close_meeting(actor=actor(board.chair), meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.status == "closed" and meeting.closed_at is not None
    assert meeting.current_item is None
    assert set(AgendaItem.objects.filter(meeting=meeting).values_list("status", flat=True)) == {
        "done",
        "pending",
    }
    assert _types(meeting) == [
        "meeting.opened",
        "meeting.item_started",
        "meeting.item_started",
        "meeting.item_started",
        "meeting.closed",
    ]


def test_close_ends_the_speech_and_drops_those_waiting(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    first, second, _third = meeting.items.order_by("position")
    speaker = request_to_speak(actor=actor(board.members[0]), item=first)
    waiting = request_to_speak(actor=actor(board.members[1]), item=first)
    later = request_to_speak(actor=actor(board.members[2]), item=second)
    open_meeting(actor=actor(board.chair), meeting=meeting)
    call_next_speaker(actor=actor(board.chair), item=first)

    close_meeting(actor=actor(board.chair), meeting=meeting)
    statuses = dict(
        SpeakingRequest.objects.filter(pk__in=[speaker.pk, waiting.pk, later.pk]).values_list(
            "pk", "status"
        )
    )
    assert statuses == {speaker.pk: "done", waiting.pk: "dropped", later.pk: "dropped"}
    assert _types(meeting).count("meeting.speaker_dropped") == 2


def test_moving_on_ends_the_speech_of_the_previous_item(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    first, second, _third = meeting.items.order_by("position")
    speaker = request_to_speak(actor=actor(board.members[0]), item=first)
    open_meeting(actor=actor(board.chair), meeting=meeting)
    call_next_speaker(actor=actor(board.chair), item=first)
    start_item(actor=actor(board.chair), meeting=meeting, item=second)
    speaker.refresh_from_db()
    assert speaker.status == "done"


def test_only_the_chair_or_secretary_runs_the_meeting(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    first = meeting.items.order_by("position").first()
    for someone in (board.members[0], board.guest, board.secretariat):
        with pytest.raises(NotAllowed):
            open_meeting(actor=actor(someone), meeting=meeting)
    with pytest.raises(NotFoundError):
        open_meeting(actor=actor(board.outsider), meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.status == "published" and meeting.opened_at is None
    assert not _types(meeting)

    open_meeting(actor=actor(board.chair), meeting=meeting)
    with pytest.raises(NotAllowed):
        start_item(actor=actor(board.members[0]), meeting=meeting, item=first)
    with pytest.raises(NotAllowed):
        close_meeting(actor=actor(board.members[0]), meeting=meeting)
    # Opening twice, or an item of another meeting: refused.
    with pytest.raises(TransitionRefused):
        open_meeting(actor=actor(board.chair), meeting=meeting)
    other = make_meeting(MeetingStatus.PUBLISHED, title="Cuộc họp khác")
    with pytest.raises(NotFoundError):
        start_item(actor=actor(board.chair), meeting=meeting, item=other.items.first())


def test_a_draft_or_cancelled_meeting_cannot_open(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    for status in (MeetingStatus.DRAFT, MeetingStatus.CANCELLED):
        meeting = make_meeting(status)
        with pytest.raises(TransitionRefused):
            open_meeting(actor=actor(board.chair), meeting=meeting)
        assert Meeting.objects.get(pk=meeting.pk).status == status
