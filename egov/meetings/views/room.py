"""The members' side of meetings and the meeting in session (mounted at /hop/):

- `index` "Cuộc họp của tôi": the meetings the official takes part in (invited or as a
  delegate), unanswered invitations first;
- `detail`: a meeting as a participant sees it (guests: only their items), the answer to the
  invitation, registration to speak per item and the official's place in the queue;
- `room` "Điều hành cuộc họp": the chair's and secretary's console (open, move between items,
  the speakers' queue, presence, close), redrawn by htmx polling when something changed;
- `notices`: the official's in-app meeting notices.

Pages work without JavaScript; views call one service per action and show its DomainError in
Vietnamese. A meeting the official may not see is 404 (views/common.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from egov.core.actors import Actor
from egov.core.errors import DomainError
from egov.core.ids import IdChoiceField, parse_id
from egov.core.scoping import visible_to
from egov.org.models import Official, Role

from .. import access
from ..models import (
    AgendaItem,
    ConsultationMember,
    ConsultationStatus,
    Material,
    Meeting,
    MeetingNotice,
    MeetingStatus,
    Participant,
    SpeakingRequest,
)
from ..services import attendance, notices, session, speaking
from .common import meeting_for, meetings_official

LIVE_POLL_SECONDS = 3
PAST_LIMIT = 50
NOTICES_LIMIT = 200


# --- forms ---------------------------------------------------------------------------------------


class DelegateField(IdChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        parts = [obj.user.get_full_name()]
        if obj.position_id:
            parts.append(obj.position.name)
        parts.append(obj.agency.name)
        return " — ".join(parts)


class AnswerForm(forms.Form):
    """What the participant says; the rules (a reason to decline, who may stand in) are the
    service's, whose field errors come back on this form."""

    response = forms.ChoiceField(
        label="Trả lời giấy mời",
        choices=[
            (Participant.Response.ACCEPTED, "Tham dự"),
            (Participant.Response.DECLINED, "Vắng mặt"),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Lý do vắng mặt",
        required=False,
        max_length=attendance.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Bắt buộc khi báo vắng mặt.",
    )
    delegate = DelegateField(
        label="Cử người dự thay",
        required=False,
        queryset=Official.objects.none(),
        empty_label="Không cử người dự thay",
        help_text="Người dự thay được xem cuộc họp và tài liệu không mật, và nhận thông báo.",
    )

    def __init__(self, *args: Any, meeting: Meeting, official: Official, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        invited = Participant.objects.filter(meeting=meeting).values("official")
        field: Any = self.fields["delegate"]
        field.queryset = (
            Official.objects.filter(
                agency_id__in={official.agency_id, meeting.agency_id}, user__is_active=True
            )
            .exclude(pk__in=invited)
            .select_related("user", "position", "agency")
            .order_by("agency_id", "user__last_name", "user__first_name", "pk")
        )


class SpeakForm(forms.Form):
    topic = forms.CharField(
        label="Nội dung dự định phát biểu",
        required=False,
        max_length=speaking.TOPIC_MAX,
        help_text="Không bắt buộc.",
    )


def _errors_to_form(form: forms.Form, exc: DomainError) -> None:
    for name, errors in exc.fields.items():
        target = name if name in form.fields else None
        for error in errors if isinstance(errors, list) else [errors]:
            form.add_error(target, str(error))
    if not exc.fields:
        form.add_error(None, exc.message)


# --- "Cuộc họp của tôi" --------------------------------------------------------------------------


def _is_upcoming(m: Meeting, now: datetime) -> bool:
    if m.status == MeetingStatus.IN_SESSION:
        return True
    return m.status == MeetingStatus.PUBLISHED and m.ends_at >= now


@login_required
def index(request: HttpRequest) -> HttpResponse:
    official, actor = meetings_official(request)
    now = timezone.now()
    mine = attendance.my_meetings(official, actor)
    upcoming = sorted(
        (e for e in mine if _is_upcoming(e.meeting, now)),
        key=lambda e: (not e.unanswered, e.meeting.starts_at),
    )
    past = sorted(
        (e for e in mine if not _is_upcoming(e.meeting, now)),
        key=lambda e: e.meeting.starts_at,
        reverse=True,
    )[:PAST_LIMIT]
    unread = visible_to(actor, MeetingNotice.objects.filter(read_at__isnull=True)).count()
    # Written consultations waiting for this member's answer (the link says how many).
    to_answer = ConsultationMember.objects.filter(
        official=official, answer="", consultation__status=ConsultationStatus.OPEN
    ).count()
    return render(
        request,
        "meetings/room/index.html",
        {
            "to_answer": to_answer,
            "upcoming": upcoming,
            "past": past,
            "unanswered": sum(1 for e in upcoming if e.unanswered),
            "unread": unread,
            "is_secretariat": official.has_role(Role.SECRETARIAT),
        },
    )


# --- the meeting as a participant sees it --------------------------------------------------------


def _visible_meeting(
    request: HttpRequest, pk: int
) -> tuple[Meeting, Official, Actor, frozenset[str]]:
    """meeting_for, and a draft stays with those preparing it (invitations are not out)."""
    meeting, official, actor, roles = meeting_for(request, pk)
    if meeting.status == MeetingStatus.DRAFT and not roles & {access.ORGANISER, access.PRESIDING}:
        raise Http404("Không tìm thấy cuộc họp.")
    return meeting, official, actor, roles


@dataclass
class ItemRow:
    item: AgendaItem
    materials: list[Material] = field(default_factory=list)
    mine: SpeakingRequest | None = None
    place: int = 0  # 1 = next to speak
    waiting: int = 0
    speaker: SpeakingRequest | None = None
    presenter: str = ""


def _label(request: SpeakingRequest) -> SpeakingRequest:
    """Names for the page: who speaks (`who`) and, for a delegate, whom they stand in for."""
    seat = request.participant
    person = attendance.attendee(seat) or seat.official
    request.who = person.user.get_full_name()  # type: ignore[attr-defined]
    request.stands_in = (  # type: ignore[attr-defined]
        seat.official.user.get_full_name() if person.pk != seat.official_id else ""
    )
    return request


def _presenter(item: AgendaItem) -> str:
    if item.presenter_id:
        return str(item.presenter.user.get_full_name())  # type: ignore[union-attr]
    return item.presenter_name


def _visible_items(
    meeting: Meeting, seat: Participant | None, roles: frozenset[str]
) -> list[AgendaItem]:
    items = AgendaItem.objects.filter(meeting=meeting).select_related("presenter__user")
    if (
        seat is not None
        and seat.role == Participant.Role.GUEST
        and not roles & {access.ORGANISER, access.PRESIDING}
    ):
        items = items.filter(pk__in=seat.items.values("pk"))
    return list(items.order_by("position"))


def _item_rows(
    meeting: Meeting, actor: Actor, items: list[AgendaItem], my_seat: Participant | None
) -> tuple[list[ItemRow], list[Material]]:
    rows = {item.pk: ItemRow(item, presenter=_presenter(item)) for item in items}
    materials = visible_to(
        actor, Material.objects.filter(meeting=meeting, withdrawn=False)
    ).select_related("current_version")
    general: list[Material] = []
    for material in materials.order_by("id"):
        if material.item_id is None:
            general.append(material)
        elif material.item_id in rows:
            rows[material.item_id].materials.append(material)
    live = (
        SpeakingRequest.objects.filter(
            item_id__in=rows,
            status__in=[SpeakingRequest.Status.WAITING, SpeakingRequest.Status.SPEAKING],
        )
        .select_related("participant__official__user", "participant__delegate__user")
        .order_by("requested_at", "id")
    )
    for request in live:
        _label(request)
        row = rows[request.item_id]
        if request.status == SpeakingRequest.Status.SPEAKING:
            row.speaker = request
        else:
            row.waiting += 1
        if my_seat is not None and request.participant_id == my_seat.pk:
            row.mine = request
            row.place = row.waiting if request.status == SpeakingRequest.Status.WAITING else 0
    return list(rows.values()), general


def _detail_context(
    request: HttpRequest,
    meeting: Meeting,
    official: Official,
    actor: Actor,
    roles: frozenset[str],
    answer_form: AnswerForm | None = None,
) -> dict[str, Any]:
    own = (
        Participant.objects.filter(meeting=meeting, official=official)
        .select_related("delegate__user")
        .first()
    )
    seat = attendance.seat_of(meeting, official)
    items = _visible_items(meeting, seat, roles)
    rows, general = _item_rows(meeting, actor, items, seat)
    can_answer = own is not None and meeting.status == MeetingStatus.PUBLISHED
    if can_answer and answer_form is None:
        assert own is not None
        answer_form = AnswerForm(
            meeting=meeting,
            official=official,
            initial={
                "response": own.response if own.response != "pending" else None,
                "reason": own.reason,
                "delegate": own.delegate_id,
            },
        )
    may_speak = (
        seat is not None
        and meeting.status in (MeetingStatus.PUBLISHED, MeetingStatus.IN_SESSION)
        and not (seat.official_id == official.pk and seat.response == "declined")
    )
    current = next((r for r in rows if r.item.pk == meeting.current_item_id), None)
    return {
        "meeting": meeting,
        "roles": roles,
        "own": own,
        "seat": seat,
        "stands_in_for": seat if seat is not None and own is None else None,
        "rows": rows,
        "current": current,
        "general_materials": general,
        "answer_form": answer_form if can_answer else None,
        "may_speak": may_speak,
        "presiding": access.PRESIDING in roles,
        "token": session.room_token(meeting),
        "poll_seconds": LIVE_POLL_SECONDS * 2,
    }


def _polled(request: HttpRequest, meeting: Meeting) -> HttpResponse | None:
    """A poll that already shows the latest state gets 204 (htmx swaps nothing)."""
    if request.GET.get("partial") != "live":
        return None
    if request.GET.get("seen") == session.room_token(meeting):
        return HttpResponse(status=204)
    return None


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, official, actor, roles = _visible_meeting(request, pk)
    unchanged = _polled(request, meeting)
    if unchanged is not None:
        return unchanged
    context = _detail_context(request, meeting, official, actor, roles)
    if request.GET.get("partial") == "live":
        return render(request, "meetings/room/_detail_live.html", context)
    return render(request, "meetings/room/detail.html", context)


@login_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, official, actor, roles = _visible_meeting(request, pk)
    form = AnswerForm(request.POST, meeting=meeting, official=official)
    if form.is_valid():
        data = form.cleaned_data
        try:
            attendance.answer_invitation(
                actor=actor,
                meeting=meeting,
                response=data["response"],
                reason=data["reason"],
                delegate=data["delegate"],
            )
        except DomainError as exc:
            if not exc.fields:
                # Not the form's fault (the meeting opened meanwhile...): say why, show the page.
                messages.error(request, exc.message)
                return redirect("meetings:detail", pk=meeting.pk)
            _errors_to_form(form, exc)
        else:
            if data["response"] == Participant.Response.ACCEPTED:
                messages.success(request, "Đã xác nhận tham dự.")
            else:
                messages.success(request, "Đã báo vắng mặt.")
            return redirect("meetings:detail", pk=meeting.pk)
    messages.error(request, "Chưa gửi được trả lời giấy mời: xem mục “Trả lời giấy mời”.")
    context = _detail_context(request, meeting, official, actor, roles, answer_form=form)
    return render(request, "meetings/room/detail.html", context, status=400)


def _item_of(meeting: Meeting, raw: Any) -> AgendaItem:
    item = AgendaItem.objects.filter(meeting=meeting, pk=parse_id(raw) or 0).first()
    if item is None:
        raise Http404("Không tìm thấy nội dung họp.")
    return item


@login_required
@require_POST
def speak(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, _official, actor, _roles = _visible_meeting(request, pk)
    item = _item_of(meeting, request.POST.get("item"))
    form = SpeakForm(request.POST)
    topic = form.cleaned_data["topic"] if form.is_valid() else ""
    if not form.is_valid():
        messages.error(request, "Nội dung phát biểu quá dài.")
    else:
        try:
            speaking.request_to_speak(actor=actor, item=item, topic=topic)
        except DomainError as exc:
            if exc.http_status == 404:
                raise Http404(exc.message) from exc
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Đã đăng ký phát biểu về nội dung “{item.title}”.")
    return redirect(reverse("meetings:detail", args=[meeting.pk]) + f"#noi-dung-{item.pk}")


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    meeting, _official, actor, _roles = _visible_meeting(request, pk)
    entry = get_object_or_404(
        SpeakingRequest.objects.select_related("item"), pk=rid, item__meeting=meeting
    )
    try:
        speaking.withdraw_request(actor=actor, request=entry)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Đã rút đăng ký phát biểu.")
    return redirect(reverse("meetings:detail", args=[meeting.pk]) + f"#noi-dung-{entry.item_id}")


# --- the chair's and secretary's console ---------------------------------------------------------


# The presence list as the room sees it: the chair, the secretary, the members, the guests.
SEAT_ORDER: dict[str, int] = {
    Participant.Role.CHAIR: 0,
    Participant.Role.SECRETARY: 1,
    Participant.Role.MEMBER: 2,
    Participant.Role.GUEST: 3,
}


@dataclass
class SeatRow:
    seat: Participant
    attendee: Official | None


def _console_context(meeting: Meeting, actor: Actor) -> dict[str, Any]:
    items = list(
        AgendaItem.objects.filter(meeting=meeting)
        .select_related("presenter__user")
        .order_by("position")
    )
    current = next((i for i in items if i.pk == meeting.current_item_id), None)
    queue = [_label(r) for r in speaking.queue(current)] if current else []
    rows = Participant.objects.filter(meeting=meeting).select_related(
        "official__user", "delegate__user"
    )
    seats = sorted(
        (SeatRow(s, attendance.attendee(s)) for s in rows),
        key=lambda r: (SEAT_ORDER.get(r.seat.role, 9), r.seat.pk),
    )
    return {
        "meeting": meeting,
        "items": items,
        "current": current,
        "presenter": _presenter(current) if current else "",
        "queue": queue,
        "has_waiting": any(r.status == SpeakingRequest.Status.WAITING for r in queue),
        "next_item": session.next_item(meeting)
        if meeting.status == MeetingStatus.IN_SESSION
        else None,
        "seats": seats,
        "present_count": sum(1 for s in seats if s.seat.present),
        "token": session.room_token(meeting),
        "poll_seconds": LIVE_POLL_SECONDS,
        "in_session": meeting.status == MeetingStatus.IN_SESSION,
        "can_presence": meeting.status in (MeetingStatus.PUBLISHED, MeetingStatus.IN_SESSION),
    }


def _presiding_meeting(request: HttpRequest, pk: int) -> tuple[Meeting, Actor]:
    meeting, _official, actor, roles = _visible_meeting(request, pk)
    if access.PRESIDING not in roles:
        raise PermissionDenied("Trang điều hành dành cho chủ trì và thư ký cuộc họp.")
    return meeting, actor


@login_required
def room(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, actor = _presiding_meeting(request, pk)
    unchanged = _polled(request, meeting)
    if unchanged is not None:
        return unchanged
    context = _console_context(meeting, actor)
    if request.GET.get("partial") == "live":
        return render(request, "meetings/room/_console_live.html", context)
    return render(request, "meetings/room/console.html", context)


ROOM_ACTIONS = {
    "khai-mac": "Đã khai mạc cuộc họp.",
    "chuyen-noi-dung": "Đã chuyển nội dung.",
    "moi-phat-bieu": "Đã mời phát biểu.",
    "ket-thuc-phat-bieu": "Đã kết thúc phát biểu.",
    "dung-dang-ky": "Đã dừng nhận đăng ký phát biểu.",
    "be-mac": "Đã bế mạc cuộc họp.",
    "diem-danh": "Đã lưu điểm danh.",
}


def _run_room_action(request: HttpRequest, meeting: Meeting, actor: Actor, action: str) -> str:
    data = request.POST
    if action == "khai-mac":
        session.open_meeting(actor=actor, meeting=meeting)
    elif action == "chuyen-noi-dung":
        session.start_item(actor=actor, meeting=meeting, item=_item_of(meeting, data.get("item")))
    elif action == "moi-phat-bieu":
        speaking.call_next_speaker(actor=actor, item=_item_of(meeting, data.get("item")))
    elif action == "ket-thuc-phat-bieu":
        entry = get_object_or_404(
            SpeakingRequest.objects.select_related("item"),
            pk=parse_id(data.get("request")) or 0,
            item__meeting=meeting,
        )
        speaking.finish_speaker(actor=actor, request=entry)
    elif action == "dung-dang-ky":
        speaking.close_speakers(actor=actor, item=_item_of(meeting, data.get("item")))
    elif action == "be-mac":
        session.close_meeting(actor=actor, meeting=meeting)
    elif action == "diem-danh":
        ids = [parse_id(v) for v in data.getlist("present")]
        if None in ids:
            raise DomainError("Danh sách có mặt không hợp lệ.")
        attendance.record_presence(actor=actor, meeting=meeting, present=ids)
        count = len(set(ids))
        return (
            f"Đã lưu điểm danh lúc {timezone.localtime().strftime('%H:%M')}: {count} người có mặt."
        )
    return ROOM_ACTIONS[action]


@login_required
@require_POST
def room_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ROOM_ACTIONS:
        raise Http404
    meeting, actor = _presiding_meeting(request, pk)
    htmx = bool(request.headers.get("HX-Request"))
    try:
        done = _run_room_action(request, meeting, actor, action)
    except DomainError as exc:
        if exc.http_status == 404:
            raise Http404(exc.message) from exc
        if htmx:
            return render(
                request, "meetings/room/_saved.html", {"message": exc.message, "error": True}
            )
        messages.error(request, exc.message)
    else:
        if htmx:
            return render(request, "meetings/room/_saved.html", {"message": done})
        messages.success(request, done)
    anchor = "#diem-danh" if action == "diem-danh" else ""
    return redirect(reverse("meetings:room", args=[meeting.pk]) + anchor)


# --- notices -------------------------------------------------------------------------------------


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    _official, actor = meetings_official(request)
    rows = list(
        visible_to(actor, MeetingNotice.objects.all()).order_by("read_at", "-created_at", "-pk")[
            :NOTICES_LIMIT
        ]
    )
    # Unread first (no read time), then the newest.
    rows.sort(key=lambda n: (n.read_at is not None, -n.created_at.timestamp(), -n.pk))
    return render(
        request,
        "meetings/room/notices.html",
        {"notices": rows, "unread": sum(1 for n in rows if n.read_at is None)},
    )


def _safe_link(link: str) -> str | None:
    """Only a path of this site (a notice's link is data)."""
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or not link.startswith("/") or link.startswith("//"):
        return None
    return link


@login_required
def notice_open(request: HttpRequest, nid: int) -> HttpResponse:
    """Open a notice: marked read, then the page it is about."""
    _official, actor = meetings_official(request)
    notice = get_object_or_404(visible_to(actor, MeetingNotice.objects.all()), pk=nid)
    notices.mark_read(actor=actor, notice_ids=[notice.pk])
    return redirect(_safe_link(notice.link) or reverse("meetings:notices"))


@login_required
@require_POST
def notices_read(request: HttpRequest) -> HttpResponse:
    _official, actor = meetings_official(request)
    raw = request.POST.get("notice")
    ids = None
    if raw:
        one = parse_id(raw)
        ids = [one] if one else []
    count = notices.mark_read(actor=actor, notice_ids=ids)
    if count:
        messages.success(request, f"Đã đánh dấu {count} thông báo là đã đọc.")
    return redirect("meetings:notices")


urlpatterns = [
    path("", index, name="index"),
    path("thong-bao/", notice_list, name="notices"),
    path("thong-bao/da-doc/", notices_read, name="notices_read"),
    path("thong-bao/<id:nid>/", notice_open, name="notice_open"),
    path("<id:pk>/", detail, name="detail"),
    path("<id:pk>/tra-loi/", answer, name="answer"),
    path("<id:pk>/phat-bieu/", speak, name="speak"),
    path("<id:pk>/phat-bieu/<id:rid>/rut/", withdraw, name="withdraw_speech"),
    path("<id:pk>/dieu-hanh/", room, name="room"),
    path("<id:pk>/dieu-hanh/<slug:action>/", room_action, name="room_action"),
]
