"""Attendance: a participant answers the invitation (confirm, or decline with a reason and
optionally a delegate who comes in their place), and the chair or secretary records who is
present.

An answer is the participant's own row (`Participant`), not the meeting's state: it does not
bump the meeting's version (the secretariat's edit forms would go stale at every answer), but it
runs as a MEETING action all the same (the meeting row is locked, the event is on its chain).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from egov.cases import Action, perform
from egov.core.actors import Actor
from egov.core.dates import local_text
from egov.core.errors import DomainError, NotAllowed
from egov.core.scoping import visible_to
from egov.org.models import Official

from .. import event_types as et
from ..cases import MEETING
from ..error_codes import MeetingErrorCode
from ..models import Meeting, MeetingStatus, Participant, SpeakingRequest
from .notify import notify

REASON_MAX = 500


def attendee(participant: Participant) -> Official | None:
    """Who comes for this seat: the participant, their delegate when they declined naming one,
    nobody when they declined without one."""
    if participant.response == Participant.Response.DECLINED:
        return participant.delegate
    return participant.official


def seat_of(meeting: Meeting | int, official: Official) -> Participant | None:
    """The seat the official takes in the meeting: their own invitation, or the one of the
    participant they stand in for as a delegate."""
    meeting_id = meeting.pk if isinstance(meeting, Meeting) else meeting
    own = Participant.objects.filter(meeting_id=meeting_id, official=official).first()
    if own is not None:
        return own
    return Participant.objects.filter(
        meeting_id=meeting_id, delegate=official, response=Participant.Response.DECLINED
    ).first()


def _invalid(message: str, field: str) -> DomainError:
    return DomainError(message, code=MeetingErrorCode.MEETING_INVALID, fields={field: [message]})


def _check_delegate(meeting: Meeting, participant: Participant, delegate: Official) -> None:
    if delegate.pk == participant.official_id:
        raise _invalid("Người dự thay phải là người khác.", "delegate")
    if not delegate.user.is_active:
        raise _invalid("Tài khoản của người dự thay đã bị khóa.", "delegate")
    if Participant.objects.filter(meeting=meeting, official=delegate).exists():
        raise _invalid("Người này đã được mời dự cuộc họp.", "delegate")
    taken = (
        Participant.objects.filter(meeting=meeting, delegate=delegate)
        .exclude(pk=participant.pk)
        .exists()
    )
    if taken:
        raise _invalid("Người này đã được cử dự thay cho thành viên khác.", "delegate")


def _meeting_link(meeting: Meeting) -> str:
    return reverse("meetings:detail", args=[meeting.pk])


def _tell_presiding(act: Action[Meeting], participant: Participant, key: str, text: str) -> None:
    meeting = act.case
    told: set[int] = set()
    for official_id in (meeting.chair_id, meeting.secretary_id):
        if official_id is None or official_id in told or official_id == participant.official_id:
            continue
        told.add(official_id)
        official = Official.objects.select_related("user").get(pk=official_id)
        notify(
            act,
            official,
            key=f"{key}:to:{official_id}",
            kind="attendance",
            title=text,
            body=f"{text}\nCuộc họp: {meeting.title}",
            link=_meeting_link(meeting),
            sms=False,
            email=False,
        )


def _withdraw_waiting(act: Action[Meeting], participant: Participant, speaker: str) -> None:
    """The person who asked to speak for this seat no longer comes: their waiting requests go."""
    waiting = SpeakingRequest.objects.select_for_update().filter(
        participant=participant, status=SpeakingRequest.Status.WAITING
    )
    for request in waiting:
        request.status = SpeakingRequest.Status.WITHDRAWN
        request.finished_at = timezone.now()
        request.save(update_fields=["status", "finished_at"])
        act.record(et.SPEAKER_WITHDRAWN, item=request.item_id, speaker=speaker, request=request.pk)


def answer_invitation(
    *,
    actor: Actor,
    meeting: Meeting,
    response: str,
    reason: str = "",
    delegate: Official | None = None,
) -> Participant:
    """The participant confirms (`accepted`) or declines (`declined`, with a reason and
    optionally a delegate). Answers can change until the meeting opens; the chair and the
    secretary are told in-app, a delegate named (or no longer needed) is told."""
    reason = (reason or "").strip()
    with perform(MEETING, "answer", actor=actor, case=meeting) as act:
        official = act.acting_official
        participant = (
            Participant.objects.select_for_update(of=("self",))
            .select_related("official__user", "delegate__user")
            .filter(meeting=act.case, official=official)
            .first()
        )
        if participant is None:
            # A delegate holds no invitation of their own: the participant answers.
            raise NotAllowed("Chỉ người được mời mới trả lời giấy mời.")
        if response == Participant.Response.ACCEPTED:
            if delegate is not None:
                raise _invalid("Chỉ cử người dự thay khi báo vắng mặt.", "delegate")
            reason = ""
        elif response == Participant.Response.DECLINED:
            if not reason:
                raise _invalid("Cần nêu lý do vắng mặt.", "reason")
            if len(reason) > REASON_MAX:
                raise _invalid(f"Lý do tối đa {REASON_MAX} ký tự.", "reason")
            if delegate is not None:
                _check_delegate(act.case, participant, delegate)
        else:
            raise _invalid("Chọn tham dự hoặc vắng mặt.", "response")

        before = attendee(participant)
        old_delegate = participant.delegate
        participant.response = response
        participant.reason = reason
        participant.delegate = delegate
        participant.responded_at = timezone.now()
        participant.save(update_fields=["response", "reason", "delegate", "responded_at"])
        after = attendee(participant)
        if before is not None and (after is None or after.pk != before.pk):
            _withdraw_waiting(act, participant, before.user.username)

        event = act.record(
            et.ATTENDANCE_ANSWERED,
            participant=official.user.username,
            response=response,
            reason=reason,
            delegate=delegate.user.username if delegate else None,
        )
        key = f"meeting:{act.case.pk}:answer:{event.pk}"
        name = official.user.get_full_name()
        if response == Participant.Response.ACCEPTED:
            text = f"{name} xác nhận tham dự"
        elif delegate is not None:
            text = f"{name} báo vắng mặt, cử {delegate.user.get_full_name()} dự thay"
        else:
            text = f"{name} báo vắng mặt"
        _tell_presiding(act, participant, key, text + (f". Lý do: {reason}" if reason else ""))
        meeting_row = act.case
        when = local_text(meeting_row.starts_at)
        if delegate is not None and (old_delegate is None or old_delegate.pk != delegate.pk):
            notify(
                act,
                delegate,
                key=f"{key}:delegate:{delegate.pk}",
                kind="delegate",
                title=f"Anh/chị được cử dự họp thay {name}: {meeting_row.title}",
                body=(
                    f"{name} không dự được cuộc họp “{meeting_row.title}” lúc {when}"
                    f" và cử anh/chị dự thay. Lý do: {reason}"
                ),
                link=_meeting_link(meeting_row),
            )
        if old_delegate is not None and (delegate is None or old_delegate.pk != delegate.pk):
            notify(
                act,
                old_delegate,
                key=f"{key}:undelegate:{old_delegate.pk}",
                kind="delegate_cancelled",
                title=f"Không còn cần anh/chị dự họp thay {name}: {meeting_row.title}",
                body=f"{name} đã thay đổi trả lời giấy mời cuộc họp lúc {when}.",
                link=reverse("meetings:index"),
            )
    return participant


def _participant_ids(meeting: Meeting, present: Iterable[Any]) -> set[int]:
    ids: set[int] = set()
    for entry in present:
        pk = entry.pk if isinstance(entry, Participant) else entry
        if isinstance(pk, bool) or not isinstance(pk, int):
            raise _invalid("Danh sách có mặt không hợp lệ.", "present")
        ids.add(pk)
    known = set(
        Participant.objects.filter(meeting=meeting, pk__in=ids).values_list("pk", flat=True)
    )
    if known != ids:
        raise _invalid("Có người không thuộc thành phần dự họp.", "present")
    return ids


def record_presence(*, actor: Actor, meeting: Meeting, present: Iterable[Any]) -> Meeting:
    """The chair or secretary ticks who is present (before or during the meeting): the seats
    listed (Participant rows or their ids) are present, every other seat absent. A seat whose
    member sent a delegate is present when the delegate is."""
    with perform(MEETING, "record_presence", actor=actor, case=meeting) as act:
        ids = _participant_ids(act.case, present)
        rows = list(
            Participant.objects.select_for_update(of=("self",))
            .select_related("official__user", "delegate__user")
            .filter(meeting=act.case)
        )
        here: list[str] = []
        away: list[str] = []
        for row in rows:
            value = row.pk in ids
            if row.present is not value:
                row.present = value
                row.save(update_fields=["present"])
            person = attendee(row) or row.official
            (here if value else away).append(person.user.username)
        act.record(et.PRESENCE_RECORDED, present=here, absent=away)
    return act.case


# --- reading -------------------------------------------------------------------------------------


@dataclass
class MyMeeting:
    meeting: Meeting
    seat: Participant | None  # the official's own invitation
    stands_in_for: Participant | None = None  # the seat they take as a delegate

    @property
    def taken(self) -> Participant | None:
        """The seat the official takes (their own, or the one they stand in for)."""
        return self.seat or self.stands_in_for

    @property
    def unanswered(self) -> bool:
        return (
            self.seat is not None
            and self.seat.response == Participant.Response.PENDING
            and self.meeting.status == MeetingStatus.PUBLISHED
        )


def my_meetings(official: Official, actor: Actor) -> list[MyMeeting]:
    """The published (or later) meetings the official is invited to or stands in at."""
    rows = (
        visible_to(actor, Meeting.objects.all())
        .filter(
            Q(participants__official=official)
            | Q(participants__delegate=official, participants__response="declined")
        )
        .exclude(status=MeetingStatus.DRAFT)
        .select_related("agency", "chair__user")
        .distinct()
    )
    meetings = {m.pk: m for m in rows}
    seats = Participant.objects.filter(meeting_id__in=meetings).filter(
        Q(official=official) | Q(delegate=official, response="declined")
    )
    found: dict[int, MyMeeting] = {pk: MyMeeting(m, None) for pk, m in meetings.items()}
    for seat in seats.select_related("official__user", "delegate__user"):
        entry = found[seat.meeting_id]
        if seat.official_id == official.pk:
            entry.seat = seat
        else:
            entry.stands_in_for = seat
    return list(found.values())
