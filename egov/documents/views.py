"""The officials' documents pages (mounted at /van-ban/): work lists, drafting, the outgoing
and incoming document pages with the actions each role may take, registers and search.

Every page works without JavaScript. Views never change state themselves: each action calls
one service and shows its DomainError as a Vietnamese message (or on the form's fields).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from egov.core.actors import Actor, actor_for_user
from egov.core.errors import DomainError, NotFoundError
from egov.core.ids import parse_id
from egov.core.scoping import visible_to
from egov.org.models import Official, Role
from egov.workcalendar import deadlines
from egov.workcalendar.services import WorkingCalendar

from . import event_types, exchange_bridge, files, numbering, pdffields, registers, services
from . import render as render_module
from .access import documents_official
from .forms import (
    AssignForm,
    AttachmentForm,
    CompleteForm,
    DraftForm,
    HeldAcceptForm,
    HeldRefuseForm,
    PaperForm,
    ReasonForm,
    RegisterForm,
    RegisterPeriodForm,
    ReportForm,
    ReviewForm,
    RevokeForm,
    SearchForm,
    SignForm,
    StartForm,
    SubmitForm,
    UpdateForm,
    UploadVersionForm,
    VersionForm,
)
from .incoming import (
    IncomingData,
    IncomingFileData,
    assign_units,
    complete_incoming,
    paper_document_id,
    receive,
    register_incoming,
    reject_incoming,
    report_assignment,
    start_assignment,
)
from .models import (
    OPEN_INCOMING,
    Attachment,
    DocumentVersion,
    IncomingAssignment,
    IncomingDocument,
    IncomingFile,
    IncomingStatus,
    OutgoingDocument,
    OutgoingStatus,
    Recipient,
)
from .search import search_documents

PAGE_SIZE = 100


# --- who is asking ---------------------------------------------------------------------------


def _official(request: HttpRequest) -> tuple[Official, Actor]:
    return documents_official(request)


def _outgoing(actor: Actor, pk: int) -> OutgoingDocument:
    return get_object_or_404(
        visible_to(actor, OutgoingDocument.objects.all()).select_related(
            "agency",
            "doc_type",
            "drafting_unit",
            "drafted_by__user",
            "current_reviewer__user",
            "signer__user",
            "issued_by__user",
            "current_version",
        ),
        pk=pk,
    )


def _incoming(actor: Actor, pk: int) -> IncomingDocument:
    return get_object_or_404(
        visible_to(actor, IncomingDocument.objects.all()).select_related(
            "agency", "doc_type", "registered_by__user", "instructed_by__user", "replaces"
        ),
        pk=pk,
    )


def _fail(request: HttpRequest, exc: DomainError, form: forms.Form | None = None) -> None:
    messages.error(request, exc.message)
    if form is not None:
        for name, errors in exc.fields.items():
            target = name if name in form.fields else None
            for error in errors if isinstance(errors, list) else [errors]:
                form.add_error(target, str(error))


# --- marks -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    key: str
    label: str


DEADLINE_MARKS = {
    deadlines.OVERDUE: Mark("overdue", "Quá hạn"),
    deadlines.NEAR_DUE: Mark("near", "Sắp đến hạn"),
    deadlines.ON_TIME: Mark("ok", "Còn hạn"),
}


def due_mark(
    due_at: datetime | None, open_: bool, now: datetime, calendar: WorkingCalendar
) -> Mark:
    """An open item's mark by the platform's one deadline rule (the agency's working hours)."""
    state = deadlines.deadline_state(due_at, now, calendar) if open_ else None
    return Mark("none", "—") if state is None else DEADLINE_MARKS[state]


# --- work lists ------------------------------------------------------------------------------


@dataclass
class Tab:
    key: str
    label: str
    kind: str  # "outgoing" | "incoming" | "inbox" | "assigned"
    count: int = 0


def _tab_querysets(official: Official, actor: Actor) -> dict[str, tuple[Tab, QuerySet[Any]]]:
    roles = official.role_codes
    outgoing = visible_to(actor, OutgoingDocument.objects.all()).select_related(
        "doc_type", "drafted_by__user", "current_reviewer__user", "signer__user"
    )
    incoming = visible_to(actor, IncomingDocument.objects.all()).select_related("doc_type")
    tabs: dict[str, tuple[Tab, QuerySet[Any]]] = {}

    def add(key: str, label: str, kind: str, qs: QuerySet[Any]) -> None:
        tabs[key] = (Tab(key, label, kind), qs)

    add(
        "du-thao",
        "Dự thảo của tôi",
        "outgoing",
        outgoing.filter(
            drafted_by=official, status__in=[OutgoingStatus.DRAFT, OutgoingStatus.IN_REVIEW]
        ).order_by("-updated_at"),
    )
    add(
        "cho-y-kien",
        "Chờ tôi cho ý kiến",
        "outgoing",
        outgoing.filter(current_reviewer=official, status=OutgoingStatus.IN_REVIEW).order_by(
            "updated_at"
        ),
    )
    if Role.LEADER in roles:
        add(
            "cho-ky",
            "Chờ tôi ký",
            "outgoing",
            outgoing.filter(signer=official, status=OutgoingStatus.APPROVED).order_by("updated_at"),
        )
    if Role.CLERK in roles:
        add(
            "cho-cap-so",
            "Chờ cấp số, ban hành",
            "outgoing",
            outgoing.filter(status=OutgoingStatus.SIGNED).order_by("signed_at"),
        )
        add(
            "cho-gui",
            "Chờ gửi lại",
            "outgoing",
            outgoing.filter(status=OutgoingStatus.ISSUED).order_by("issued_at"),
        )
        add(
            "den-cho-vao-so",
            "Văn bản đến chờ vào sổ",
            "incoming",
            incoming.filter(status=IncomingStatus.RECEIVED).order_by("received_at"),
        )
    if Role.LEADER in roles:
        add(
            "den-cho-but-phe",
            "Văn bản đến chờ bút phê",
            "incoming",
            incoming.filter(status=IncomingStatus.REGISTERED).order_by("registered_at"),
        )
    if official.unit_id:
        add(
            "den-cua-phong",
            "Văn bản đến giao cho phòng",
            "assigned",
            IncomingAssignment.objects.filter(
                unit_id=official.unit_id, incoming__agency_id=official.agency_id
            )
            .exclude(status=IncomingAssignment.Status.COMPLETED)
            .select_related("incoming__doc_type", "unit")
            .order_by("due_at", "pk"),
        )
        add(
            "hop-thu-phong",
            "Hộp thư nội bộ của phòng",
            "inbox",
            Recipient.objects.filter(
                unit_id=official.unit_id,
                kind=Recipient.Kind.INTERNAL,
                delivery=Recipient.Delivery.DELIVERED,
                document__agency_id=official.agency_id,
            )
            .select_related("document__doc_type")
            .order_by("-delivered_at"),
        )
    add(
        "da-ban-hanh",
        "Văn bản đi đã ban hành",
        "outgoing",
        outgoing.filter(
            status__in=[
                OutgoingStatus.ISSUED,
                OutgoingStatus.SENT,
                OutgoingStatus.REVOKED,
                OutgoingStatus.REPLACED,
            ]
        ).order_by("-issued_at"),
    )
    add(
        "van-ban-den",
        "Văn bản đến",
        "incoming",
        incoming.exclude(status=IncomingStatus.RECEIVED).order_by("-received_at"),
    )
    return tabs


@dataclass
class WorkCard:
    """One count of the workspace home: what waits for this official, linking to its list."""

    count: int
    label: str
    url: str


# The lists the workspace counts, in the order a clerk, a leader, a reviewer meets them.
WORK_CARDS = (
    ("cho-cap-so", "văn bản chờ cấp số"),
    ("cho-gui", "văn bản đã cấp số chờ gửi lại"),
    ("den-cho-vao-so", "văn bản đến chờ vào sổ"),
    ("cho-ky", "văn bản chờ tôi ký"),
    ("den-cho-but-phe", "văn bản đến chờ bút phê"),
    ("cho-y-kien", "văn bản chờ tôi cho ý kiến"),
    ("den-cua-phong", "văn bản đến giao cho phòng"),
)


def work_summary(official: Official) -> list[WorkCard]:
    """The documents waiting for `official` (the workspace's cards): the clerk's numbering,
    sending and registering first; each card links to its list. A card whose list this official
    does not have is left out; the clerk's cards show even at zero."""
    from django.urls import reverse

    actor = actor_for_user(official.user)
    tabs = _tab_querysets(official, actor)
    index_url = reverse("documents:index")
    clerk = official.has_role(Role.CLERK)
    cards: list[WorkCard] = []
    for key, label in WORK_CARDS:
        if key not in tabs:
            continue
        count = tabs[key][1].count()
        if count or (clerk and key in ("cho-cap-so", "den-cho-vao-so")):
            cards.append(WorkCard(count, label, f"{index_url}?tab={key}"))
    if clerk:
        held = exchange_bridge.held_count(actor, official.agency)
        if held:
            cards.append(WorkCard(held, "gói tin đến chờ xác minh", reverse("documents:held")))
    return cards


@login_required
def index(request: HttpRequest) -> HttpResponse:
    official, actor = _official(request)
    tabs = _tab_querysets(official, actor)
    for tab, qs in tabs.values():
        if tab.key not in ("da-ban-hanh", "van-ban-den"):
            tab.count = qs.count()
    default = next((t.key for t, _ in tabs.values() if t.count), "du-thao")
    chosen = request.GET.get("tab", default)
    if chosen not in tabs:
        chosen = default
    tab, qs = tabs[chosen]
    now = timezone.now()
    calendar = WorkingCalendar.for_agency(official.agency_id)
    rows = list(qs[:PAGE_SIZE])
    overdue_only = request.GET.get("qua-han") == "1" and tab.kind in ("incoming", "assigned")
    marks: list[tuple[Any, Mark]] = []
    for row in rows:
        if tab.kind == "incoming":
            mark = due_mark(row.due_at, row.status in OPEN_INCOMING, now, calendar)
        elif tab.kind == "assigned":
            mark = due_mark(row.due_at, True, now, calendar)
        else:
            mark = Mark("none", "—")
        if overdue_only and mark.key != "overdue":
            continue
        marks.append((row, mark))
    updated_ids: set[str] = set()
    if tab.kind == "incoming" and rows:
        from egov.events.models import Event

        updated_ids = set(
            Event.objects.filter(
                subject_type=event_types.INCOMING,
                subject_id__in=[str(r.pk) for r in rows],
                event_type=event_types.INCOMING_UPDATED.name,
            ).values_list("subject_id", flat=True)
        )
    overdue_count = (
        visible_to(actor, IncomingDocument.objects.all())
        .filter(due_at__lt=now, status__in=list(OPEN_INCOMING))
        .count()
    )
    return render(
        request,
        "documents/index.html",
        {
            "official": official,
            "tabs": [t for t, _ in tabs.values()],
            "tab": tab,
            "rows": marks,
            "overdue_only": overdue_only,
            "overdue_count": overdue_count,
            "updated_ids": updated_ids,
            "held_count": exchange_bridge.held_count(actor, official.agency)
            if official.has_role(Role.CLERK)
            else 0,
            "is_clerk": official.has_role(Role.CLERK),
            "search_form": SearchForm(),
        },
    )


# --- drafting --------------------------------------------------------------------------------


def _draft_input(form: DraftForm) -> services.DraftInput:
    data = form.cleaned_data
    return services.DraftInput(
        doc_type=data["doc_type"],
        subject=data["subject"],
        content=data.get("content") or "",
        priority=data["priority"],
        due_date=data.get("due_date"),
        drafting_unit=data.get("drafting_unit"),
        signing_authority=data.get("signing_authority") or "auto",
        place=data.get("place") or "",
        copies=data.get("copies") or 1,
        notes=data.get("notes") or "",
        internal_units=list(data.get("internal_units") or []),
        platform_agencies=list(data.get("platform_agencies") or []),
        external=data.get("external") or [],
        replaces=data.get("replaces"),
        replace_reason=data.get("replace_reason") or "",
    )


@login_required
def create(request: HttpRequest) -> HttpResponse:
    official, actor = _official(request)
    # "Soạn văn bản thay thế" from an issued document's page names it in advance.
    initial = {"replaces": parse_id(request.GET.get("thay-the", ""))}
    form = DraftForm(
        request.POST or None, request.FILES or None, official=official, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            document = services.create_draft(
                actor=actor, data=_draft_input(form), upload=form.cleaned_data.get("file")
            )
        except DomainError as exc:
            _fail(request, exc, form)
        else:
            messages.success(request, "Đã lưu dự thảo.")
            return redirect("documents:outgoing", pk=document.pk)
    return render(
        request,
        "documents/draft_form.html",
        {"form": form, "document": None, "can_convert": files.can_convert_docx()},
    )


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    official, actor = _official(request)
    document = _outgoing(actor, pk)
    if document.status != OutgoingStatus.DRAFT or document.drafted_by_id != official.pk:
        messages.error(request, "Chỉ người soạn thảo được sửa văn bản khi đang là dự thảo.")
        return redirect("documents:outgoing", pk=pk)
    recipients = list(document.recipients.all())
    initial = {
        "doc_type": document.doc_type.code,
        "subject": document.subject,
        "content": document.content,
        "drafting_unit": document.drafting_unit_id,
        "priority": document.priority,
        "due_date": document.due_date,
        "signing_authority": document.signing_authority,
        "place": document.place,
        "copies": document.copies,
        "notes": document.notes,
        "replaces": document.replaces_id,
        "replace_reason": document.replace_reason,
        "internal_units": [r.unit_id for r in recipients if r.kind == Recipient.Kind.INTERNAL],
        "platform_agencies": [r.agency_id for r in recipients if r.kind == Recipient.Kind.PLATFORM],
        "external": DraftForm.external_text(
            [(r.organ_id, r.name) for r in recipients if r.kind == Recipient.Kind.EXTERNAL]
        ),
    }
    form = DraftForm(
        request.POST or None, request.FILES or None, official=official, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            expected = _int(request, "version")
            services.update_draft(
                actor=actor, document=document, data=_draft_input(form), expected_version=expected
            )
            if form.cleaned_data.get("file"):
                document.refresh_from_db()
                services.upload_version(
                    actor=actor, document=document, upload=form.cleaned_data["file"]
                )
        except DomainError as exc:
            _fail(request, exc, form)
        else:
            messages.success(request, "Đã lưu dự thảo.")
            return redirect("documents:outgoing", pk=pk)
    return render(
        request,
        "documents/draft_form.html",
        {"form": form, "document": document, "can_convert": files.can_convert_docx()},
    )


# --- the outgoing document page ------------------------------------------------------------


def _outgoing_forms(
    document: OutgoingDocument, official: Official, data: Any = None, files_: Any = None
) -> dict[str, forms.Form]:
    """The action forms this official may use now."""
    initial = {"version": document.version}
    result: dict[str, forms.Form] = {}
    mine = document.drafted_by_id == official.pk
    if document.status == OutgoingStatus.DRAFT and mine:
        candidates = services.reviewer_candidates(official)
        result["trinh"] = SubmitForm(data, initial=initial, candidates=candidates)
        result["phien_ban"] = UploadVersionForm(data, files_, initial=initial)
        result["dinh_kem"] = AttachmentForm(data, files_, initial=initial)
    if document.status == OutgoingStatus.IN_REVIEW and document.current_reviewer_id == official.pk:
        candidates = services.reviewer_candidates(official)
        result["y_kien"] = ReviewForm(
            data, initial={**initial, "decision": "approve"}, candidates=candidates
        )
        result["phien_ban"] = UploadVersionForm(data, files_, initial=initial)
    if official.has_role(Role.CLERK):
        if document.status == OutgoingStatus.SIGNED:
            result["ban_hanh"] = VersionForm(data, initial=initial)
        if document.status == OutgoingStatus.ISSUED:
            result["gui"] = VersionForm(data, initial=initial)
        if document.status == OutgoingStatus.SENT:
            result["thu_hoi"] = RevokeForm(
                data, initial=initial, recipients=services.exchange_recipients(document)
            )
            result["cap_nhat"] = UpdateForm(
                data,
                files_,
                initial=initial,
                attachments=list(document.attachments.filter(superseded_at__isnull=True)),
            )
    return result


# What became of a document after it was sent, as its pages tell it.
BUSINESS_EVENTS = {
    event_types.REVOKED.name: "Thu hồi",
    event_types.UPDATE_SENT.name: "Cập nhật",
    event_types.REPLACING.name: "Thay thế văn bản",
    event_types.REPLACED.name: "Bị thay thế",
    event_types.INCOMING_REVOKED.name: "Cơ quan gửi thu hồi",
    event_types.INCOMING_UPDATED.name: "Cơ quan gửi cập nhật",
    event_types.INCOMING_REPLACED.name: "Được thay thế",
}


@dataclass
class HistoryEntry:
    at: datetime
    label: str
    actor: str
    reason: str
    details: str


def business_history(subject_type: str, pk: int) -> list[HistoryEntry]:
    """Revoke, update and replace events of one document, oldest first."""
    from egov.events.models import Event

    rows = Event.objects.filter(
        subject_type=subject_type, subject_id=str(pk), event_type__in=list(BUSINESS_EVENTS)
    ).order_by("id")
    result = []
    for e in rows:
        p = e.payload
        details = []
        if p.get("recipients"):
            details.append("gửi tới " + ", ".join(p["recipients"]))
        if p.get("added"):
            details.append("thêm tệp " + ", ".join(p["added"]))
        if p.get("superseded"):
            details.append("thôi gửi " + ", ".join(p["superseded"]))
        if p.get("replaces"):
            details.append(f"thay thế văn bản số {p['replaces']}")
        if p.get("by") and e.event_type == event_types.REPLACED.name:
            details.append(f"bởi văn bản số {p['by']}")
        result.append(
            HistoryEntry(
                e.occurred_at,
                BUSINESS_EVENTS[e.event_type],
                e.actor_label,
                str(p.get("reason") or ""),
                "; ".join(details),
            )
        )
    return result


def _render_outgoing(
    request: HttpRequest,
    document: OutgoingDocument,
    official: Official,
    action_forms: dict[str, forms.Form],
    status: int = 200,
) -> HttpResponse:
    packages = exchange_bridge.package_statuses(document)
    recipients = [
        (
            r,
            packages.get((r.organ_id, 3)) or packages.get((r.organ_id, 0)),
            packages.get((r.organ_id, 1)),
            packages.get((r.organ_id, 2)),
        )
        for r in document.recipients.all()
    ]
    return render(
        request,
        "documents/outgoing_detail.html",
        {
            "document": document,
            "official": official,
            "forms": action_forms,
            "versions": document.versions.select_related("created_by__user").order_by("-seq"),
            "reviews": document.reviews.select_related(
                "reviewer__user", "forwarded_to__user", "version"
            ),
            "recipients": recipients,
            "attachments": document.attachments.all(),
            "any_revoke": any(r.revoke_sent_at for r, *_ in recipients),
            "any_update": any(r.update_sent_at for r, *_ in recipients),
            "replaced_by": document.replaced_by.filter(
                status__in=[
                    OutgoingStatus.SENT,
                    OutgoingStatus.ISSUED,
                    OutgoingStatus.REPLACED,
                    OutgoingStatus.REVOKED,
                ]
            ).first(),
            "history": business_history(event_types.OUTGOING, document.pk),
            "can_replace": official.agency_id == document.agency_id
            and document.status in (OutgoingStatus.ISSUED, OutgoingStatus.SENT),
            "can_edit": document.status == OutgoingStatus.DRAFT
            and document.drafted_by_id == official.pk,
            "can_convert": files.can_convert_docx(),
            "can_sign": _can_sign(document, official),
            "current_is_docx": bool(
                document.current_version and document.current_version.content_type == files.DOCX
            ),
        },
        status=status,
    )


@login_required
def outgoing(request: HttpRequest, pk: int) -> HttpResponse:
    official, actor = _official(request)
    document = _outgoing(actor, pk)
    inbox = (
        Recipient.objects.filter(
            document=document, kind=Recipient.Kind.INTERNAL, unit_id=official.unit_id
        ).first()
        if official.unit_id
        else None
    )
    if inbox is not None and document.status in (OutgoingStatus.ISSUED, OutgoingStatus.SENT):
        services.mark_read(actor=actor, recipient=inbox)
    return _render_outgoing(request, document, official, _outgoing_forms(document, official))


@login_required
@require_POST
def outgoing_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    official, actor = _official(request)
    document = _outgoing(actor, pk)
    if action == "bo-dinh-kem":
        attachment = get_object_or_404(
            Attachment, document=document, pk=parse_id(request.POST.get("id")) or 0
        )
        try:
            services.remove_attachment(
                actor=actor, attachment=attachment, expected_version=_int(request, "version")
            )
            messages.success(request, "Đã bỏ tệp đính kèm.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("documents:outgoing", pk=pk)
    action_forms = _outgoing_forms(document, official, request.POST, request.FILES)
    key = action.replace("-", "_")
    form = action_forms.get(key)
    if form is None:
        messages.error(request, "Thao tác này không còn thực hiện được với văn bản.")
        return redirect("documents:outgoing", pk=pk)
    if not form.is_valid():
        messages.error(request, "Vui lòng kiểm tra các mục được đánh dấu.")
        return _render_outgoing(request, document, official, action_forms, status=400)
    data = form.cleaned_data
    expected = data.get("version")
    try:
        if action == "trinh":
            services.submit_for_review(
                actor=actor,
                document=document,
                reviewer=data["reviewer"],
                comment=data.get("comment") or "",
                expected_version=expected,
            )
            done = f"Đã trình văn bản cho {data['reviewer'].user.get_full_name()}."
        elif action == "y-kien":
            services.review(
                actor=actor,
                document=document,
                decision=data["decision"],
                comment=data.get("comment") or "",
                forward_to=data.get("forward_to"),
                expected_version=expected,
            )
            done = "Đã ghi ý kiến."
        elif action == "phien-ban":
            services.upload_version(
                actor=actor,
                document=document,
                upload=data["file"],
                note=data.get("note") or "",
                expected_version=expected,
            )
            done = "Đã tải lên phiên bản mới."
        elif action == "dinh-kem":
            services.add_attachment(
                actor=actor, document=document, upload=data["file"], expected_version=expected
            )
            done = "Đã thêm tệp đính kèm."
        elif action == "ban-hanh":
            document = services.issue(actor=actor, document=document, expected_version=expected)
            done = f"Đã cấp số {document.symbol}, ký số cơ quan và ban hành."
            if document.send_error:
                messages.success(request, done)
                messages.error(request, f"Chưa gửi được cho một số nơi nhận: {document.send_error}")
                return redirect("documents:outgoing", pk=pk)
        elif action == "gui":
            document = services.send(actor=actor, document=document)
            if document.send_error:
                raise DomainError(f"Chưa gửi được: {document.send_error}")
            done = "Đã gửi văn bản."
        elif action == "thu-hoi":
            chosen = list(data.get("recipients") or [])
            document = services.revoke(
                actor=actor,
                document=document,
                reason=data["reason"],
                recipients=chosen or None,
                expected_version=expected,
            )
            done = (
                "Đã thu hồi văn bản và gửi thông điệp thu hồi tới nơi nhận."
                if document.status == OutgoingStatus.REVOKED
                else "Đã gửi thông điệp thu hồi tới nơi nhận được chọn."
            )
        elif action == "cap-nhat":
            services.send_update(
                actor=actor,
                document=document,
                reason=data["reason"],
                uploads=[data["file"]] if data.get("file") else [],
                supersede=list(data.get("supersede") or []),
                expected_version=expected,
            )
            done = "Đã gửi cập nhật văn bản tới nơi nhận."
        else:  # pragma: no cover - the forms dict only has the actions above
            raise Http404
    except DomainError as exc:
        _fail(request, exc, form)
        document.refresh_from_db()
        return _render_outgoing(
            request,
            document,
            official,
            {**_outgoing_forms(document, official), key: form},
            status=400,
        )
    messages.success(request, done)
    return redirect("documents:outgoing", pk=pk)


# --- signing: preview, then a fresh authenticator code ----------------------------------------


def _can_sign(document: OutgoingDocument, official: Official) -> bool:
    return (
        document.status == OutgoingStatus.APPROVED
        and document.signer_id == official.pk
        and official.has_role(Role.LEADER)
    )


def _preview_pdf(document: OutgoingDocument) -> bytes | None:
    """The copy to sign with the number and the date filled as they would be if the clerk
    numbered it now (the preview's pages), or None when there is no PDF to sign."""
    version = services.signing_preview(document)
    if version is None:
        return None
    with version.file.open("rb") as handle:
        content = bytes(handle.read())
    symbol = _expected_symbol(document)
    return pdffields.fill_fields(
        content,
        {
            pdffields.NUMBER_FIELD: symbol or "",
            pdffields.DATE_FIELD: pdffields.issue_date_text(timezone.localdate()),
        },
    )


def _expected_symbol(document: OutgoingDocument) -> str | None:
    return numbering.expected_symbol(
        agency_id=document.agency_id,
        agency_abbreviation=document.agency.abbreviation,
        doc_type=document.doc_type,
        unit_abbreviation=document.drafting_unit.abbreviation if document.drafting_unit else "",
    )


@login_required
def sign_page(request: HttpRequest, pk: int) -> HttpResponse:
    """What the leader will sign, page by page, with the number and date as the clerk's
    numbering will fill them; signing is confirmed by a fresh code of the authenticator. A
    wrong code signs nothing and takes no number."""
    official, actor = _official(request)
    document = _outgoing(actor, pk)
    if not _can_sign(document, official):
        messages.error(request, "Văn bản này không chờ anh/chị ký.")
        return redirect("documents:outgoing", pk=pk)
    version = services.signing_preview(document)
    initial = {"version": document.version, "previewed": version.seq if version else None}
    form = SignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.sign(
                actor=actor,
                document=document,
                second_factor=data["code"],
                previewed_version=data["previewed"],
                expected_version=data["version"],
            )
        except DomainError as exc:
            _fail(request, exc, form)
            document = _outgoing(actor, pk)
            version = services.signing_preview(document)
            # Look again at what is current now; a code is never shown back.
            fresh = request.POST.copy()
            fresh["version"] = str(document.version)
            fresh["previewed"] = str(version.seq) if version else ""
            fresh["code"] = ""
            form.data = fresh
        else:
            document.refresh_from_db()
            if document.issue_on_signature and document.symbol:
                messages.success(
                    request, f"Đã ký số văn bản. Hệ thống đã cấp số {document.symbol} và ban hành."
                )
            else:
                messages.success(
                    request, "Đã ký số văn bản. Văn bản chuyển văn thư cấp số, ban hành."
                )
            return redirect("documents:outgoing", pk=pk)
    pages = list(range(1, (version.page_count or 1) + 1)) if version else []
    return render(
        request,
        "documents/sign.html",
        {
            "document": document,
            "version": version,
            "pages": pages,
            "form": form,
            "expected_symbol": _expected_symbol(document),
            "issue_date": pdffields.issue_date_text(timezone.localdate()),
            "signer_lines": render_module.title_lines(document.signer_title),
            "can_draw": shutil.which("pdftoppm") is not None,
        },
    )


@login_required
def sign_preview_page(request: HttpRequest, pk: int, page: int) -> HttpResponse:
    """One page of the signing preview as a PNG image."""
    _unused, actor = _official(request)
    document = _outgoing(actor, pk)
    if document.status != OutgoingStatus.APPROVED:
        raise Http404("Văn bản không chờ ký.")
    content = _preview_pdf(document)
    if content is None or not 1 <= page <= 200:
        raise Http404("Không có bản trình ký.")
    image = files.page_png(content, page)
    if image is None:
        raise Http404("Không vẽ được trang.")
    response = HttpResponse(image, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


def _int(request: HttpRequest, name: str) -> int | None:
    return parse_id(request.POST.get(name, ""))


def _file_response(field: Any, name: str, content_type: str) -> FileResponse:
    try:
        handle = field.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("Không tìm thấy tệp.") from exc
    return FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)


@login_required
def version_file(request: HttpRequest, pk: int, seq: int) -> FileResponse:
    _unused, actor = _official(request)
    document = _outgoing(actor, pk)
    version = get_object_or_404(DocumentVersion, document=document, seq=seq)
    name = version.original_name
    if version.kind == DocumentVersion.Kind.ISSUED and document.symbol:
        name = files.safe_name(document.symbol.replace("/", "-")) + ".pdf"
    return _file_response(version.file, name, version.content_type)


@login_required
def attachment_file(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    _unused, actor = _official(request)
    document = _outgoing(actor, pk)
    attachment = get_object_or_404(Attachment, document=document, pk=attachment_id)
    field = attachment.signed_file or attachment.file
    return _file_response(field, attachment.original_name, attachment.content_type)


# --- the incoming document page ------------------------------------------------------------


def _incoming_forms(
    incoming: IncomingDocument, official: Official, data: Any = None
) -> dict[str, forms.Form]:
    initial = {"version": incoming.version}
    result: dict[str, forms.Form] = {}
    if official.has_role(Role.CLERK) and incoming.status == IncomingStatus.RECEIVED:
        result["vao_so"] = RegisterForm(data, initial=initial)
        result["tu_choi"] = ReasonForm(data, initial=initial)
    if official.has_role(Role.LEADER):
        if incoming.status in (IncomingStatus.REGISTERED, IncomingStatus.ASSIGNED):
            result["giao"] = AssignForm(data, initial=initial, agency_id=incoming.agency_id)
        if incoming.status in (
            IncomingStatus.REGISTERED,
            IncomingStatus.ASSIGNED,
            IncomingStatus.PROCESSING,
        ):
            result["ket_thuc"] = CompleteForm(data, initial=initial)
    return result


def _my_assignments(incoming: IncomingDocument, official: Official) -> list[IncomingAssignment]:
    if not official.unit_id or not incoming.is_open:
        return []
    return [
        a
        for a in incoming.assignments.all()
        if a.unit_id == official.unit_id and a.status != IncomingAssignment.Status.COMPLETED
    ]


def _render_incoming(
    request: HttpRequest,
    incoming: IncomingDocument,
    official: Official,
    action_forms: dict[str, forms.Form],
    status: int = 200,
    report_form: ReportForm | None = None,
) -> HttpResponse:
    now = timezone.now()
    calendar = WorkingCalendar.for_agency(incoming.agency_id)
    assignments = [
        (
            a,
            due_mark(
                a.due_at,
                a.status != IncomingAssignment.Status.COMPLETED and incoming.is_open,
                now,
                calendar,
            ),
        )
        for a in incoming.assignments.select_related("unit", "handled_by__user")
    ]
    statuses = []
    if incoming.source == IncomingDocument.Source.EXCHANGE and exchange_bridge.exchange_installed():
        from egov.exchange.models import StatusRecord

        statuses = list(
            StatusRecord.objects.filter(
                document_id=incoming.document_id, agency=incoming.agency, direction="out"
            ).order_by("timestamp", "pk")
        )
    history = business_history(event_types.INCOMING, incoming.pk)
    revoked = next(
        (
            h
            for h in reversed(history)
            if h.label == BUSINESS_EVENTS[event_types.INCOMING_REVOKED.name]
        ),
        None,
    )
    updated = next(
        (
            h
            for h in reversed(history)
            if h.label == BUSINESS_EVENTS[event_types.INCOMING_UPDATED.name]
        ),
        None,
    )
    return render(
        request,
        "documents/incoming_detail.html",
        {
            "incoming": incoming,
            "history": history,
            "revoked": revoked if incoming.status == IncomingStatus.REVOKED else None,
            "updated": updated,
            "replaced_by": incoming.replaced_by.order_by("-pk").first(),
            "official": official,
            "forms": action_forms,
            "files": incoming.files.all(),
            "assignments": assignments,
            "mine": _my_assignments(incoming, official),
            "report_form": report_form,
            "mark": due_mark(incoming.due_at, incoming.is_open, now, calendar),
            "statuses": statuses,
        },
        status=status,
    )


@login_required
def incoming(request: HttpRequest, pk: int) -> HttpResponse:
    official, actor = _official(request)
    document = _incoming(actor, pk)
    return _render_incoming(request, document, official, _incoming_forms(document, official))


@login_required
@require_POST
def incoming_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    official, actor = _official(request)
    document = _incoming(actor, pk)
    if action in ("nhan-xu-ly", "bao-cao"):
        return _assignment_action(request, document, official, actor, action)
    action_forms = _incoming_forms(document, official, request.POST)
    key = action.replace("-", "_")
    form = action_forms.get(key)
    if form is None:
        messages.error(request, "Thao tác này không còn thực hiện được với văn bản đến.")
        return redirect("documents:incoming", pk=pk)
    if not form.is_valid():
        messages.error(request, "Vui lòng kiểm tra các mục được đánh dấu.")
        return _render_incoming(request, document, official, action_forms, status=400)
    data = form.cleaned_data
    expected = data.get("version")
    try:
        if action == "vao-so":
            document = register_incoming(
                actor=actor,
                incoming=document,
                notes=data.get("notes") or "",
                expected_version=expected,
            )
            done = f"Đã vào sổ văn bản đến, số đến {document.arrival_number:02d}."
        elif action == "tu-choi":
            reject_incoming(
                actor=actor, incoming=document, reason=data["reason"], expected_version=expected
            )
            done = "Đã từ chối tiếp nhận và báo cơ quan gửi."
        elif action == "giao":
            assign_units(
                actor=actor,
                incoming=document,
                instruction=data["instruction"],
                main_unit=data.get("main_unit"),
                cooperating_units=list(data.get("cooperating_units") or []),
                inform_units=list(data.get("inform_units") or []),
                working_days=data.get("working_days"),
                due_date=data.get("due_date"),
                expected_version=expected,
            )
            done = "Đã ghi ý kiến chỉ đạo và giao xử lý."
        elif action == "ket-thuc":
            complete_incoming(
                actor=actor,
                incoming=document,
                note=data.get("note") or "",
                expected_version=expected,
            )
            done = "Đã kết thúc xử lý văn bản đến."
        else:  # pragma: no cover
            raise Http404
    except DomainError as exc:
        _fail(request, exc, form)
        document.refresh_from_db()
        return _render_incoming(
            request,
            document,
            official,
            {**_incoming_forms(document, official), key: form},
            status=400,
        )
    messages.success(request, done)
    return redirect("documents:incoming", pk=pk)


def _assignment_action(
    request: HttpRequest, document: IncomingDocument, official: Official, actor: Actor, action: str
) -> HttpResponse:
    form: forms.Form = (
        StartForm(request.POST) if action == "nhan-xu-ly" else ReportForm(request.POST)
    )
    if not form.is_valid():
        messages.error(request, "Vui lòng nhập báo cáo kết quả.")
        return _render_incoming(
            request,
            document,
            official,
            _incoming_forms(document, official),
            status=400,
            report_form=form if isinstance(form, ReportForm) else None,
        )
    assignment = get_object_or_404(
        IncomingAssignment, incoming=document, pk=form.cleaned_data["assignment"]
    )
    try:
        if action == "nhan-xu-ly":
            start_assignment(actor=actor, assignment=assignment)
            done = "Đơn vị đã nhận xử lý văn bản."
        else:
            report_assignment(
                actor=actor, assignment=assignment, report=form.cleaned_data["report"]
            )
            done = "Đã báo cáo kết quả xử lý."
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("documents:incoming", pk=document.pk)
    messages.success(request, done)
    return redirect("documents:incoming", pk=document.pk)


@login_required
def incoming_file(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    _unused, actor = _official(request)
    document = _incoming(actor, pk)
    row = get_object_or_404(IncomingFile, incoming=document, pk=file_id)
    return _file_response(row.file, row.original_name, row.content_type)


@login_required
def paper(request: HttpRequest) -> HttpResponse:
    """The clerk types in a paper document and registers it at once."""
    official, actor = _official(request)
    if not official.has_role(Role.CLERK):
        raise PermissionDenied("Chỉ văn thư cơ quan được vào sổ văn bản đến.")
    form = PaperForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        attached: list[IncomingFileData] = []
        try:
            if data.get("file"):
                checked = files.check_upload(data["file"], allowed=(files.PDF,), label="bản quét")
                attached.append(
                    IncomingFileData(checked.name, checked.content_type, checked.content)
                )
            doc_type = data.get("doc_type")
            document = receive(
                agency=official.agency,
                actor=actor,
                source=IncomingDocument.Source.PAPER,
                data=IncomingData(
                    document_id=paper_document_id(official.agency),
                    sender_name=data["sender_name"],
                    sender_organ_id=data.get("sender_organ_id") or "",
                    code_number=data.get("code_number") or "",
                    code_notation=data.get("code_notation") or "",
                    issued_date=data.get("issued_date"),
                    type_name=doc_type.name if doc_type else "",
                    subject=data["subject"],
                    signer_name=data.get("signer_name") or "",
                    priority=data["priority"],
                    due_date=data.get("due_date"),
                    files=attached,
                ),
            )
            document = register_incoming(actor=actor, incoming=document)
        except DomainError as exc:
            _fail(request, exc, form)
        else:
            messages.success(
                request, f"Đã vào sổ văn bản đến, số đến {document.arrival_number:02d}."
            )
            return redirect("documents:incoming", pk=document.pk)
    return render(request, "documents/paper_form.html", {"form": form})


# --- packages held for the clerk (signature not verified) ----------------------------------


def _clerk(request: HttpRequest) -> tuple[Official, Actor]:
    official, actor = _official(request)
    if not official.has_role(Role.CLERK):
        raise PermissionDenied("Chỉ văn thư cơ quan xử lý gói tin chờ xác minh.")
    return official, actor


def _render_held(
    request: HttpRequest,
    official: Official,
    actor: Actor,
    bound: tuple[int, str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    available = exchange_bridge.held_available()
    rows = []
    total = 0
    if available:
        waiting = exchange_bridge.held_packages(actor, official.agency)
        total = waiting.count()
        for package in waiting[:PAGE_SIZE]:
            accept: forms.Form = HeldAcceptForm(prefix=f"a{package.pk}")
            refuse: forms.Form = HeldRefuseForm(prefix=f"r{package.pk}")
            if bound is not None and bound[0] == package.pk:
                if bound[1] == "tiep-nhan":
                    accept = bound[2]
                else:
                    refuse = bound[2]
            rows.append((package, accept, refuse))
    return render(
        request,
        "documents/held.html",
        {"official": official, "rows": rows, "available": available, "total": total},
        status=status,
    )


@login_required
def held(request: HttpRequest) -> HttpResponse:
    """The packages whose signature could not be verified, waiting for the clerk."""
    official, actor = _clerk(request)
    return _render_held(request, official, actor)


@login_required
@require_POST
def held_action(request: HttpRequest, package_id: int, action: str) -> HttpResponse:
    official, actor = _clerk(request)
    if action not in ("tiep-nhan", "tu-choi") or not exchange_bridge.held_available():
        raise Http404
    form: forms.Form = (
        HeldAcceptForm(request.POST, prefix=f"a{package_id}")
        if action == "tiep-nhan"
        else HeldRefuseForm(request.POST, prefix=f"r{package_id}")
    )
    if not form.is_valid():
        messages.error(request, "Vui lòng kiểm tra các mục được đánh dấu.")
        return _render_held(request, official, actor, (package_id, action, form), status=400)
    try:
        if action == "tiep-nhan":
            exchange_bridge.accept_held(package_id, actor=actor, note=form.cleaned_data["note"])
            done = "Đã tiếp nhận gói tin: văn bản chờ vào sổ."
        else:
            exchange_bridge.refuse_held(package_id, actor=actor, reason=form.cleaned_data["reason"])
            done = "Đã từ chối gói tin và báo cơ quan gửi."
    except NotFoundError:
        raise Http404 from None  # another agency's package, or one never held: not said which
    except DomainError as exc:
        # a decision already taken otherwise (409), a handler's refusal (400): the message says
        # which; the package may no longer be on the page, so it goes in the messages too
        _fail(request, exc, form)
        return _render_held(
            request, official, actor, (package_id, action, form), status=exc.http_status
        )
    messages.success(request, done)
    return redirect("documents:held")


# --- registers and search ------------------------------------------------------------------


def _period(request: HttpRequest) -> RegisterPeriodForm:
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("kind", "di")
    data.setdefault("tu_ngay", date(today.year, 1, 1).isoformat())
    data.setdefault("den_ngay", today.isoformat())
    return RegisterPeriodForm(data)


@login_required
def register_page(request: HttpRequest) -> HttpResponse:
    official, _actor = _official(request)
    form = _period(request)
    register = None
    query = ""
    if form.is_valid():
        register = registers.build_register(
            form.cleaned_data["kind"],
            official.agency,
            form.cleaned_data["tu_ngay"],
            form.cleaned_data["den_ngay"],
        )
        query = request.GET.urlencode() or (
            f"kind={form.cleaned_data['kind']}&tu_ngay={form.cleaned_data['tu_ngay']}"
            f"&den_ngay={form.cleaned_data['den_ngay']}"
        )
    return render(
        request,
        "documents/registers.html",
        {"form": form, "register": register, "query": query, "official": official},
    )


@login_required
def register_download(request: HttpRequest, fmt: str) -> HttpResponse:
    official, _actor = _official(request)
    form = _period(request)
    if not form.is_valid() or fmt not in ("pdf", "xlsx"):
        raise Http404("Kỳ không hợp lệ.")
    kind = form.cleaned_data["kind"]
    register = registers.build_register(
        kind, official.agency, form.cleaned_data["tu_ngay"], form.cleaned_data["den_ngay"]
    )
    name = f"so-van-ban-{kind}-{register.start:%Y%m%d}-{register.end:%Y%m%d}.{fmt}"
    if fmt == "pdf":
        response = HttpResponse(registers.register_pdf(register), content_type="application/pdf")
    else:
        response = HttpResponse(registers.register_xlsx(register), content_type=files.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def search(request: HttpRequest) -> HttpResponse:
    _unused, actor = _official(request)
    form = SearchForm(request.GET or None)
    results = None
    if form.is_valid() and form.cleaned_data.get("q"):
        results = search_documents(
            actor, form.cleaned_data["q"], kind=form.cleaned_data.get("loai") or "all"
        )
    return render(request, "documents/search.html", {"form": form, "results": results})
