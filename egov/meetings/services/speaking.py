"""Registration to speak (đăng ký phát biểu): participants ask to speak on an agenda item, the
chair (or the secretary: `presiding`) gives the floor in the order of the requests, ends each
speech and may close the list: no new request is taken, those waiting are still called.

Every step is a MEETING action (the meeting row locked: two requests or two "call next" at once
are served one after the other) and records a `meeting.speaker_*` event.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from egov.cases import Action, perform
from egov.core.actors import Actor
from egov.core.errors import Conflict, DomainError, NotAllowed, NotFoundError

from .. import event_types as et
from ..cases import MEETING
from ..error_codes import MeetingErrorCode
from ..models import AgendaItem, Meeting, Participant, SpeakingRequest
from .attendance import attendee, seat_of
from .notify import notify

TOPIC_MAX = 300
WAITING = SpeakingRequest.Status.WAITING
SPEAKING = SpeakingRequest.Status.SPEAKING


def _invalid(message: str, field: str | None = None) -> DomainError:
    return DomainError(
        message,
        code=MeetingErrorCode.MEETING_INVALID,
        fields={field: [message]} if field else None,
    )


def speaker_name(request: SpeakingRequest) -> str:
    """The username of who speaks for the request's seat (the delegate for a member away)."""
    person = attendee(request.participant) or request.participant.official
    return str(person.user.username)


def queue(item: AgendaItem) -> list[SpeakingRequest]:
    """The item's speakers in order: who speaks now, then those waiting by time of request."""
    rows = (
        SpeakingRequest.objects.filter(item=item, status__in=[SPEAKING, WAITING])
        .select_related("participant__official__user", "participant__delegate__user")
        .order_by("requested_at", "id")
    )
    return sorted(rows, key=lambda r: r.status != SPEAKING)


def lock_item(meeting: Meeting, item: AgendaItem | int) -> AgendaItem:
    pk = item.pk if isinstance(item, AgendaItem) else item
    locked = AgendaItem.objects.select_for_update().filter(pk=pk, meeting=meeting).first()
    if locked is None:
        raise NotFoundError("Không tìm thấy nội dung họp.")
    return locked


def _request(meeting: Meeting, request: SpeakingRequest | int) -> SpeakingRequest:
    pk = request.pk if isinstance(request, SpeakingRequest) else request
    locked = (
        SpeakingRequest.objects.select_for_update(of=("self",))
        .select_related("item", "participant__official__user", "participant__delegate__user")
        .filter(pk=pk, item__meeting=meeting)
        .first()
    )
    if locked is None:
        raise NotFoundError("Không tìm thấy đăng ký phát biểu.")
    return locked


def _meeting_id(item: AgendaItem | SpeakingRequest) -> int:
    if isinstance(item, SpeakingRequest):
        return int(item.item.meeting_id)
    return int(item.meeting_id)


def _finish(act: Action[Meeting], request: SpeakingRequest) -> None:
    request.status = SpeakingRequest.Status.DONE
    request.finished_at = timezone.now()
    request.save(update_fields=["status", "finished_at"])
    act.record(
        et.SPEAKER_FINISHED,
        item=request.item_id,
        speaker=speaker_name(request),
        request=request.pk,
    )


def finish_current(act: Action[Meeting], item_id: int) -> None:
    """End the speech going on at an item (the chair moves on or calls the next)."""
    speaking = (
        SpeakingRequest.objects.select_for_update(of=("self",))
        .select_related("participant__official__user", "participant__delegate__user")
        .filter(item_id=item_id, status=SPEAKING)
    )
    for request in speaking:
        _finish(act, request)


