"""Written consultation pages (/hop/lay-y-kien/): the list (what waits for my answer, what I
prepared or chair), the form to prepare one, and the consultation's page: the draft to read,
the question, the answer with the authenticator code, the answers as they come (chair and
secretariat), the tally and the issued result."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from egov.core.dates import local_text
from egov.core.errors import DomainError
from egov.core.scoping import visible_to
from egov.documents.models import DocumentVersion, OutgoingDocument, OutgoingStatus
from egov.org.models import Official, Role

from .. import access
from ..models import Consultation, ConsultationMember, ConsultationStatus, DecisionRule
from ..services import consultations as services
from .common import consultation_for, meetings_official

MAX_LIST = 200


# --- forms ---------------------------------------------------------------------------------------


class ConsultationForm(forms.Form):
    draft = forms.ModelChoiceField(
        label="Dự thảo văn bản xin ý kiến",
        queryset=OutgoingDocument.objects.none(),
        empty_label="— Chọn dự thảo —",
        error_messages={"required": "Chọn dự thảo văn bản.", "invalid_choice": "Chọn lại dự thảo."},
    )
    title = forms.CharField(
        label="Vấn đề lấy ý kiến",
        max_length=300,
        error_messages={"required": "Nhập vấn đề lấy ý kiến."},
    )
    question = forms.CharField(
        label="Nội dung xin ý kiến",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Nhập nội dung xin ý kiến."},
    )
    chair = forms.ModelChoiceField(
        label="Người chủ trì (ký kết quả)",
        queryset=Official.objects.none(),
        empty_label="— Chọn lãnh đạo —",
        error_messages={"required": "Chọn người chủ trì.", "invalid_choice": "Chọn lại."},
    )
    members = forms.ModelMultipleChoiceField(
        label="Thành viên được lấy ý kiến",
        queryset=Official.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Chọn thành viên.", "invalid_choice": "Chọn lại thành viên."},
    )
    deadline_days = forms.IntegerField(
        label="Thời hạn trả lời (ngày làm việc)",
        min_value=1,
        max_value=services.MAX_DEADLINE_DAYS,
        initial=3,
        help_text="Tính từ ngày gửi, không kể thứ Bảy, Chủ nhật và ngày nghỉ lễ.",
        error_messages={
            "required": "Nhập số ngày làm việc.",
            "invalid": "Nhập một số.",
            "min_value": "Ít nhất 1 ngày làm việc.",
            "max_value": f"Tối đa {services.MAX_DEADLINE_DAYS} ngày làm việc.",
        },
    )
    result_kind = forms.ChoiceField(
        label="Ban hành kết quả bằng",
        choices=Consultation.ResultKind.choices,
        initial=Consultation.ResultKind.CONCLUSION,
        widget=forms.RadioSelect,
    )
    rule = forms.ModelChoiceField(
        label="Quy tắc biểu quyết",
        queryset=DecisionRule.objects.filter(is_active=True),
        required=False,
        empty_label="Mặc định",
    )

    def __init__(self, *args: Any, official: Official, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agency_id = official.agency_id
        field: Any = self.fields["draft"]
        field.queryset = (
            OutgoingDocument.objects.filter(
                agency_id=agency_id, status__in=services.DRAFT_STATES, issue_on_signature=False
            )
            .select_related("doc_type")
            .order_by("-pk")
        )
        field.label_from_instance = lambda d: f"{d.doc_type.name}: {d.subject}"
        people = Official.objects.filter(user__is_active=True).select_related("user", "position")
        chair: Any = self.fields["chair"]
        chair.queryset = (
            people.filter(agency_id=agency_id, roles__role=Role.LEADER)
            .distinct()
            .order_by("user__full_name")
        )
        chair.label_from_instance = _person
        members: Any = self.fields["members"]
        members.queryset = (
            people.filter(Q(agency_id=agency_id) | Q(agency__parent_id=agency_id))
            .select_related("agency")
            .order_by("agency_id", "user__full_name")
        )
        members.label_from_instance = _person_in_agency


def _person(official: Official) -> str:
    position = official.position.name if official.position_id and official.position else ""
    return official.user.get_full_name() + (f" — {position}" if position else "")


def _person_in_agency(official: Official) -> str:
    return f"{_person(official)} ({official.agency.name})"


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label="Ý kiến của anh/chị",
        choices=ConsultationMember.Answer.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Chọn ý kiến.", "invalid_choice": "Chọn lại ý kiến."},
    )
    comment = forms.CharField(
        label="Ý kiến cụ thể",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Bắt buộc khi chọn “Ý kiến khác”.",
    )
    code = forms.CharField(
        label="Mã xác thực để ký phiếu",
        max_length=12,
        help_text="Mở ứng dụng xác thực trên điện thoại và nhập mã 6 chữ số đang hiển thị.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
        error_messages={"required": "Nhập mã xác thực để ký phiếu."},
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Mã xác thực",
        max_length=12,
        help_text="Mã 6 chữ số trên ứng dụng xác thực.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
        error_messages={"required": "Nhập mã xác thực để ký."},
    )


def _fail(request: HttpRequest, exc: DomainError, form: forms.Form | None = None) -> None:
    messages.error(request, exc.message)
    if form is None:
        return
    for name, errors in exc.fields.items():
        target = name if name in form.fields else None
        for error in errors if isinstance(errors, list) else [errors]:
            form.add_error(target, str(error))


def _may_prepare(official: Official) -> bool:
    return official.has_role(Role.SECRETARIAT) or official.has_role(Role.LEADER)


# --- the list ------------------------------------------------------------------------------------


@require_GET
def consultation_list(request: HttpRequest) -> HttpResponse:
    official, actor = meetings_official(request)
    visible: QuerySet[Consultation] = visible_to(
        actor, Consultation.objects.select_related("chair__user", "agency")
    )
    waiting = list(
        visible.filter(
            status=ConsultationStatus.OPEN,
            members__official=official,
            members__answered_at__isnull=True,
        ).order_by("deadline_at")[:MAX_LIST]
    )
    mine = Q(chair=official) | Q(created_by=official)
    if official.has_role(Role.SECRETARIAT):
        mine |= Q(agency_id=official.agency_id)
    managed = list(visible.filter(mine).distinct().order_by("-created_at")[:MAX_LIST])
    answered = list(
        visible.filter(members__official=official, members__answered_at__isnull=False)
        .exclude(pk__in=[c.pk for c in managed])
        .order_by("-created_at")[:MAX_LIST]
    )
    return render(
        request,
        "meetings/consultations/list.html",
        {
            "waiting": waiting,
            "managed": managed,
            "answered": answered,
            "may_prepare": _may_prepare(official),
        },
    )


# --- preparing -----------------------------------------------------------------------------------


def consultation_create(request: HttpRequest) -> HttpResponse:
    official, actor = meetings_official(request)
    if not _may_prepare(official):
        raise PermissionDenied("Chỉ văn phòng hoặc lãnh đạo cơ quan được lấy ý kiến.")
    form = ConsultationForm(request.POST or None, official=official)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            consultation = services.create_consultation(
                actor=actor,
                draft=data["draft"],
                title=data["title"],
                question=data["question"],
                members=list(data["members"]),
                chair=data["chair"],
                deadline_days=data["deadline_days"],
                result_kind=data["result_kind"],
                rule=data["rule"],
            )
        except DomainError as exc:
            _fail(request, exc, form)
        else:
            messages.success(request, "Đã tạo phiếu lấy ý kiến. Người chủ trì gửi để bắt đầu.")
            return redirect("meetings:consultation", pk=consultation.pk)
    days = form["deadline_days"].value()
    return render(
        request,
        "meetings/consultations/form.html",
        {"form": form, "deadline_text": _deadline_text(official, days)},
    )


def _deadline_text(official: Official, days: Any) -> str:
    try:
        count = int(days)
    except (TypeError, ValueError):
        return ""
    if not 1 <= count <= services.MAX_DEADLINE_DAYS:
        return ""
    moment = services.deadline_for(official.agency_id, timezone.now(), count)
    return f"Nếu gửi ngay bây giờ, hạn trả lời là {local_text(moment)}."


@require_GET
def consultation_deadline(request: HttpRequest) -> HttpResponse:
    """The computed deadline for the form (htmx), as a sentence."""
    official, _actor = meetings_official(request)
    text = _deadline_text(official, request.GET.get("deadline_days"))
    return HttpResponse(text or "Nhập số ngày làm việc từ 1 đến 30.")


# --- the consultation ----------------------------------------------------------------------------


def _context(
    consultation: Consultation, official: Official, roles: frozenset[str]
) -> dict[str, Any]:
    members = list(
        consultation.members.select_related("official__user", "official__position").order_by("pk")
    )
    mine = next((m for m in members if m.official_id == official.pk), None)
    sees_answers = bool(roles & {access.CHAIR, access.ORGANISER})
    now = timezone.now()
    document = consultation.result_document
    return {
        "consultation": consultation,
        "roles": roles,
        "is_chair": access.CHAIR in roles,
        "is_organiser": access.ORGANISER in roles,
        "mine": mine,
        "members": members if sees_answers else [],
        "answered": sum(1 for m in members if m.answered_at),
        "total": len(members),
        "deadline_passed": consultation.deadline_at is not None and now > consultation.deadline_at,
        "can_answer": (
            mine is not None
            and mine.answered_at is None
            and consultation.status == ConsultationStatus.OPEN
            and (consultation.deadline_at is None or now <= consultation.deadline_at)
        ),
        "can_close": (
            access.CHAIR in roles
            and consultation.status == ConsultationStatus.OPEN
            and all(m.answered_at for m in members)
        ),
        "can_sign": (
            access.CHAIR in roles
            and consultation.status == ConsultationStatus.CLOSED
            and document is not None
            and document.status == OutgoingStatus.APPROVED
        ),
        "document": document,
        "deadline_text": local_text(consultation.deadline_at),
        "outcome": (consultation.result or {}).get("outcome"),
    }


def _roles(consultation: Consultation, official: Official) -> frozenset[str]:
    return access.consultation_roles(official, consultation)


@require_GET
def consultation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    consultation, official, _actor = consultation_for(request, pk)
    roles = _roles(consultation, official)
    context = _context(consultation, official, roles)
    context["answer_form"] = AnswerForm()
    context["code_form"] = CodeForm()
    context["error_forms"] = []
    return render(request, "meetings/consultations/detail.html", context)


def _render_detail(
    request: HttpRequest,
    consultation: Consultation,
    official: Official,
    *,
    answer_form: AnswerForm | None = None,
    code_form: CodeForm | None = None,
) -> HttpResponse:
    consultation.refresh_from_db()
    context = _context(consultation, official, _roles(consultation, official))
    context["answer_form"] = answer_form or AnswerForm()
    context["code_form"] = code_form or CodeForm()
    context["error_forms"] = [context["answer_form"], context["code_form"]]
    # 200 like the other forms with errors: the page is the answer, with its error summary.
    return render(request, "meetings/consultations/detail.html", context)


@require_POST
def consultation_answer(request: HttpRequest, pk: int) -> HttpResponse:
    consultation, official, actor = consultation_for(request, pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.answer_consultation(
                actor=actor,
                consultation=consultation,
                answer=data["answer"],
                comment=data["comment"],
                second_factor=data["code"],
            )
        except DomainError as exc:
            _fail(request, exc, form)
        else:
            messages.success(request, "Đã ký số và gửi phiếu lấy ý kiến của anh/chị.")
            return redirect("meetings:consultation", pk=pk)
    fresh = request.POST.copy()
    fresh["code"] = ""  # a code is never shown back
    form.data = fresh
    return _render_detail(request, consultation, official, answer_form=form)


def _action(request: HttpRequest, pk: int, run: Any, done: str) -> HttpResponse:
    consultation, _official, actor = consultation_for(request, pk)
    try:
        run(actor, consultation)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("meetings:consultation", pk=pk)


@require_POST
def consultation_send(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda actor, c: services.send_consultation(actor=actor, consultation=c),
        "Đã gửi phiếu lấy ý kiến tới các thành viên.",
    )


@require_POST
def consultation_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda actor, c: services.close_consultation(actor=actor, consultation=c),
        "Đã tổng hợp ý kiến; văn bản kết quả chờ anh/chị ký ban hành.",
    )


@require_POST
def consultation_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda actor, c: services.cancel_consultation(actor=actor, consultation=c),
        "Đã hủy lấy ý kiến.",
    )


@require_POST
def consultation_sign(request: HttpRequest, pk: int) -> HttpResponse:
    consultation, official, actor = consultation_for(request, pk)
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            consultation = services.sign_result(
                actor=actor, consultation=consultation, second_factor=form.cleaned_data["code"]
            )
        except DomainError as exc:
            _fail(request, exc, form)
        else:
            if consultation.status == ConsultationStatus.ISSUED:
                messages.success(request, "Đã ký và ban hành văn bản kết quả.")
            else:
                messages.warning(
                    request,
                    "Đã ký văn bản kết quả; hệ thống chưa cấp số được, sẽ thử lại tự động.",
                )
            return redirect("meetings:consultation", pk=pk)
    fresh = request.POST.copy()
    fresh["code"] = ""  # a code is never shown back
    form.data = fresh
    return _render_detail(request, consultation, official, code_form=form)


# --- files ---------------------------------------------------------------------------------------


def _file(version: DocumentVersion | None, filename: str) -> FileResponse:
    if version is None:
        raise Http404("Chưa có tệp.")
    try:
        handle = version.file.open("rb")
    except OSError as exc:
        raise Http404 from exc
    return FileResponse(handle, filename=filename, content_type=version.content_type)


@require_GET
def consultation_draft(request: HttpRequest, pk: int) -> FileResponse:
    """The draft the members were sent (the pinned version; before sending, the current one)."""
    consultation, _official, _actor = consultation_for(request, pk)
    version = consultation.draft_version or consultation.draft.current_version
    name = "du-thao.pdf" if version and version.content_type.endswith("pdf") else "du-thao"
    return _file(version, version.original_name if version else name)


@require_GET
def consultation_result(request: HttpRequest, pk: int) -> FileResponse:
    """The result document: once issued, to everyone on the consultation; before, to the chair
    (what they will sign) and the secretariat."""
    consultation, official, _actor = consultation_for(request, pk)
    document = consultation.result_document
    if document is None:
        raise Http404("Chưa có văn bản kết quả.")
    roles = _roles(consultation, official)
    if consultation.status != ConsultationStatus.ISSUED and not roles & {
        access.CHAIR,
        access.ORGANISER,
    }:
        raise Http404("Chưa có văn bản kết quả.")
    name = (document.symbol or "ket-qua").replace("/", "-") + ".pdf"
    return _file(document.current_version, name)


@require_GET
def consultation_sheet(request: HttpRequest, pk: int, member: int) -> FileResponse:
    """A member's signed sheet: to the member, the chair and the secretariat."""
    consultation, official, _actor = consultation_for(request, pk)
    row = ConsultationMember.objects.filter(consultation=consultation, pk=member).first()
    roles = _roles(consultation, official)
    if row is None or not row.signed_ballot:
        raise Http404("Không tìm thấy phiếu.")
    if row.official_id != official.pk and not roles & {access.CHAIR, access.ORGANISER}:
        raise Http404("Không tìm thấy phiếu.")
    try:
        handle = row.signed_ballot.open("rb")
    except OSError as exc:
        raise Http404 from exc
    return FileResponse(
        handle, filename=f"phieu-lay-y-kien-{row.pk}.pdf", content_type="application/pdf"
    )


urlpatterns = [
    path("lay-y-kien/", consultation_list, name="consultations"),
    path("lay-y-kien/tao-moi/", consultation_create, name="consultation_create"),
    path("lay-y-kien/han-tra-loi/", consultation_deadline, name="consultation_deadline"),
    path("lay-y-kien/<int:pk>/", consultation_detail, name="consultation"),
    path("lay-y-kien/<int:pk>/tra-loi/", consultation_answer, name="consultation_answer"),
    path("lay-y-kien/<int:pk>/gui/", consultation_send, name="consultation_send"),
    path("lay-y-kien/<int:pk>/tong-hop/", consultation_close, name="consultation_close"),
    path("lay-y-kien/<int:pk>/huy/", consultation_cancel, name="consultation_cancel"),
    path("lay-y-kien/<int:pk>/ky-ban-hanh/", consultation_sign, name="consultation_sign"),
    path("lay-y-kien/<int:pk>/du-thao/", consultation_draft, name="consultation_draft"),
    path("lay-y-kien/<int:pk>/ket-qua/", consultation_result, name="consultation_result"),
    path("lay-y-kien/<int:pk>/phieu/<int:member>/", consultation_sheet, name="consultation_sheet"),
]
