"""The secretariat's pages (mounted under /hop/): the agency's meetings by state, a new meeting,
and one page to prepare it — details, participants (picked from the whole organisation tree),
the agenda (htmx: only the agenda is redrawn) — with the confirmation pages that send the
invitations, the changes and the cancellation, and the meeting's ICS file.

Every page works without JavaScript. Views never change state themselves: each action calls one
service of services/meetings.py and shows its DomainError in Vietnamese (an error summary, and
the message on the field it concerns).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from egov.core.actors import Actor
from egov.core.errors import DomainError
from egov.core.ids import parse_id
from egov.core.scoping import visible_to
from egov.org.models import Official, Role

from .. import access, ics
from ..cases import OPEN_MEETING
from ..models import AgendaItem, Meeting, MeetingStatus, Participant
from ..services import meetings as svc
from .common import meeting_for, meetings_official
from .secretariat_forms import (
    ItemForm,
    MeetingForm,
    NoteForm,
    Picker,
    ReasonForm,
    VersionForm,
    meeting_initial,
    picker_from_meeting,
    picker_from_post,
)

LIST_LIMIT = 200


# --- who is asking -------------------------------------------------------------------------------


def secretariat_official(request: HttpRequest) -> tuple[Official, Actor]:
    """The signed-in official of a secretariat (văn phòng), else PermissionDenied."""
    official, actor = meetings_official(request)
    if not official.has_role(Role.SECRETARIAT):
        raise PermissionDenied("Chỉ văn phòng (bộ phận tổ chức họp) được vào trang này.")
    return official, actor


def _organised(request: HttpRequest, pk: int) -> tuple[Meeting, Official, Actor]:
    """A meeting the official organises: one they may not see is not found; one they only
    take part in is refused."""
    meeting, official, actor, roles = meeting_for(request, pk)
    if access.ORGANISER not in roles:
        raise PermissionDenied("Chỉ văn phòng tổ chức cuộc họp được chuẩn bị cuộc họp.")
    return meeting, official, actor


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


# --- errors --------------------------------------------------------------------------------------


def _put_errors(exc: DomainError, form: forms.Form | None) -> list[tuple[str, str]]:
    """The service's field errors onto the form; the rest as (anchor, message) for the summary."""
    rest: list[tuple[str, str]] = []
    for name, errors in exc.fields.items():
        for error in errors if isinstance(errors, list) else [errors]:
            if form is not None and name in form.fields:
                form.add_error(name, str(error))
            else:
                rest.append((_ANCHORS.get(name, ""), str(error)))
    if not exc.fields or (form is None and not rest):
        rest.append(("", exc.message))
    return rest


_ANCHORS = {"members": "picker", "guests": "picker", "agenda": "agenda", "note": "id_note"}