def request_to_speak(*, actor: Actor, item: AgendaItem, topic: str = "") -> SpeakingRequest:
    """A participant (or a delegate in a member's place) asks to speak on an item: refused when
    the list is closed (`speakers_closed`) or when they are already waiting (`already_registered`).
    A guest asks only on the items they are invited to."""
    topic = (topic or "").strip()
    with perform(MEETING, "request_to_speak", actor=actor, case=_meeting_id(item)) as act:
        official = act.acting_official
        seat = seat_of(act.case, official)
        if seat is None:
            raise NotAllowed("Chỉ người dự họp được đăng ký phát biểu.")
        target = lock_item(act.case, item)
        if seat.role == Participant.Role.GUEST and not seat.items.filter(pk=target.pk).exists():
            # Guests see only their items: another item is simply not found.
            raise NotFoundError("Không tìm thấy nội dung họp.")
        if seat.official_id == official.pk and seat.response == Participant.Response.DECLINED:
            raise _invalid("Anh/chị đã báo vắng mặt. Đổi trả lời giấy mời để đăng ký phát biểu.")
        if target.status == AgendaItem.Status.DONE:
            raise _invalid("Nội dung này đã thảo luận xong.")
        if not target.speakers_open:
            raise Conflict(
                "Chủ trì đã dừng nhận đăng ký phát biểu ở nội dung này.",
                code=MeetingErrorCode.SPEAKERS_CLOSED,
            )
        if SpeakingRequest.objects.filter(
            item=target, participant=seat, status__in=[WAITING, SPEAKING]
        ).exists():
            raise Conflict(
                "Anh/chị đã đăng ký phát biểu ở nội dung này.",
                code=MeetingErrorCode.ALREADY_REGISTERED,
            )
        if len(topic) > TOPIC_MAX:
            raise _invalid(f"Nội dung phát biểu tối đa {TOPIC_MAX} ký tự.", "topic")
        request = SpeakingRequest.objects.create(
            item=target, participant=seat, topic=topic, requested_at=timezone.now()
        )
        act.record(
            et.SPEAKER_REQUESTED,
            item=target.pk,
            speaker=official.user.username,
            request=request.pk,
        )
    return request


def withdraw_request(*, actor: Actor, request: SpeakingRequest) -> SpeakingRequest:
    """The one who asked withdraws a request still waiting."""
    with perform(MEETING, "withdraw_request", actor=actor, case=_meeting_id(request)) as act:
        official = act.acting_official
        locked = _request(act.case, request)
        seat = seat_of(act.case, official)
        if seat is None or locked.participant_id != seat.pk:
            raise NotAllowed("Chỉ người đăng ký được rút đăng ký phát biểu.")
        if locked.status != WAITING:
            raise _invalid("Chỉ rút được đăng ký đang chờ.")
        locked.status = SpeakingRequest.Status.WITHDRAWN
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "finished_at"])
        act.record(
            et.SPEAKER_WITHDRAWN,
            item=locked.item_id,
            speaker=official.user.username,
            request=locked.pk,
        )
    return locked


def call_next_speaker(*, actor: Actor, item: AgendaItem) -> SpeakingRequest:
    """The chair gives the floor to the first one waiting on the item being discussed (the one
    speaking, if any, has finished)."""
    with perform(MEETING, "call_speaker", actor=actor, case=_meeting_id(item)) as act:
        target = lock_item(act.case, item)
        if act.case.current_item_id != target.pk:
            raise _invalid("Chỉ mời phát biểu ở nội dung đang thảo luận.")
        following = (
            SpeakingRequest.objects.select_for_update(of=("self",))
            .select_related("participant__official__user", "participant__delegate__user")
            .filter(item=target, status=WAITING)
            .order_by("requested_at", "id")
            .first()
        )
        if following is None:
            raise _invalid("Không còn ai chờ phát biểu ở nội dung này.")
        finish_current(act, target.pk)
        following.status = SPEAKING
        following.started_at = timezone.now()
        following.save(update_fields=["status", "started_at"])
        event = act.record(
            et.SPEAKER_CALLED,
            item=target.pk,
            speaker=speaker_name(following),
            request=following.pk,
        )
        person = attendee(following.participant)
        if person is not None:
            notify(
                act,
                person,
                key=f"meeting:{act.case.pk}:speaker:{following.pk}:called:{event.pk}",
                kind="speaker_called",
                title=f"Mời anh/chị phát biểu: {target.title}",
                body=f"Chủ trì mời anh/chị phát biểu về nội dung “{target.title}”.",
                link=reverse("meetings:detail", args=[act.case.pk]),
                sms=False,
                email=False,
            )
    return following


def finish_speaker(*, actor: Actor, request: SpeakingRequest) -> SpeakingRequest:
    """The chair ends a speech."""
    with perform(MEETING, "finish_speaker", actor=actor, case=_meeting_id(request)) as act:
        locked = _request(act.case, request)
        if locked.status != SPEAKING:
            raise _invalid("Người này không đang phát biểu.")
        _finish(act, locked)
    return locked


def close_speakers(*, actor: Actor, item: AgendaItem) -> AgendaItem:
    """The chair closes the item's list: no new request; those waiting are still called."""
    with perform(MEETING, "close_speakers", actor=actor, case=_meeting_id(item)) as act:
        target = lock_item(act.case, item)
        if not target.speakers_open:
            raise _invalid("Danh sách phát biểu của nội dung này đã dừng nhận đăng ký.")
        target.speakers_open = False
        target.save(update_fields=["speakers_open"])
        act.record(et.SPEAKERS_CLOSED, item=target.pk, position=target.position)
    return target
