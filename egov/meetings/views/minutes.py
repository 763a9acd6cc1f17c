"""Pages of the minutes (biên bản), the conclusion notice (thông báo kết luận) and the tasks.

- /hop/<id>/bien-ban/: the secretary's editor (notes per agenda item, opening and closing notes,
  autosaved with htmx a few seconds after typing stops; a save button without JavaScript), the
  parts the record fills in shown beside, submit, the signatures with an authenticator code,
  the PDF.
- /hop/<id>/ket-luan/: the conclusion and its task rows, submitted to the documents app; its
  status, number and document; the tasks once issued (the chair may cancel one).
- /hop/nhiem-vu/: for a chair, their overdue list first; then the tasks the official reports on.

Views change nothing themselves: each action calls one service and shows its DomainError.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.forms import formset_factory
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from egov.core.errors import DomainError
from egov.core.ids import MAX_ID, IdChoiceField
from egov.core.scoping import visible_to
from egov.documents.models import OutgoingDocument
from egov.org.models import Agency, Official

from .. import access
from ..models import (
    Conclusion,
    ConclusionStatus,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    Task,
    TaskStatus,
)
from ..services import conclusions as conclusion_services
from ..services import minutes as minutes_services
from ..services import minutes_record
from ..services import tasks as task_services
from .common import meeting_for, meetings_official

# --- forms ---------------------------------------------------------------------------------------


class CodeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    code = forms.CharField(
        label="Mã xác thực",
        max_length=12,
        help_text="Mở ứng dụng xác thực trên điện thoại và nhập mã 6 chữ số đang hiển thị.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
        error_messages={"required": "Nhập mã xác thực để ký."},
    )


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)


class ConclusionForm(forms.Form):
    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=MAX_ID, required=False
    )
    text = forms.CharField(
        label="Nội dung kết luận",
        max_length=conclusion_services.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": "Nhập nội dung kết luận."},
    )


class TaskRowForm(forms.Form):
    title = forms.CharField(label="Nhiệm vụ", max_length=500, required=False)
    agency = IdChoiceField(
        label="Cơ quan chủ trì",
        queryset=Agency.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label="— Chọn cơ quan —",
    )
    assignee = IdChoiceField(
        label="Người chịu trách nhiệm (không bắt buộc)",
        queryset=Official.objects.filter(user__is_active=True)
        .select_related("user", "agency")
        .order_by("agency__name", "user__full_name"),
        required=False,
        empty_label="— Cơ quan tự phân công —",
    )
    due_days = forms.IntegerField(
        label="Thời hạn (ngày làm việc kể từ ngày ban hành)",
        min_value=1,
        max_value=conclusion_services.MAX_DUE_DAYS,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["assignee"]
        field.label_from_instance = lambda o: (
            f"{o.user.get_full_name() or o.user.username} — {o.agency.name}"
        )

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not any(data.get(k) for k in ("title", "agency", "assignee", "due_days"))


TaskRows = formset_factory(TaskRowForm, extra=3, max_num=conclusion_services.MAX_TASKS)


class ReportForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    report = forms.CharField(
        label="Nội dung báo cáo",
        max_length=task_services.MAX_REPORT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Nhập nội dung báo cáo."},
    )


class CancelForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    reason = forms.CharField(
        label="Lý do hủy",
        max_length=500,
        error_messages={"required": "Nhập lý do hủy nhiệm vụ."},
    )


def _fail(request: HttpRequest, exc: DomainError, form: forms.Form | None = None) -> None:
    messages.error(request, exc.message)
    if form is not None:
        for name, errors in exc.fields.items():
            target = name if name in form.fields else None
            for error in errors if isinstance(errors, list) else [errors]:
                form.add_error(target, str(error))


# --- minutes -------------------------------------------------------------------------------------

WRITERS = frozenset({access.CHAIR, access.SECRETARY, access.ORGANISER})


def _minutes_of(actor: Any, meeting: Meeting) -> Minutes | None:
    return visible_to(actor, Minutes.objects.all()).filter(meeting=meeting).first()


def _parts(meeting: Meeting, notes: dict[str, str]) -> list[dict[str, str]]:
    parts = [
        {
            "key": minutes_record.OPENING,
            "label": "Khai mạc, thông qua chương trình",
            "text": notes.get(minutes_record.OPENING, ""),
        }
    ]
    for item in meeting.items.all():
        parts.append(
            {
                "key": str(item.pk),
                "label": f"{item.position}. {item.title}",
                "text": notes.get(str(item.pk), ""),
            }
        )
    parts.append(
        {
            "key": minutes_record.CLOSING,
            "label": "Bế mạc",
            "text": notes.get(minutes_record.CLOSING, ""),
        }
    )
    return parts


@login_required
def minutes_page(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, official, actor, roles = meeting_for(request, pk)
    minutes = _minutes_of(actor, meeting)
    secretary = access.SECRETARY in roles
    notes = minutes_record.current_notes(minutes) if minutes else {}
    writer = bool(roles & WRITERS)
    context: dict[str, Any] = {
        "meeting": meeting,
        "minutes": minutes,
        "writer": writer,
        "secretary": secretary,
        "can_start": secretary and minutes is None and meeting.status in minutes_services.STARTABLE,
        "can_write": secretary and minutes is not None and minutes.status == MinutesStatus.DRAFT,
        "can_submit": secretary
        and minutes is not None
        and minutes.status == MinutesStatus.DRAFT
        and meeting.status == MeetingStatus.CLOSED,
        "can_reopen": secretary
        and minutes is not None
        and minutes.status == MinutesStatus.SIGNING
        and not (minutes.secretary_signed_at or minutes.chair_signed_at),
        "sign_as": None,
    }
    if writer:
        context["record"] = minutes_record.build(meeting, notes)
        context["parts"] = _parts(meeting, notes)
    if minutes is not None and minutes.status == MinutesStatus.SIGNING:
        minutes.meeting = meeting
        role = minutes_services.signer_role(minutes, official)
        if role:
            context["sign_as"] = minutes_record.SIGNER_TITLES[role].capitalize()
            context["sign_form"] = CodeForm(initial={"version": minutes.version})
    if minutes is not None:
        context["version_form"] = VersionForm(initial={"version": minutes.version})
    return render(request, "meetings/minutes.html", context)


def _minutes_or_404(actor: Any, meeting: Meeting) -> Minutes:
    minutes = _minutes_of(actor, meeting)
    if minutes is None:
        raise Http404("Không tìm thấy biên bản.")
    minutes.meeting = meeting
    return minutes


@login_required
@require_POST
def minutes_save(request: HttpRequest, pk: int) -> HttpResponse:
    """The save button (without JavaScript): written into the minutes at once."""
    meeting, _official, actor, _roles = meeting_for(request, pk)
    minutes = _minutes_or_404(actor, meeting)
    part = request.POST.get("part", "")
    try:
        minutes_services.write_minutes(
            actor=actor,
            minutes=minutes,
            notes={part: request.POST.get("text", "")},
            explicit=True,
        )
    except DomainError as exc:
        _fail(request, exc)
    else:
        messages.success(request, "Đã lưu biên bản.")
    return redirect(f"{minutes_services.minutes_link(meeting)}#phan-{part}")


@login_required
@require_POST
def minutes_autosave(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: one part saved a few seconds after typing stopped; answers a status line."""
    meeting, _official, actor, _roles = meeting_for(request, pk)
    minutes = _minutes_or_404(actor, meeting)
    part = request.POST.get("part", "")
    error = ""
    try:
        minutes = minutes_services.write_minutes(
            actor=actor, minutes=minutes, notes={part: request.POST.get("text", "")}
        )
    except DomainError as exc:
        error = exc.message
    # The submit form's version follows the writes (out of band), so it is not stale.
    return render(
        request,
        "meetings/_minutes_saved.html",
        {"error": error, "at": timezone.localtime(), "version": minutes.version},
    )


