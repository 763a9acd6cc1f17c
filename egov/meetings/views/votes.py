"""Votes pages: the votes of a meeting (the chair's controls, the open votes to answer), one
vote (the ballot, then the result), checking a receipt, and the room's live screen.

Every page works without JavaScript except the live screen's refresh (htmx polling; without
it the screen is still right when reloaded). Views call the services and show their
DomainError in Vietnamese with an error summary.

The receipt code is shown once, in the response to the ballot itself: never redirected to
(a URL is logged), never put in the session or in a flash message (messages live in the
session table), and the response is not cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from egov.core.actors import Actor
from egov.core.errors import DomainError
from egov.core.ids import parse_id
from egov.core.scoping import visible_to
from egov.org.models import Official

from .. import access
from ..models import (
    AgendaItem,
    Meeting,
    MeetingStatus,
    SpeakingRequest,
    Vote,
    VoteParticipation,
    VoteStatus,
)
from ..services import votes as services
from .common import meeting_for

LIVE_POLL_SECONDS = 2
# htmx stops polling on this status (the meeting is over: nothing more will change).
HTMX_STOP_POLLING = 286


# --- forms ---------------------------------------------------------------------------------------


class VoteForm(forms.Form):
    item = forms.TypedChoiceField(label="Nội dung họp", coerce=int)
    question = forms.CharField(
        label="Nội dung cần biểu quyết",
        max_length=services.QUESTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Ví dụ: Thông qua dự thảo Kế hoạch chuyển đổi số năm 2026.",
    )
    kind = forms.ChoiceField(
        label="Hình thức", choices=Vote.Kind.choices, widget=forms.RadioSelect, initial="open"
    )
    choices = forms.ChoiceField(
        label="Phương án",
        choices=Vote.Choices.choices,
        widget=forms.RadioSelect,
        initial=Vote.Choices.FOR_AGAINST,
    )
    options = forms.CharField(
        label="Các phương án để chọn (mỗi dòng một phương án)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Chỉ dùng khi chọn “Chọn trong danh sách”.",
    )

    def __init__(self, *args: Any, items: list[AgendaItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [(i.pk, f"{i.position}. {i.title}") for i in items]  # type: ignore[attr-defined]


class BallotForm(forms.Form):
    choice = forms.ChoiceField(label="Ý kiến của anh/chị", widget=forms.RadioSelect)
    for_member = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, vote: Vote, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = services.choice_options(vote)  # type: ignore[attr-defined]


class ReceiptForm(forms.Form):
    code = forms.CharField(
        label="Mã biên nhận",
        max_length=40,
        help_text="16 ký tự, dạng XXXX-XXXX-XXXX-XXXX, nhận được khi gửi phiếu.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class DurationForm(forms.Form):
    duration_minutes = forms.IntegerField(
        label="Thời gian nhận phiếu (phút, để trống: đến khi chủ trì kết thúc)",
        required=False,
        min_value=1,
        max_value=services.DURATION_MAX_MINUTES,
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label="Lý do hủy", max_length=500, required=False)


# --- who sees what -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    meeting: Meeting
    official: Official
    actor: Actor
    roles: frozenset[str]

    @property
    def is_chair(self) -> bool:
        return access.CHAIR in self.roles

    @property
    def presiding(self) -> bool:
        return access.PRESIDING in self.roles

    @cached_property
    def guest_items(self) -> set[int] | None:
        """A guest (with no other part in the meeting) sees only their items; None: all."""
        return services.guest_item_ids(self.official, self.meeting, self.roles)


def _viewer(request: HttpRequest, pk: int) -> Viewer:
    meeting, official, actor, roles = meeting_for(request, pk)
    return Viewer(meeting, official, actor, roles)


def _votes(viewer: Viewer) -> QuerySet[Vote]:
    qs = (
        visible_to(viewer.actor, Vote.objects.filter(meeting=viewer.meeting))
        .select_related("item", "rule", "meeting__agency")
        .order_by("item__position", "id")
    )
    items = viewer.guest_items
    return qs if items is None else qs.filter(item_id__in=items)


def _vote(viewer: Viewer, vid: int) -> Vote:
    checked = parse_id(vid)
    vote = _votes(viewer).filter(pk=checked).first() if checked else None
    if vote is None:
        raise Http404("Không tìm thấy biểu quyết.")
    return vote


def _fail(exc: DomainError, form: forms.Form | None) -> None:
    if form is None:
        return
    for name, errors in exc.fields.items():
        target = name if name in form.fields else None
        for error in errors if isinstance(errors, list) else [errors]:
            form.add_error(target, str(error))
    if not exc.fields:
        form.add_error(None, exc.message)


# --- what a vote looks like on a page ------------------------------------------------------------


@dataclass
class VoteRow:
    vote: Vote
    voted: int
    voters: int
    seats: list[services.Seat]
    result: dict[str, Any] | None

    @property
    def is_open(self) -> bool:
        return self.vote.status == VoteStatus.OPEN


def _row(vote: Vote, official: Official | None) -> VoteRow:
    voted, voters = services.turnout(vote)
    seats = services.open_seats(official, vote) if official is not None else []
    return VoteRow(vote, voted, voters, seats, vote.result if vote.status == "closed" else None)


def _result_context(vote: Vote) -> dict[str, Any]:
    """The published count of a closed vote (for the vote page and the API)."""
    if vote.status != VoteStatus.CLOSED or not vote.result:
        return {}
    result = vote.result
    labels = dict(services.choice_options(vote))
    receipts = [
        {"hash": r["hash"], "choice": r["choice"], "label": labels.get(r["choice"], r["choice"])}
        for r in result.get("receipts", [])
    ]
    named: list[tuple[str, str]] = []
    if vote.kind == Vote.Kind.OPEN:
        ballots = vote.ballots.select_related("voter__user").order_by("voter__user__last_name")
        named = [
            (b.voter.user.get_full_name() if b.voter else "", labels.get(b.choice, b.choice))
            for b in ballots
        ]
    winner = result.get("winner")
    return {
        "result": result,
        "receipts": receipts,
        "named": named,
        "winner_label": labels.get(winner, "") if winner else "",
        "seal": services.check_participation(vote),
    }


# --- pages ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def votes(request: HttpRequest, pk: int) -> HttpResponse:
    """The votes of a meeting: the chair's and secretary's controls, the open votes to answer,
    the results."""
    viewer = _viewer(request, pk)
    meeting = viewer.meeting
    items = list(meeting.items.order_by("position"))
    guest_items = viewer.guest_items
    if guest_items is not None:
        items = [i for i in items if i.pk in guest_items]
    form = VoteForm(request.POST or None, items=items) if viewer.presiding else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            item = next(i for i in items if i.pk == data["item"])
            try:
                vote = services.create_vote(
                    actor=viewer.actor,
                    item=item,
                    question=data["question"],
                    kind=data["kind"],
                    choices=data["choices"],
                    options=data["options"].splitlines(),
                )
            except DomainError as exc:
                _fail(exc, form)
                status = exc.http_status
            else:
                messages.success(request, f"Đã chuẩn bị biểu quyết “{vote.question}”.")
                return redirect("meetings:votes", meeting.pk)
        else:
            status = 400
    rows = [_row(v, viewer.official) for v in _votes(viewer)]
    by_item = [(item, [r for r in rows if r.vote.item_id == item.pk]) for item in items]
    context = {
        "meeting": meeting,
        "viewer": viewer,
        "form": form,
        "by_item": by_item,
        "to_answer": [r for r in rows if r.seats],
        "in_session": meeting.status == MeetingStatus.IN_SESSION,
    }
    return render(request, "meetings/votes/votes.html", context, status=status)


@require_http_methods(["GET", "POST"])
def vote(request: HttpRequest, pk: int, vid: int) -> HttpResponse:
    """One vote: the ballot for a voter while it is open, the result once closed. A ballot
    posted here is answered with its receipt, once."""
    viewer = _viewer(request, pk)
    this_vote = _vote(viewer, vid)
    errors: DomainError | None = None
    form: BallotForm | None = None
    if request.method == "POST":
        form = BallotForm(request.POST, vote=this_vote)
        if form.is_valid():
            member = None
            member_id = parse_id(form.cleaned_data.get("for_member"))
            if member_id is not None:
                member = Official.objects.filter(pk=member_id).first()
                if member is None:
                    raise Http404
            try:
                code = services.cast_ballot(
                    actor=viewer.actor,
                    vote=this_vote,
                    choice=form.cleaned_data["choice"],
                    for_member=member,
                )
            except DomainError as exc:
                errors = exc
                _fail(exc, form)
            else:
                response = render(
                    request,
                    "meetings/votes/receipt_issued.html",
                    {
                        "meeting": viewer.meeting,
                        "vote": this_vote,
                        "code": code,
                        "secret": this_vote.kind == Vote.Kind.SECRET,
                        "choice_label": services.choice_label(
                            this_vote, form.cleaned_data["choice"]
                        ),
                    },
                )
                add_never_cache_headers(response)
                return response
        this_vote.refresh_from_db()
    row = _row(this_vote, viewer.official)
    seat_forms = [
        (
            seat,
            form
            if form is not None and _posted_seat(form) == seat.member.pk
            else BallotForm(vote=this_vote, initial={"for_member": seat.member.pk}),
        )
        for seat in row.seats
    ]
    already = (
        this_vote.status == VoteStatus.OPEN
        and VoteParticipation.objects.filter(vote=this_vote, official=viewer.official).exists()
    )
    context = {
        "meeting": viewer.meeting,
        "viewer": viewer,
        "vote": this_vote,
        "row": row,
        "seat_forms": seat_forms,
        "already": already,
        "error": errors,
        "in_session": viewer.meeting.status == MeetingStatus.IN_SESSION,
        **_result_context(this_vote),
    }
    status = errors.http_status if errors is not None else (400 if form is not None else 200)
    response = render(request, "meetings/votes/vote.html", context, status=status)
    add_never_cache_headers(response)
    return response


def _posted_seat(form: BallotForm) -> int | None:
    raw = form.data.get("for_member") if form.data else None
    return parse_id(raw) if raw else None


@require_POST
def vote_action(request: HttpRequest, pk: int, vid: int, action: str) -> HttpResponse:
    """The chair opens, closes or cancels a vote (then back to the page it came from)."""
    viewer = _viewer(request, pk)
    this_vote = _vote(viewer, vid)
    back = request.POST.get("back") == "vote"
    try:
        if action == "open":
            duration = DurationForm(request.POST)
            if not duration.is_valid():
                raise DomainError("Thời gian nhận phiếu phải từ 1 đến 1440 phút.")
            services.open_vote(
                actor=viewer.actor,
                vote=this_vote,
                duration_minutes=duration.cleaned_data.get("duration_minutes"),
            )
            messages.success(request, f"Đã mở biểu quyết “{this_vote.question}”.")
        elif action == "close":
            closed = services.close_vote(actor=viewer.actor, vote=this_vote)
            outcome = "Thông qua" if closed.passed else "Không thông qua"
            messages.success(request, f"Đã kết thúc biểu quyết “{this_vote.question}”: {outcome}.")
        elif action == "cancel":
            reason = CancelForm(request.POST)
            text = reason.cleaned_data.get("reason", "") if reason.is_valid() else ""
            services.cancel_vote(actor=viewer.actor, vote=this_vote, reason=text)
            messages.success(request, f"Đã hủy biểu quyết “{this_vote.question}”.")
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    if back:
        return redirect("meetings:vote", viewer.meeting.pk, this_vote.pk)
    return redirect("meetings:votes", viewer.meeting.pk)


@require_http_methods(["GET", "POST"])
def receipt(request: HttpRequest, pk: int, vid: int) -> HttpResponse:
    """A voter types their receipt code and sees their ballot with its choice, counted or not.
    POST only for the code (a code in a URL would be kept in access logs)."""
    viewer = _viewer(request, pk)
    this_vote = _vote(viewer, vid)
    form = ReceiptForm(request.POST or None)
    found: services.ReceiptCheck | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                found = services.find_receipt(this_vote, form.cleaned_data["code"])
            except DomainError as exc:
                _fail(exc, form)
                status = 404
        else:
            status = 400
    response = render(
        request,
        "meetings/votes/receipt.html",
        {"meeting": viewer.meeting, "vote": this_vote, "form": form, "found": found},
        status=status,
    )
    add_never_cache_headers(response)
    return response


def _live_context(viewer: Viewer) -> dict[str, Any]:
    meeting = viewer.meeting
    current = meeting.current_item
    guest_items = viewer.guest_items
    if current is not None and guest_items is not None and current.pk not in guest_items:
        current = None
    speaking: SpeakingRequest | None = None
    waiting: list[SpeakingRequest] = []
    if current is not None:
        queue = (
            SpeakingRequest.objects.filter(
                item=current,
                status__in=(SpeakingRequest.Status.SPEAKING, SpeakingRequest.Status.WAITING),
            )
            .select_related("participant__official__user")
            .order_by("requested_at", "id")
        )
        for request in queue:
            if request.status == SpeakingRequest.Status.SPEAKING:
                speaking = request
            else:
                waiting.append(request)
    all_votes = list(_votes(viewer))
    open_rows = [_row(v, None) for v in all_votes if v.status == VoteStatus.OPEN]
    closed = sorted(
        (v for v in all_votes if v.status == VoteStatus.CLOSED),
        key=lambda v: (v.closed_at is not None, v.closed_at),
        reverse=True,
    )
    results = []
    for v in closed:
        result = v.result or {}
        winner = result.get("winner")
        label = dict(services.choice_options(v)).get(winner, "") if winner else ""
        results.append((v, result, label))
    return {
        "meeting": meeting,
        "current": current,
        "speaking": speaking,
        "waiting": waiting,
        "open_rows": open_rows,
        "results": results,
        "poll_seconds": LIVE_POLL_SECONDS,
        "over": meeting.status in (MeetingStatus.CLOSED, MeetingStatus.CANCELLED),
    }


def live(request: HttpRequest, pk: int) -> HttpResponse:
    """The room's screen: the current item, who speaks and who waits, votes as they close.
    htmx fetches the screen's body every 2 s (a fragment) and swaps it in place."""
    viewer = _viewer(request, pk)
    context = _live_context(viewer)
    if getattr(request, "htmx", False):
        response = render(request, "meetings/votes/_live_body.html", context)
        if context["over"]:
            response.status_code = HTMX_STOP_POLLING
    else:
        response = render(request, "meetings/votes/live.html", context)
    add_never_cache_headers(response)
    return response


urlpatterns = [
    path("<id:pk>/bieu-quyet/", votes, name="votes"),
    path("<id:pk>/bieu-quyet/<id:vid>/", vote, name="vote"),
    path(
        "<id:pk>/bieu-quyet/<id:vid>/mo/",
        vote_action,
        {"action": "open"},
        name="vote_open",
    ),
    path(
        "<id:pk>/bieu-quyet/<id:vid>/ket-thuc/",
        vote_action,
        {"action": "close"},
        name="vote_close",
    ),
    path(
        "<id:pk>/bieu-quyet/<id:vid>/huy/",
        vote_action,
        {"action": "cancel"},
        name="vote_cancel",
    ),
    path("<id:pk>/bieu-quyet/<id:vid>/bien-nhan/", receipt, name="receipt"),
    path("<id:pk>/man-hinh/", live, name="live"),
]
