"""The meeting in session: the chair (or the secretary) opens it, moves from item to item and
closes it. `Meeting.current_item` is the item being discussed; an item's status says whether it
is still to come, being discussed or done.
"""

from __future__ import annotations

from hashlib import sha256

from django.utils import timezone

from egov.cases import Action, perform
from egov.core.actors import Actor
from egov.core.errors import DomainError

from .. import event_types as et
from ..cases import MEETING
from ..error_codes import MeetingErrorCode
from ..models import AgendaItem, Meeting, Participant, SpeakingRequest
from .speaking import finish_current, lock_item, speaker_name


def _leave_current(act: Action[Meeting]) -> None:
    """The item being discussed is done; whoever was speaking on it has finished."""
    meeting = act.case
    if meeting.current_item_id is None:
        return
    finish_current(act, meeting.current_item_id)
    AgendaItem.objects.filter(pk=meeting.current_item_id).update(status=AgendaItem.Status.DONE)


def _make_current(act: Action[Meeting], item: AgendaItem) -> None:
    item.status = AgendaItem.Status.CURRENT
    item.save(update_fields=["status"])
    act.case.current_item = item


def open_meeting(*, actor: Actor, meeting: Meeting) -> Meeting:
    """Khai mạc: the meeting is in session and its first item is being discussed."""
    with perform(MEETING, "open", actor=actor, case=meeting) as act:
        first = (
            AgendaItem.objects.select_for_update()
            .filter(meeting=act.case)
            .order_by("position")
            .first()
        )
        act.case.opened_at = timezone.now()
        if first is not None:
            _make_current(act, first)
        act.save("opened_at", "current_item")
        act.record(et.OPENED)
        if first is not None:
            act.record(et.ITEM_STARTED, item=first.pk, position=first.position)
    return act.case


def start_item(*, actor: Actor, meeting: Meeting, item: AgendaItem) -> Meeting:
    """Move to an item (the next one, or back to one discussed before): the current one is
    done."""
    with perform(MEETING, "start_item", actor=actor, case=meeting) as act:
        target = lock_item(act.case, item)
        if act.case.current_item_id == target.pk:
            message = "Nội dung này đang được thảo luận."
            raise DomainError(
                message, code=MeetingErrorCode.MEETING_INVALID, fields={"item": [message]}
            )
        _leave_current(act)
        _make_current(act, target)
        act.save("current_item")
        act.record(et.ITEM_STARTED, item=target.pk, position=target.position)
    return act.case


def next_item(meeting: Meeting) -> AgendaItem | None:
    """The first item after the current one (by position) not yet discussed."""
    items = AgendaItem.objects.filter(meeting=meeting).exclude(status=AgendaItem.Status.DONE)
    if meeting.current_item_id is not None:
        current = AgendaItem.objects.filter(pk=meeting.current_item_id).first()
        if current is not None:
            items = items.filter(position__gt=current.position)
    return items.order_by("position").first()


def close_meeting(*, actor: Actor, meeting: Meeting) -> Meeting:
    """Bế mạc: the item being discussed is done; requests still waiting are recorded as not
    called (`dropped`), so the minutes show who asked and did not get the floor."""
    with perform(MEETING, "close", actor=actor, case=meeting) as act:
        _leave_current(act)
        waiting = (
            SpeakingRequest.objects.select_for_update(of=("self",))
            .select_related("participant__official__user", "participant__delegate__user")
            .filter(item__meeting=act.case, status=SpeakingRequest.Status.WAITING)
            .order_by("requested_at", "id")
        )
        now = timezone.now()
        for request in waiting:
            request.status = SpeakingRequest.Status.DROPPED
            request.finished_at = now
            request.save(update_fields=["status", "finished_at"])
            act.record(
                et.SPEAKER_DROPPED,
                item=request.item_id,
                speaker=speaker_name(request),
                request=request.pk,
            )
        act.case.closed_at = now
        act.case.current_item = None
        act.save("closed_at", "current_item")
        act.record(et.CLOSED)
    return act.case


def room_token(meeting: Meeting) -> str:
    """A short digest of what the room's pages show (the meeting's state, the items, the
    speakers, attendance): a page polling with the token it has gets "nothing new" while it
    is unchanged, so the page is redrawn only when something happened."""
    state = (
        list(
            Meeting.objects.filter(pk=meeting.pk).values_list(
                "version", "status", "current_item_id"
            )
        ),
        list(
            AgendaItem.objects.filter(meeting=meeting)
            .order_by("pk")
            .values_list("pk", "status", "speakers_open")
        ),
        list(
            SpeakingRequest.objects.filter(item__meeting=meeting)
            .order_by("pk")
            .values_list("pk", "status")
        ),
        list(
            Participant.objects.filter(meeting=meeting)
            .order_by("pk")
            .values_list("pk", "response", "delegate_id", "present")
        ),
    )
    return sha256(repr(state).encode()).hexdigest()[:16]