@login_required
@require_POST
def minutes_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    meeting, _official, actor, _roles = meeting_for(request, pk)
    back = redirect("meetings:minutes", pk=meeting.pk)
    try:
        if action == "start":
            minutes_services.start_minutes(actor=actor, meeting=meeting)
            messages.success(request, "Đã mở biên bản cuộc họp.")
            return back
        minutes = _minutes_or_404(actor, meeting)
        if action == "sign":
            form: forms.Form = CodeForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Nhập mã xác thực để ký.")
                return back
            minutes_services.sign_minutes(
                actor=actor,
                minutes=minutes,
                second_factor=form.cleaned_data["code"],
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, "Đã ký số biên bản.")
            return back
        form = VersionForm(request.POST)
        version = form.cleaned_data["version"] if form.is_valid() else None
        if action == "submit":
            minutes_services.submit_minutes(actor=actor, minutes=minutes, expected_version=version)
            messages.success(request, "Đã trình ký biên bản. Thư ký và chủ tọa ký số biên bản.")
        elif action == "reopen":
            minutes_services.reopen_minutes(actor=actor, minutes=minutes, expected_version=version)
            messages.success(request, "Biên bản đã trở lại để sửa.")
        else:
            raise Http404
    except DomainError as exc:
        _fail(request, exc)
    return back