def _summary(
    *forms_: forms.Form | None, extra: Sequence[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for form in forms_:
        if form is None or not form.is_bound:
            continue
        for name, errors in form.errors.items():
            anchor = form[name].id_for_label if name in form.fields else ""
            if name in form.fields and isinstance(form.fields[name].widget, forms.RadioSelect):
                anchor = f"{form[name].auto_id}_0"
            found += [(anchor, str(e)) for e in errors]
    return [*found, *extra]


# --- the list ------------------------------------------------------------------------------------

TABS = [
    ("sap-toi", "Sắp diễn ra", Q(status__in=[MeetingStatus.DRAFT, MeetingStatus.PUBLISHED])),
    ("dang-chuan-bi", "Đang chuẩn bị", Q(status=MeetingStatus.DRAFT)),
    ("da-gui", "Đã gửi giấy mời", Q(status=MeetingStatus.PUBLISHED)),
    ("dang-hop", "Đang họp", Q(status=MeetingStatus.IN_SESSION)),
    ("da-ket-thuc", "Đã kết thúc", Q(status=MeetingStatus.CLOSED)),
    ("da-huy", "Đã hủy", Q(status=MeetingStatus.CANCELLED)),
]


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    official, actor = secretariat_official(request)
    mine = visible_to(actor, Meeting.objects.filter(agency_id=official.agency_id))
    counts = mine.aggregate(**{key: Count("pk", filter=q) for key, _label, q in TABS})
    key = request.GET.get("tab", TABS[0][0])
    tab = next((t for t in TABS if t[0] == key), TABS[0])
    rows = mine.filter(tab[2]).select_related("chair__user").annotate(people=Count("participants"))
    if tab[0] in ("sap-toi", "dang-chuan-bi", "da-gui"):
        rows = rows.order_by("starts_at", "pk")
    else:
        rows = rows.order_by("-starts_at", "-pk")
    meetings = list(rows[:LIST_LIMIT])
    for m in meetings:
        # A cheap hint; the meeting's page lists the changes themselves.
        m.unsent = bool(  # type: ignore[attr-defined]
            m.status == MeetingStatus.PUBLISHED
            and m.published_snapshot
            and m.published_snapshot.get("version") != m.version
        )
    tabs = [(k, label, counts[k]) for k, label, _q in TABS]
    return render(
        request,
        "meetings/secretariat/manage.html",
        {
            "tabs": tabs,
            "tab": tab[0],
            "tab_label": tab[1],
            "meetings": meetings,
            "now": timezone.now(),
        },
    )


# --- creating ------------------------------------------------------------------------------------


def _picker_exclude(post: Any) -> set[int]:
    return {pk for pk in (parse_id(post.get("chair")), parse_id(post.get("secretary"))) if pk}


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    official, actor = secretariat_official(request)
    extra: list[tuple[str, str]] = []
    if request.method == "POST":
        picker = picker_from_post(request.POST, exclude=_picker_exclude(request.POST), items=[])
        if request.POST.get("action") == "search":
            form = MeetingForm(initial=request.POST.dict(), agency_id=official.agency_id)
            return _render_create(request, form, picker, extra)
        form = MeetingForm(request.POST, agency_id=official.agency_id)
        if form.is_valid():
            data = form.meeting_input(
                members=[r.official for r in picker.chosen("member")],
                guests=[r.official for r in picker.chosen("guest")],
            )
            try:
                meeting = svc.create_meeting(actor=actor, data=data)
            except DomainError as exc:
                extra = _put_errors(exc, form)
                picker.errors = [m for a, m in extra if a == "picker"]
            else:
                messages.success(
                    request, "Đã tạo cuộc họp. Tiếp theo: lập chương trình họp rồi gửi giấy mời."
                )
                return redirect(reverse("meetings:edit", args=[meeting.pk]) + "#agenda")
    else:
        form = MeetingForm(agency_id=official.agency_id)
        picker = Picker([])
    return _render_create(request, form, picker, extra)


def _render_create(
    request: HttpRequest, form: MeetingForm, picker: Picker, extra: list[tuple[str, str]]
) -> HttpResponse:
    return render(
        request,
        "meetings/secretariat/create.html",
        {
            "form": form,
            "picker": picker,
            "errors": _summary(form, extra=extra),
            "picker_url": request.path,
            "items": [],
        },
    )


# --- the meeting's page --------------------------------------------------------------------------


def _edit_context(
    request: HttpRequest,
    meeting: Meeting,
    official: Official,
    *,
    form: MeetingForm | None = None,
    picker: Picker | None = None,
    new_item: ItemForm | None = None,
    item_forms: dict[int, ItemForm] | None = None,
    errors: Sequence[tuple[str, str]] = (),
    agenda_status: str = "",
) -> dict[str, Any]:
    items = list(meeting.items.select_related("presenter__user").order_by("position"))
    item_forms = dict(item_forms or {})
    for item in items:
        if item.pk not in item_forms:
            item_forms[item.pk] = ItemForm(
                prefix=f"i{item.pk}",
                meeting=meeting,
                initial={
                    "title": item.title,
                    "presenter": item.presenter_id,
                    "presenter_name": item.presenter_name,
                    "duration_minutes": item.duration_minutes,
                    "description": item.description,
                },
            )
    editable = meeting.status in OPEN_MEETING
    people = sorted(
        meeting.participants.select_related(
            "official__user", "official__agency", "official__position", "delegate__user"
        ),
        key=lambda p: (ics.ROLE_ORDER[p.role], p.pk),
    )
    return {
        "meeting": meeting,
        "editable": editable,
        "form": form
        or MeetingForm(
            initial=meeting_initial(meeting), agency_id=meeting.agency_id, meeting=meeting
        ),
        "picker": picker or picker_from_meeting(meeting),
        "picker_url": reverse("meetings:sec_participants", args=[meeting.pk]),
        "new_item": new_item or ItemForm(prefix="new", meeting=meeting),
        "agenda": [(item, item_forms[item.pk]) for item in items],
        "items": items,
        "people": people,
        "changes": svc.pending_changes(meeting)
        if meeting.status == MeetingStatus.PUBLISHED
        else [],
        "errors": errors,
        "agenda_status": agenda_status,
        "last_sent": datetime.fromisoformat(meeting.published_snapshot["sent_at"])
        if meeting.published_snapshot
        else None,
        "total_minutes": sum(i.duration_minutes for i in items),
    }


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, official, actor = _organised(request, pk)
    if request.method != "POST":
        return render(
            request, "meetings/secretariat/edit.html", _edit_context(request, meeting, official)
        )
    form = MeetingForm(request.POST, agency_id=meeting.agency_id, meeting=meeting)
    version = VersionForm(request.POST)
    extra: list[tuple[str, str]] = []
    if form.is_valid() and version.is_valid():
        try:
            svc.update_meeting(
                actor=actor,
                meeting=meeting,
                data=form.meeting_input(),
                expected_version=version.cleaned_data["version"],
            )
        except DomainError as exc:
            extra = _put_errors(exc, form)
        else:
            messages.success(request, _saved_message(meeting))
            return redirect("meetings:edit", pk=meeting.pk)
    elif not version.is_valid():
        extra = [("", "Trang đã cũ, vui lòng tải lại trang.")]
    meeting.refresh_from_db()
    return render(
        request,
        "meetings/secretariat/edit.html",
        _edit_context(request, meeting, official, form=form, errors=_summary(form, extra=extra)),
    )


def _saved_message(meeting: Meeting) -> str:
    if meeting.status == MeetingStatus.PUBLISHED:
        return "Đã lưu. Thay đổi chưa được gửi: bấm “Gửi thông báo thay đổi” khi đã sửa xong."
    return "Đã lưu thông tin cuộc họp."


@login_required
@require_POST
def participants(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, official, actor = _organised(request, pk)
    items = list(meeting.items.order_by("position"))
    exclude = {meeting.chair_id, *([meeting.secretary_id] if meeting.secretary_id else [])}
    picker = picker_from_post(request.POST, exclude=exclude, items=items)
    extra: list[tuple[str, str]] = []
    if request.POST.get("action") != "search":
        version = VersionForm(request.POST)
        by_id = {i.pk: i for i in items}
        try:
            if not version.is_valid():
                raise svc.MeetingError("Trang đã cũ, vui lòng tải lại trang.")
            svc.set_participants(
                actor=actor,
                meeting=meeting,
                members=[r.official for r in picker.chosen("member")],
                guests=[
                    (r.official, [by_id[i] for i in sorted(r.items) if i in by_id])
                    for r in picker.chosen("guest")
                ],
                expected_version=version.cleaned_data["version"],
            )
        except DomainError as exc:
            extra = _put_errors(exc, None)
            picker.errors = [m for _a, m in extra]
            extra = [("picker", m) for _a, m in extra]
        else:
            messages.success(request, _saved_message(meeting))
            return redirect(reverse("meetings:edit", args=[meeting.pk]) + "#participants")
    meeting.refresh_from_db()
    return render(
        request,
        "meetings/secretariat/edit.html",
        _edit_context(request, meeting, official, picker=picker, errors=extra),
    )


AGENDA_ACTIONS = ("add", "update", "remove", "up", "down")


def _agenda_change(
    actor: Actor,
    meeting: Meeting,
    action: str,
    item: AgendaItem | None,
    form: ItemForm | None,
    expected: int | None,
) -> str:
    """Run one agenda action; what to tell the secretariat."""
    if form is not None:
        if not form.is_valid():
            raise svc.MeetingError("Nội dung họp chưa hợp lệ.")
        values = {k: form.cleaned_data[k] for k in ItemForm.base_fields}
        if item is None:
            added = svc.add_item(actor=actor, meeting=meeting, expected_version=expected, **values)
            return f"Đã thêm nội dung {added.position}: {added.title}."
        svc.update_item(actor=actor, item=item, expected_version=expected, **values)
        return f"Đã sửa nội dung: {values['title']}."
    assert item is not None
    if action == "remove":
        svc.remove_item(actor=actor, item=item, expected_version=expected)
        return f"Đã bỏ nội dung: {item.title}."
    target = item.position - 1 if action == "up" else item.position + 1
    svc.move_item(actor=actor, item=item, position=target, expected_version=expected)
    where = "lên" if action == "up" else "xuống"
    return f"Đã chuyển “{item.title}” {where} vị trí {target}."


@login_required
@require_POST
def agenda(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, official, actor = _organised(request, pk)
    action = request.POST.get("action", "")
    if action not in AGENDA_ACTIONS:
        raise Http404
    item: AgendaItem | None = None
    if action != "add":
        item_id = parse_id(request.POST.get("item"))
        item = meeting.items.filter(pk=item_id).first() if item_id else None
        if item is None:
            raise Http404
    form: ItemForm | None = None
    if action in ("add", "update"):
        prefix = "new" if item is None else f"i{item.pk}"
        form = ItemForm(request.POST, prefix=prefix, meeting=meeting)
    version = VersionForm(request.POST)
    try:
        if not version.is_valid():
            raise svc.MeetingError("Trang đã cũ, vui lòng tải lại trang.")
        status = _agenda_change(actor, meeting, action, item, form, version.cleaned_data["version"])
    except DomainError as exc:
        extra = [(a or "agenda", m) for a, m in _put_errors(exc, form)]
        meeting.refresh_from_db()
        context = _edit_context(
            request,
            meeting,
            official,
            new_item=form if item is None else None,
            item_forms={item.pk: form} if item is not None and form is not None else None,
            errors=[] if _is_htmx(request) else _summary(form, extra=extra),
        )
        if _is_htmx(request):
            # Only the agenda is redrawn: its own summary, inside it.
            context["agenda_errors"] = _summary(form, extra=extra)
        return render(request, "meetings/secretariat/edit.html", context)
    if _is_htmx(request):
        meeting.refresh_from_db()
        context = _edit_context(request, meeting, official, agenda_status=status)
        return render(request, "meetings/secretariat/edit.html", context)
    messages.success(request, status)
    return redirect(reverse("meetings:edit", args=[meeting.pk]) + "#agenda")


# --- sending -------------------------------------------------------------------------------------


def _confirm(
    request: HttpRequest,
    template: str,
    meeting: Meeting,
    form: forms.Form,
    errors: list[tuple[str, str]],
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "meeting": meeting,
            "form": form,
            "errors": errors,
            "recipients": svc.recipients(meeting),
            "changes": svc.pending_changes(meeting),
            "items": list(meeting.items.select_related("presenter__user").order_by("position")),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def publish_page(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, _official, actor = _organised(request, pk)
    if meeting.status != MeetingStatus.DRAFT:
        return redirect("meetings:edit", pk=meeting.pk)
    form = VersionForm(request.POST or None, initial={"version": meeting.version})
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise svc.MeetingError("Trang đã cũ, vui lòng tải lại trang.")
            meeting = svc.publish(
                actor=actor, meeting=meeting, expected_version=form.cleaned_data["version"]
            )
        except DomainError as exc:
            errors = _put_errors(exc, None)
        else:
            count = len(svc.recipients(meeting))
            messages.success(request, f"Đã gửi giấy mời họp tới {count} người.")
            return redirect("meetings:edit", pk=meeting.pk)
    return _confirm(request, "meetings/secretariat/publish.html", meeting, form, errors)


@login_required
@require_http_methods(["GET", "POST"])
def republish_page(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, _official, actor = _organised(request, pk)
    if meeting.status != MeetingStatus.PUBLISHED:
        return redirect("meetings:edit", pk=meeting.pk)
    form = NoteForm(request.POST or None, initial={"version": meeting.version})
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        if form.is_valid():
            try:
                meeting = svc.republish(
                    actor=actor,
                    meeting=meeting,
                    note=form.cleaned_data["note"],
                    expected_version=form.cleaned_data["version"],
                )
            except DomainError as exc:
                errors = _put_errors(exc, form)
            else:
                messages.success(
                    request,
                    f"Đã gửi thông báo thay đổi (lần {meeting.ical_sequence}) tới những người "
                    "dự họp.",
                )
                return redirect("meetings:edit", pk=meeting.pk)
        errors = _summary(form, extra=errors)
    return _confirm(request, "meetings/secretariat/republish.html", meeting, form, errors)


@login_required
@require_http_methods(["GET", "POST"])
def cancel_page(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, _official, actor = _organised(request, pk)
    if meeting.status not in OPEN_MEETING:
        return redirect("meetings:edit", pk=meeting.pk)
    form = ReasonForm(request.POST or None, initial={"version": meeting.version})
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        if form.is_valid():
            try:
                meeting = svc.cancel(
                    actor=actor,
                    meeting=meeting,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["version"],
                )
            except DomainError as exc:
                errors = _put_errors(exc, form)
            else:
                messages.success(
                    request, "Đã hủy cuộc họp và thông báo tới những người đã được mời."
                )
                return redirect("meetings:edit", pk=meeting.pk)
        errors = _summary(form, extra=errors)
    return _confirm(request, "meetings/secretariat/cancel.html", meeting, form, errors)


# --- the calendar file ---------------------------------------------------------------------------


@login_required
def ics_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting for the participant's calendar program (their own view of the agenda)."""
    meeting, official, _actor, roles = meeting_for(request, pk)
    if meeting.status == MeetingStatus.DRAFT and access.ORGANISER not in roles:
        raise Http404("Không tìm thấy cuộc họp.")
    viewer = Participant.objects.filter(meeting=meeting, official=official).first()
    if viewer is None:
        viewer = Participant.objects.filter(meeting=meeting, delegate=official).first()
    method = "CANCEL" if meeting.status == MeetingStatus.CANCELLED else "REQUEST"
    text = ics.meeting_ics(meeting, method, viewer=viewer)
    response = HttpResponse(text, content_type=f"text/calendar; charset=utf-8; method={method}")
    response["Content-Disposition"] = f'attachment; filename="cuoc-hop-{meeting.pk}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("quan-ly/", manage, name="manage"),
    path("tao-moi/", create, name="create"),
    path("<id:pk>/sua/", edit, name="edit"),
    path("<id:pk>/sua/thanh-phan/", participants, name="sec_participants"),
    path("<id:pk>/sua/chuong-trinh/", agenda, name="sec_agenda"),
    path("<id:pk>/sua/gui-giay-moi/", publish_page, name="sec_publish"),
    path("<id:pk>/sua/gui-thay-doi/", republish_page, name="sec_republish"),
    path("<id:pk>/sua/huy/", cancel_page, name="sec_cancel"),
    path("<id:pk>/lich.ics", ics_file, name="ics"),
]