@login_required
def minutes_pdf(request: HttpRequest, pk: int) -> FileResponse:
    meeting, _official, actor, _roles = meeting_for(request, pk)
    minutes = _minutes_or_404(actor, meeting)
    if not minutes.pdf:
        raise Http404("Biên bản chưa có bản PDF.")
    try:
        handle = minutes.pdf.open("rb")
    except OSError as exc:
        raise Http404 from exc
    signed = "-da-ky" if minutes.status == MinutesStatus.SIGNED else ""
    response = FileResponse(
        handle,
        as_attachment=False,
        filename=f"bien-ban-hop-{meeting.pk}{signed}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- conclusion ----------------------------------------------------------------------------------


def _conclusion_of(actor: Any, meeting: Meeting) -> Conclusion | None:
    return (
        visible_to(actor, Conclusion.objects.select_related("document"))
        .filter(meeting=meeting)
        .first()
    )


def _task_rows(conclusion: Conclusion | None) -> list[dict[str, Any]]:
    if conclusion is None:
        return []
    return [
        {
            "title": p["title"],
            "agency": p["agency"],
            "assignee": p.get("assignee"),
            "due_days": p["due_days"],
        }
        for p in conclusion.planned_tasks
    ]


def _task_inputs(rows: Any) -> list[conclusion_services.TaskInput]:
    inputs = []
    for row in rows:
        if row.is_blank():
            continue
        data = row.cleaned_data
        inputs.append(
            conclusion_services.TaskInput(
                title=data.get("title") or "",
                agency=data.get("agency"),
                assignee=data.get("assignee"),
                due_days=data.get("due_days") or 0,
            )
        )
    return inputs


@login_required
def conclusion_page(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, _official, actor, roles = meeting_for(request, pk)
    conclusion = _conclusion_of(actor, meeting)
    presiding = access.PRESIDING in roles
    editable = (
        presiding
        and meeting.status == MeetingStatus.CLOSED
        and (conclusion is None or conclusion.status == ConclusionStatus.DRAFT)
    )
    form = ConclusionForm(
        request.POST or None,
        initial={
            "text": conclusion.text if conclusion else "",
            "version": conclusion.version if conclusion else None,
        },
    )
    rows = TaskRows(request.POST or None, initial=_task_rows(conclusion), prefix="nv")
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("Không sửa được thông báo kết luận này.")
        if form.is_valid() and rows.is_valid():
            try:
                conclusion_services.draft_conclusion(
                    actor=actor,
                    meeting=meeting,
                    text=form.cleaned_data["text"],
                    tasks=_task_inputs(rows),
                    expected_version=form.cleaned_data.get("version"),
                )
            except DomainError as exc:
                _fail(request, exc, form)
                _task_errors(rows, exc)
            else:
                messages.success(request, "Đã lưu thông báo kết luận.")
                return redirect("meetings:conclusion", pk=meeting.pk)
    document = None
    if conclusion is not None and conclusion.document_id:
        document = (
            visible_to(actor, OutgoingDocument.objects.all())
            .filter(pk=conclusion.document_id)
            .first()
        )
    tasks = (
        Task.objects.filter(conclusion=conclusion)
        .select_related("assignee_agency", "assignee__user")
        .order_by("id")
        if conclusion is not None and conclusion.status == ConclusionStatus.ISSUED
        else Task.objects.none()
    )
    return render(
        request,
        "meetings/conclusion.html",
        {
            "meeting": meeting,
            "conclusion": conclusion,
            "editable": editable,
            "form": form,
            "rows": rows,
            "can_submit": access.SECRETARY in roles
            and conclusion is not None
            and conclusion.status == ConclusionStatus.DRAFT,
            "is_chair": access.CHAIR in roles,
            "document": document,
            "tasks": tasks,
            "now": timezone.now(),
        },
    )


def _task_errors(rows: Any, exc: DomainError) -> None:
    """The service names a task's errors "tasks.<n>" (n counts the filled rows from 1)."""
    filled = [row for row in rows if not row.is_blank()]
    for name, errors in exc.fields.items():
        if not name.startswith("tasks."):
            continue
        try:
            row = filled[int(name.split(".", 1)[1]) - 1]
        except (ValueError, IndexError):
            continue
        for error in errors:
            row.add_error(None, str(error))


@login_required
@require_POST
def conclusion_submit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, _official, actor, _roles = meeting_for(request, pk)
    conclusion = _conclusion_of(actor, meeting)
    if conclusion is None:
        raise Http404("Không tìm thấy thông báo kết luận.")
    form = VersionForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    try:
        conclusion_services.submit_conclusion(
            actor=actor, conclusion=conclusion, expected_version=version
        )
    except DomainError as exc:
        _fail(request, exc)
    else:
        messages.success(
            request,
            "Đã trình dự thảo thông báo kết luận cho chủ trì duyệt, ký trên hệ thống văn bản.",
        )
    return redirect("meetings:conclusion", pk=meeting.pk)


# --- tasks ---------------------------------------------------------------------------------------


@login_required
def tasks_page(request: HttpRequest) -> HttpResponse:
    official, _actor = meetings_official(request)
    mine = (
        task_services.assigned_to(official)
        .annotate(
            open_first=Case(
                When(status=TaskStatus.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("open_first", "due_at", "id")[:200]
    )
    now = timezone.now()
    rows = [
        {
            "task": task,
            "overdue": task.status == TaskStatus.OPEN and task.due_at and task.due_at < now,
            "form": ReportForm(initial={"version": task.version}, prefix=f"t{task.pk}"),
        }
        for task in mine
    ]
    return render(
        request,
        "meetings/tasks.html",
        {"overdue": task_services.overdue_tasks(official, now), "rows": rows},
    )


@login_required
@require_POST
def task_action(request: HttpRequest, tid: int, action: str) -> HttpResponse:
    _official, actor = meetings_official(request)
    task = (
        visible_to(actor, Task.objects.select_related("conclusion__meeting")).filter(pk=tid).first()
    )
    if task is None:
        raise Http404("Không tìm thấy nhiệm vụ.")
    if action == "cancel":
        back = redirect("meetings:conclusion", pk=task.conclusion.meeting_id)
    else:
        back = redirect("meetings:tasks")
    try:
        if action in ("report", "complete"):
            form: forms.Form = ReportForm(request.POST, prefix=f"t{task.pk}")
            if not form.is_valid():
                messages.error(request, "Nhập nội dung báo cáo.")
                return back
            service = (
                task_services.report_task if action == "report" else task_services.complete_task
            )
            service(
                actor=actor,
                task=task,
                report=form.cleaned_data["report"],
                expected_version=form.cleaned_data["version"],
            )
            done = "Đã báo cáo tiến độ." if action == "report" else "Đã báo cáo hoàn thành."
            messages.success(request, done)
        elif action == "cancel":
            form = CancelForm(request.POST, prefix=f"h{task.pk}")
            if not form.is_valid():
                messages.error(request, "Nhập lý do hủy nhiệm vụ.")
                return back
            task_services.cancel_task(
                actor=actor,
                task=task,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, "Đã hủy nhiệm vụ.")
        else:
            raise Http404
    except DomainError as exc:
        _fail(request, exc)
    return back


urlpatterns = [
    path("<id:pk>/bien-ban/", minutes_page, name="minutes"),
    path("<id:pk>/bien-ban/luu/", minutes_save, name="minutes_save"),
    path("<id:pk>/bien-ban/tu-dong-luu/", minutes_autosave, name="minutes_autosave"),
    path("<id:pk>/bien-ban/thao-tac/<slug:action>/", minutes_action, name="minutes_action"),
    path("<id:pk>/bien-ban/tep/", minutes_pdf, name="minutes_pdf"),
    path("<id:pk>/ket-luan/", conclusion_page, name="conclusion"),
    path("<id:pk>/ket-luan/trinh-ky/", conclusion_submit, name="conclusion_submit"),
    path("nhiem-vu/", tasks_page, name="tasks"),
    path("nhiem-vu/<id:tid>/<slug:action>/", task_action, name="task_action"),
]
