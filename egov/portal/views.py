"""Public service portal pages: find a procedure, submit, track, receive, rate."""

from __future__ import annotations

import uuid
from itertools import groupby
from types import SimpleNamespace
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from egov.catalog.form_templates import CONTENT_TYPES, download_name, template_extension
from egov.catalog.models import OnlineMode, Procedure, Sector
from egov.catalog.pages import NAMESPACE as CATALOG_PAGES
from egov.catalog.search import (
    filter_procedures,
    popular_procedures,
    search_procedures,
    suggest_procedures,
)
from egov.core.actors import actor_for_user
from egov.core.dbrouting import replica_ok
from egov.core.errors import DomainError
from egov.core.pagecache import cached_page, slot
from egov.core.ratelimit import allow_lookup
from egov.core.scoping import visible_to
from egov.core.uploads import UploadRejected
from egov.dossiers import fees as fee_rules
from egov.dossiers import services as dossier_services
from egov.dossiers.downloads import file_download
from egov.dossiers.models import (
    ISSUED_FORM_KINDS,
    ApplicantNotice,
    Dossier,
    DossierFile,
    Draft,
    PaymentState,
    ResultDelivery,
    Status,
)
from egov.dossiers.notify import mark_read
from egov.dossiers.pdf import receipt_pdf
from egov.dossiers.uploads import check_paper
from egov.identity import prefill
from egov.onestop import services as onestop_services
from egov.onestop.models import SupplementRequest
from egov.org.models import Agency, Unit
from egov.org.pages import NAMESPACE as ORG_PAGES
from egov.payments import providers as payment_providers
from egov.payments.models import Payment, PaymentStatus
from egov.workcalendar.services import WorkingCalendar

from .forms import (
    OPTIONAL_MARK,
    ConfirmForm,
    LookupForm,
    RatingForm,
    SubmissionForm,
    SupplementForm,
    WithdrawForm,
    proof_key,
)

# The public pages are cached whole for anonymous visitors (egov.core.pagecache), keyed by the
# versions of the data they show: the catalogue's and the organisation's, bumped by their events.
PUBLIC_NAMESPACES = (CATALOG_PAGES, ORG_PAGES)
# Popularity (submission_count) moves with every submission and records no catalogue event: the
# pages ordered by it are rebuilt at most this often.
POPULARITY_SECONDS = 300
PAGE_SIZE = 25  # procedures per page of the list
MAX_RESULTS = 500  # search results ranked, then paged


@replica_ok
def home(request: HttpRequest) -> HttpResponse:
    def build() -> HttpResponse:
        popular = (
            Procedure.objects.filter(is_published=True)
            .select_related("sector")
            .order_by("-submission_count", "name")[:8]
        )
        return render(request, "portal/home.html", {"popular": popular})

    return cached_page(request, build, namespaces=PUBLIC_NAMESPACES, seconds=POPULARITY_SECONDS)


def _page_links(page: Any, params: Any) -> list[dict[str, Any]]:
    """GOV.UK-style page links: the pages around the current one, the first and the last, an
    ellipsis between (Paginator.get_elided_page_range), each keeping the other parameters."""
    links: list[dict[str, Any]] = []
    base = [(k, v) for k, v in params.items() if k not in ("trang", "page") and v]
    for number in page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1):
        if number == page.paginator.ELLIPSIS:
            links.append({"ellipsis": True})
            continue
        query = urlencode([*base, ("trang", number)] if number != 1 else base)
        links.append({"number": number, "url": "?" + query, "current": number == page.number})
    return links


def _page_url(params: Any, number: int) -> str:
    base = [(k, v) for k, v in params.items() if k not in ("trang", "page") and v]
    return "?" + urlencode([*base, ("trang", number)] if number != 1 else base)


@replica_ok
def procedure_list(request: HttpRequest) -> HttpResponse:
    """The catalogue, a page at a time: all published procedures (most used first) or those
    matching the words, filtered by field, agency, level and online mode."""
    htmx = "1" if request.headers.get("HX-Request") else ""
    return cached_page(
        request,
        lambda: _procedure_list(request, htmx=bool(htmx)),
        namespaces=PUBLIC_NAMESPACES,
        parts=[htmx],
        seconds=POPULARITY_SECONDS,
    )


def _procedure_list(request: HttpRequest, *, htmx: bool) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    filters: dict[str, Any] = {}
    for key in ("sector", "agency", "level"):
        if request.GET.get(key):
            filters[key] = request.GET[key]
    if request.GET.get("online_mode"):
        filters["online_mode"] = request.GET["online_mode"]  # checked by filter_procedures
    results: Any
    if query:
        results = search_procedures(query, limit=MAX_RESULTS, **filters)
    else:
        results = (
            filter_procedures(Procedure.objects.all(), **filters)
            .select_related("sector")
            .order_by("-submission_count", "name", "pk")
        )
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("trang"))
    suggestions: list[Procedure] = []
    popular: list[Procedure] = []
    if not page.paginator.count and not filters:
        # Nothing found: the nearest names, then what people most often come for. With filters
        # (sector, agency...) the page offers to search again without them instead.
        suggestions = suggest_procedures(query) if query else []
        shown = {p.pk for p in suggestions}
        popular = [p for p in popular_procedures(8) if p.pk not in shown][:5]
    context = {
        "query": query,
        "results": list(page.object_list),
        "page": page,
        "total": page.paginator.count,
        "page_links": _page_links(page, request.GET) if page.paginator.num_pages > 1 else [],
        "previous_url": _page_url(request.GET, page.number - 1) if page.has_previous() else "",
        "next_url": _page_url(request.GET, page.number + 1) if page.has_next() else "",
        "suggestions": suggestions,
        "popular": popular,
        "has_filters": bool(filters),
        "sectors": Sector.objects.all(),
        "agencies": Agency.objects.filter(is_active=True, procedures__isnull=False).distinct(),
        "online_modes": OnlineMode.choices,
        "filters": request.GET,
    }
    template = "portal/_results.html" if htmx else "portal/procedures.html"
    return render(request, template, context)


def _published(code: str) -> Procedure:
    return get_object_or_404(
        Procedure.objects.select_related("sector").prefetch_related(
            "components", "fees__exemptions", "agencies"
        ),
        code=code,
        is_published=True,
    )


DUE_FORMAT = r"H:i \n\g\à\y d/m/Y"


def _due_now(meta: Any) -> dict[str, str]:
    """The due date if submitted now: computed for each answer (it moves with the clock), from
    what the cached page kept of the procedure, without a query."""
    if not meta:
        return {}
    source = SimpleNamespace(processing_time=meta["time"], time_unit=meta["unit"])
    due = dossier_services.due_date(source, meta["agency"], timezone.now())  # type: ignore[arg-type]
    return {"due": date_format(timezone.localtime(due), DUE_FORMAT)}


@replica_ok
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    return cached_page(
        request,
        lambda: _procedure_detail(request, code),
        namespaces=PUBLIC_NAMESPACES,
        slots=_due_now,
    )


def _procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    procedure = _published(code)
    agencies = list(procedure.agencies.all())
    process = procedure.current_process()
    # Where to hand the papers in: each agency's one-stop desk(s), with address and hours.
    desks = {
        agency_id: list(group)
        for agency_id, group in groupby(
            Unit.objects.filter(
                agency__in=agencies, kind=Unit.Kind.ONE_STOP_DESK, is_active=True
            ).order_by("agency_id", "code"),
            key=lambda u: u.agency_id,
        )
    }
    fees = list(procedure.fees.all())
    response = render(
        request,
        "portal/procedure_detail.html",
        {
            "procedure": procedure,
            "due_slot": slot("due"),
            "agencies": agencies,
            "places": [(a, desks.get(a.pk, [])) for a in agencies],
            "fees": fees,
            "required_total": sum(f.amount for f in fees if not f.optional),
            "steps": process.steps.all() if process else [],
            **_identity_context(request, procedure),
        },
    )
    # What the due date needs (due_date reads the legal time of the procedure, its first agency's
    # calendar), kept with the cached page.
    response.pagecache_meta = {  # type: ignore[attr-defined]
        "time": str(procedure.processing_time),
        "unit": procedure.time_unit,
        "agency": agencies[0].pk if agencies else None,
    }
    return response


def _identity_context(request: HttpRequest, procedure: Procedure) -> dict[str, Any]:
    """What the pages say about the eID level the procedure requires and the account holds."""
    required = int(procedure.min_identity_level or 0)
    signed_in = getattr(request.user, "is_authenticated", False)
    level = prefill.account_level(request.user) if signed_in else 0
    next_url = reverse("portal:submit", args=[procedure.code])
    return {
        "required_level": required,
        "account_level": level,
        "account_level_name": prefill.level_name(level),
        "level_short_enough": not required or (signed_in and level >= required),
        "how_to_get": prefill.how_to_get(required),
        "vneid_login_url": f"{prefill.VNEID_LOGIN_PATH}?{urlencode({'next': next_url})}",
    }


def _identity_refused(request: HttpRequest, procedure: Procedure) -> HttpResponse | None:
    """The page that refuses the online form when the account's eID level is below the
    procedure's (the dossier service refuses the submission itself on every path)."""
    context = _identity_context(request, procedure)
    if context["level_short_enough"]:
        return None
    return render(
        request,
        "portal/identity_required.html",
        {
            "procedure": procedure,
            "refusal": prefill.refusal_message(context["required_level"], context["account_level"]),
            **context,
        },
        status=403,
    )


def form_template(request: HttpRequest, code: str, component: str) -> FileResponse:
    """A published procedure's blank form (PDF or DOCX) under a safe ASCII name; only the types
    the administration accepts are served, always as a download."""
    procedure = _published(code)
    row = get_object_or_404(procedure.components.exclude(form_template=""), code=component)
    row.procedure = procedure
    extension = template_extension(row)
    if not extension:
        raise Http404
    try:
        handle = row.form_template.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name(row),
        content_type=CONTENT_TYPES[extension],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=3600"
    return response


def _applicant_required(request: HttpRequest) -> None:
    if getattr(request.user, "kind", "") not in ("citizen", "business"):
        raise PermissionDenied("Chỉ công dân, tổ chức, doanh nghiệp được nộp hồ sơ trực tuyến.")


# --- online submission: the form, check your answers, confirmation -------------------------------
# The answers and the papers live in the applicant's draft (one per procedure) between the
# steps: "Lưu nháp" keeps them as they are; "Tiếp tục" keeps them and, when the service would
# accept them, opens "Kiểm tra lại thông tin"; the dossier is sent from there.

DRAFT_FILES = "_files"  # {component code: [{"path", "name", "content_type"}]} under drafts/
DRAFT_CHECKED = "_checked"  # the answers passed every check when last saved
# The applicant consented to fill the form from their verified eID claims: {"consented_at": ISO}.
DRAFT_IDENTITY = "_vneid"


def _consented_at(draft: Draft | None) -> Any:
    consent = (draft.data.get(DRAFT_IDENTITY) or {}) if draft else {}
    return parse_datetime(str(consent.get("consented_at") or "")) if consent else None


def _verified_claims(user: Any, draft: Draft | None) -> dict[str, str] | None:
    """The claims the form is filled from: only once the applicant consented (None before)."""
    return prefill.claims_for(user) if _consented_at(draft) is not None else None


def _identity_offer(user: Any, procedure: Procedure, draft: Draft | None) -> dict[str, Any]:
    """The prefill panel: offered when the account has verified claims that fill some field of
    this procedure's forms; once consented, what was filled and how to stop using it."""
    claims = prefill.claims_for(user)
    fills = sum(
        len(prefill.schema_values(c.form_schema, claims))
        for c in procedure.components.all()
        if c.is_online_form
    )
    if not claims or not fills:
        return {}
    return {
        "identity_offer": {
            "consented": _consented_at(draft) is not None,
            "claims": prefill.offered_claims(claims),
            "fills": fills,
            "level_name": prefill.level_name(prefill.account_level(user)),
        }
    }


def _submission_page(request: HttpRequest, procedure: Procedure, form: Any, draft: Any) -> Any:
    user: Any = request.user
    stored = Draft.objects.filter(applicant=user, procedure=procedure).first()
    return render(
        request,
        "portal/submit.html",
        {
            "procedure": procedure,
            "form": form,
            "draft": draft,
            "errors": form.error_links(),
            **_identity_offer(user, procedure, stored),
        },
    )


def _online_procedure(request: HttpRequest, code: str) -> Procedure | None:
    _applicant_required(request)
    procedure = _published(code)
    if not procedure.is_online:
        messages.error(request, "Thủ tục này chưa cung cấp dịch vụ công trực tuyến.")
        return None
    return procedure


def _draft_fields(draft: Draft | None) -> dict[str, Any]:
    return {k: v for k, v in (draft.data if draft else {}).items() if not k.startswith("_")}


def _draft_files(draft: Draft | None) -> dict[str, list[dict[str, Any]]]:
    return dict((draft.data.get(DRAFT_FILES) or {}) if draft else {})


def _reopen(files: dict[str, list[dict[str, Any]]]) -> dict[str, list[UploadedFile]]:
    """The papers kept with the draft, as uploads again (the service checks them anew)."""
    uploads: dict[str, list[UploadedFile]] = {}
    for component, items in files.items():
        for item in items:
            try:
                with default_storage.open(item["path"], "rb") as handle:
                    content = handle.read()
            except (OSError, KeyError):
                continue  # gone: the applicant is asked for the paper again
            uploads.setdefault(component, []).append(
                SimpleUploadedFile(item["name"], content, item.get("content_type", ""))
            )
    return uploads


def _keep(upload: UploadedFile, label: str) -> dict[str, Any] | None:
    """Store one paper with the draft, if it passes the upload checks."""
    try:
        item = check_paper(upload, label=label)
    except UploadRejected:
        return None
    path = default_storage.save(f"drafts/{uuid.uuid4().hex}", ContentFile(item.content))
    return {"path": path, "name": item.name, "content_type": item.content_type}


def _save_answers(
    user: Any,
    procedure: Procedure,
    form: SubmissionForm,
    request: HttpRequest,
    stored: dict[str, list[dict[str, Any]]],
    bad_papers: set[str],
    *,
    checked: bool,
    consent: Any = None,
) -> None:
    """The answers and the papers into the draft: a new upload replaces a paper's stored files
    (unless it was refused), "Bỏ tệp đã tải lên" forgets them."""
    data = {
        k: (v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in getattr(form, "cleaned_data", {}).items()
        if not k.startswith(("file__", "remove__", "proof__"))
    }
    files = dict(stored)
    discarded: list[dict[str, Any]] = []
    for component, _name in form.paper_components:
        new = request.FILES.getlist(f"file__{component.code}")
        if new and component.code not in bad_papers:
            kept = [k for k in (_keep(u, component.name) for u in new) if k]
            discarded += files.get(component.code, [])
            files[component.code] = kept
        elif data.get(f"remove__{component.code}") or request.POST.get(f"remove__{component.code}"):
            discarded += files.pop(component.code, [])
    # The proof of an exemption claimed, kept like a paper; gone once no group is claimed.
    for fee in form.exemption_fees:
        key = proof_key(fee.pk)
        new = request.FILES.getlist(f"proof__{fee.pk}")
        if not data.get(f"exemption__{fee.pk}"):
            discarded += files.pop(key, [])
        elif new and key not in bad_papers:
            kept = [k for k in (_keep(u, "Giấy tờ chứng minh miễn, giảm") for u in new) if k]
            discarded += files.get(key, [])
            files[key] = kept
    data[DRAFT_FILES] = {k: v for k, v in files.items() if v}
    data[DRAFT_CHECKED] = checked
    if consent:
        data[DRAFT_IDENTITY] = consent
    dossier_services.save_draft(user=user, procedure=procedure, data=data)
    for item in discarded:
        default_storage.delete(item["path"])


def _submission(
    procedure: Procedure, form: SubmissionForm, uploads: Any, consented_at: Any = None
) -> Any:
    """The service's submission from the form; `uploads` holds the papers by component code and
    the exemption proofs under proof_key(fee id)."""
    cleaned = getattr(form, "cleaned_data", {})
    proofs = {k.split(":", 1)[1]: v for k, v in uploads.items() if k.startswith("proof:") and v}
    return dossier_services.Submission(
        procedure_code=procedure.code,
        agency_identifier=cleaned.get("agency") or "",
        form_data=form.component_data(),
        uploads={k: v for k, v in uploads.items() if v and not k.startswith("proof:")},
        exemptions=form.requested_exemptions(),
        exemption_proofs=proofs,
        result_delivery=cleaned.get("result_delivery") or "",
        delivery_address=cleaned.get("delivery_address", "") or "",
        idempotency_key=cleaned.get("idempotency_key") or None,
        chain=cleaned.get("chain") or None,
        fees=form.requested_fees(),
        identity_prefill=form.identity_prefill,
        prefill_consented_at=consented_at,
    )


def _add_service_errors(form: SubmissionForm, exc: DomainError) -> None:
    for key, errs in exc.fields.items():
        target = form.field_for_error(key)
        for err in errs if isinstance(errs, list | tuple) else [errs]:
            if target is not None and str(err) in form.errors.get(target, []):
                continue
            form.add_error(target, str(err))
    if not exc.fields:
        form.add_error(None, exc.message)


@login_required
def submit(request: HttpRequest, code: str) -> HttpResponse:
    """The submission form (and a saved draft, continued from here)."""
    procedure = _online_procedure(request, code)
    if procedure is None:
        return redirect("portal:procedure", code=code)
    refused = _identity_refused(request, procedure)
    if refused is not None:
        return refused
    user: Any = request.user
    draft = Draft.objects.filter(applicant=user, procedure=procedure).first()
    stored = _draft_files(draft)
    claims = _verified_claims(user, draft)
    consent = draft.data.get(DRAFT_IDENTITY) if draft else None
    if request.method != "POST":
        initial = _draft_fields(draft)
        initial.setdefault("idempotency_key", uuid.uuid4().hex)
        form = SubmissionForm(
            procedure, initial=initial, user=user, stored_files=stored, verified_claims=claims
        )
        form.initial.update(form.locked)
        return _submission_page(request, procedure, form, draft)

    form = SubmissionForm(
        procedure,
        request.POST,
        request.FILES,
        user=user,
        stored_files=stored,
        verified_claims=claims,
    )
    form.is_valid()  # every error is collected below, the service's with the form's
    if request.POST.get("action") == "draft":
        _save_answers(user, procedure, form, request, stored, set(), checked=False, consent=consent)
        messages.success(
            request,
            "Đã lưu bản nháp. Bạn có thể quay lại trang này để tiếp tục bất cứ lúc nào.",
        )
        return redirect("portal:submit", code=code)

    uploads: dict[str, Any] = {}
    for component, _name in form.paper_components:
        new = request.FILES.getlist(f"file__{component.code}")
        removed = request.POST.get(f"remove__{component.code}")
        if new:
            uploads[component.code] = new
        elif component.code in stored and not removed:
            uploads[component.code] = _reopen({component.code: stored[component.code]}).get(
                component.code, []
            )
    for fee in form.exemption_fees:
        key = proof_key(fee.pk)
        new = request.FILES.getlist(f"proof__{fee.pk}")
        if new:
            uploads[key] = new
        elif key in stored:
            uploads[key] = _reopen({key: stored[key]}).get(key, [])
    bad_papers: set[str] = set()
    try:
        dossier_services.validate_submission(
            user=user,
            submission=_submission(procedure, form, uploads, _consented_at(draft)),
        )
    except DomainError as exc:
        bad_papers = {k for k in exc.fields if f"file__{k}" in form.fields}
        bad_papers |= {
            proof_key(k.split(".", 1)[1]) for k in exc.fields if k.startswith("exemption_proof.")
        }
        _add_service_errors(form, exc)
    # Rewind the uploads the check read, before they are stored with the draft.
    for files in request.FILES.lists():
        for upload in files[1]:
            upload.seek(0)
    valid = not form.errors
    _save_answers(
        user, procedure, form, request, stored, bad_papers, checked=valid, consent=consent
    )
    if valid:
        return redirect("portal:submit_check", code=code)
    form.stored_files = _draft_files(
        Draft.objects.filter(applicant=user, procedure=procedure).first()
    )
    return _submission_page(request, procedure, form, None)  # "continuing a draft": on opening


@login_required
@require_POST
def submit_identity(request: HttpRequest, code: str) -> HttpResponse:
    """The applicant's consent to fill the form from their verified eID claims ("use"), or its
    withdrawal ("stop"): kept with the draft, and with the dossier's submitted event."""
    procedure = _online_procedure(request, code)
    if procedure is None:
        return redirect("portal:procedure", code=code)
    refused = _identity_refused(request, procedure)
    if refused is not None:
        return refused
    user: Any = request.user
    draft = Draft.objects.filter(applicant=user, procedure=procedure).first()
    data = dict(draft.data) if draft else {}
    if request.POST.get("action") == "stop":
        data.pop(DRAFT_IDENTITY, None)
        data[DRAFT_CHECKED] = False
        dossier_services.save_draft(user=user, procedure=procedure, data=data)
        messages.success(
            request,
            "Đã thôi dùng thông tin từ VNeID: các mục có thể sửa, và không còn được đánh dấu "
            "đã xác thực.",
        )
        return redirect("portal:submit", code=code)
    if not prefill.claims_for(user):
        messages.error(
            request,
            "Tài khoản của ông/bà chưa có thông tin đã xác thực qua VNeID. Đăng nhập bằng "
            "VNeID để dùng chức năng này.",
        )
        return redirect("portal:submit", code=code)
    data[DRAFT_IDENTITY] = {"consented_at": timezone.now().isoformat()}
    data[DRAFT_CHECKED] = False
    data.setdefault("idempotency_key", uuid.uuid4().hex)
    dossier_services.save_draft(user=user, procedure=procedure, data=data)
    messages.success(
        request,
        "Đã điền sẵn thông tin từ tài khoản định danh điện tử (VNeID). Các mục có dấu “Đã xác "
        "thực qua VNeID” không sửa được ở đây; hãy khai các mục còn lại.",
    )
    return redirect("portal:submit", code=code)


def _answers(form: SubmissionForm, files: dict[str, list[dict[str, Any]]]) -> list[Any]:
    """The check-answers summary: (heading, [(label, value, anchor)]) per part of the form."""
    data = form.cleaned_data
    agency = dict(form.fields["agency"].choices).get(data.get("agency"), "")  # type: ignore[attr-defined]
    parts: list[Any] = [("Cơ quan tiếp nhận", [("Cơ quan tiếp nhận", agency, "id_agency")])]
    for component, bounds in form.form_rows():
        rows = []
        for bound in bounds:
            value = data.get(bound.name)
            if isinstance(value, bool):
                shown = "Có" if value else "Không"
            elif value in ("", None):
                shown = "Không khai"
            elif isinstance(bound.field.widget, forms.DateInput):
                shown = _date_vi(str(value))
            else:
                shown = str(value)
            label = str(bound.label).removesuffix(OPTIONAL_MARK)
            rows.append((label, shown, bound.auto_id, bound.name in form.verified))
        parts.append((component.name, rows))
    papers = []
    for component, bound, _stored, _remove in form.paper_rows():
        names = ", ".join(f["name"] for f in files.get(component.code, [])) or "Không đính kèm"
        papers.append((component.name, names, bound.auto_id))
    if papers:
        parts.append(("Giấy tờ đính kèm", papers))
    claims = []
    for fee, choice, proof, _stored in form.exemption_rows():
        chosen = data.get(choice.name) or ""
        group = dict(choice.field.choices).get(chosen, "")
        claims.append((fee.name, str(group), f"{choice.auto_id}_0"))
        if chosen:
            names = ", ".join(f["name"] for f in files.get(proof_key(fee.pk), []))
            claims.append(("Giấy tờ chứng minh", names or "Không đính kèm", proof.auto_id))
    if claims:
        parts.append(("Miễn, giảm phí, lệ phí", claims))
    delivery = dict(ResultDelivery.choices).get(data.get("result_delivery") or "", "")
    receive = [("Cách nhận kết quả", str(delivery), "id_result_delivery_0")]
    if data.get("delivery_address"):
        receive.append(("Địa chỉ nhận kết quả", data["delivery_address"], "id_delivery_address"))
    parts.append(("Nhận kết quả", receive))
    if "chain" in form.fields:
        chain = dict(form.fields["chain"].choices).get(data.get("chain") or "", "Không")  # type: ignore[attr-defined]
        parts.append(("Liên thông", [("Liên thông", str(chain), "id_chain_0")]))
    # Every row as (label, value, anchor, verified through the eID).
    return [(h, [(*r, False) if len(r) == 3 else r for r in rows]) for h, rows in parts]


def _date_vi(value: str) -> str:
    try:
        year, month, day = value.split("-")
    except ValueError:
        return value
    return f"{day}/{month}/{year}"


def _checked_form(
    request: HttpRequest, procedure: Procedure, draft: Draft
) -> tuple[SubmissionForm, dict[str, list[dict[str, Any]]]]:
    stored = _draft_files(draft)
    form = SubmissionForm(
        procedure,
        _draft_fields(draft),
        user=request.user,
        stored_files=stored,
        verified_claims=_verified_claims(request.user, draft),
    )
    form.is_valid()
    return form, stored


@login_required
def submit_check(request: HttpRequest, code: str) -> HttpResponse:
    """Kiểm tra lại thông tin: every answer with a link back to change it, the fees due, the
    declaration, and the one button that sends the dossier."""
    procedure = _online_procedure(request, code)
    if procedure is None:
        return redirect("portal:procedure", code=code)
    refused = _identity_refused(request, procedure)
    if refused is not None:
        return refused
    user: Any = request.user
    draft = Draft.objects.filter(applicant=user, procedure=procedure).first()
    if draft is None or not draft.data.get(DRAFT_CHECKED):
        return redirect("portal:submit", code=code)
    form, stored = _checked_form(request, procedure, draft)
    confirm = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and confirm.is_valid():
        try:
            dossier = dossier_services.submit_online(
                user=user,
                submission=_submission(procedure, form, _reopen(stored), _consented_at(draft)),
            )
        except DomainError as exc:
            _add_service_errors(form, exc)
            dossier_services.save_draft(
                user=user, procedure=procedure, data={**draft.data, DRAFT_CHECKED: False}
            )
            return _submission_page(request, procedure, form, draft)
        dossier_services.discard_draft(user=user, procedure=procedure)
        return redirect("portal:submit_done", code=code, dossier_code=dossier.code)
    try:
        lines = fee_rules.fee_lines(
            procedure.fees.all(), form.requested_fees(), form.requested_exemptions()
        )
    except DomainError:
        return redirect("portal:submit", code=code)
    errors = [("id_confirm", str(e)) for e in confirm.errors.get("confirm", [])]
    return render(
        request,
        "portal/submit_check.html",
        {
            "procedure": procedure,
            "parts": _answers(form, stored),
            "verified_count": len(form.verified),
            "fee_lines": [line.as_json() for line in lines],
            "fee_total": fee_rules.total(lines),
            "fee_anchor": next(
                (f"id_{c.checkbox or c.quantity}" for c in form.fee_choices), "phi-le-phi"
            ),
            "confirm": confirm,
            "errors": errors,
        },
    )


@login_required
def submit_done(request: HttpRequest, code: str, dossier_code: str) -> HttpResponse:
    """The confirmation panel: the dossier code, what happens next, where to follow it; when
    something is due, "Thanh toán ngay" (the checkout) or "Thanh toán sau" (the dossier's page
    in "Hồ sơ của tôi", where the button stays while it is due)."""
    dossier = _my_dossier(request, dossier_code)
    if dossier.procedure.code != code:
        raise Http404
    return render(
        request,
        "portal/submit_done.html",
        {
            "dossier": dossier,
            "linked": [
                link.target for link in dossier.links_out.select_related("target__procedure")
            ],
            "due": [p for p in _payments(request, dossier) if p.status == PaymentStatus.DUE],
        },
    )


def _payments(request: HttpRequest, dossier: Dossier) -> list[Payment]:
    """The dossier's payments the signed-in applicant may see, oldest first, each with the
    label of the provider that paid it."""
    actor = actor_for_user(request.user)
    rows = list(
        visible_to(actor, Payment.objects.filter(dossier=dossier)).order_by("created_at", "pk")
    )
    for row in rows:
        provider = payment_providers.get(row.paid_provider) if row.paid_provider else None
        row.provider_label = provider.label if provider else row.paid_provider  # type: ignore[attr-defined]
    return rows


@login_required
def my_dossiers(request: HttpRequest) -> HttpResponse:
    """The applicant's dossiers, those waiting for their supplement flagged first, and their
    saved drafts with a link to continue each."""
    actor = actor_for_user(request.user)
    dossiers = list(
        visible_to(actor, Dossier.objects.select_related("procedure", "agency")).order_by(
            "-submitted_at"
        )[:200]
    )
    waiting = [d for d in dossiers if d.status == Status.SUPPLEMENT_REQUESTED]
    deadlines = _answer_deadlines(waiting)
    for d in dossiers:
        d.answer_by = deadlines.get(d.pk)  # type: ignore[attr-defined]
    drafts = (
        Draft.objects.filter(applicant_id=getattr(request.user, "pk", None))
        .select_related("procedure")
        .order_by("-updated_at")
    )
    return render(
        request,
        "portal/my_dossiers.html",
        {
            "dossiers": dossiers,
            "waiting": waiting,
            "drafts": drafts,
            "unread": _unread(request),
        },
    )


def _answer_deadlines(dossiers: list[Dossier]) -> dict[int, Any]:
    """The date each dossier's open supplement request asks an answer by (one query)."""
    if not dossiers:
        return {}
    rows = SupplementRequest.objects.filter(
        dossier__in=dossiers, answered_at__isnull=True
    ).order_by("requested_at")
    return {r.dossier_id: r.answer_by for r in rows}


def _unread(request: HttpRequest) -> int:
    actor = actor_for_user(request.user)
    if actor.kind not in ("citizen", "business"):
        return 0
    return visible_to(actor, ApplicantNotice.objects.filter(read_at__isnull=True)).count()


def _my_dossier(request: HttpRequest, code: str) -> Dossier:
    actor = actor_for_user(request.user)
    qs = visible_to(actor, Dossier.objects.select_related("procedure", "agency"))
    return get_object_or_404(qs.prefetch_related(Prefetch("files")), code=code)


def _tracking_url(request: HttpRequest, dossier: Dossier) -> str:
    return request.build_absolute_uri(reverse("portal:lookup") + f"?code={dossier.code}")


def working_days_left(request_: SupplementRequest) -> int | None:
    """Working days the applicant has left to answer, today included when it is one (0: the
    deadline has passed)."""
    if request_.answer_by is None:
        return None
    calendar = WorkingCalendar.for_agency(request_.dossier.agency_id)
    today = timezone.localdate()
    due = timezone.localdate(request_.answer_by)
    if due < today:
        return 0
    return calendar.working_days_between(today, due) + (1 if calendar.is_working_day(today) else 0)


def supplement_context(dossier: Dossier) -> dict[str, Any]:
    """The open supplement request as the banner shows it (what, why, by when, who asked)."""
    open_request = onestop_services.open_supplement_request(dossier)
    if open_request is None:
        return {"supplement_request": None}
    official = open_request.requested_by
    form_02 = (
        dossier.files.filter(
            kind=DossierFile.Kind.FORM_02, uploaded_at__gte=open_request.requested_at
        )
        .order_by("pk")
        .first()
    )
    return {
        "supplement_request": open_request,
        "supplement_papers": open_request.papers,
        "supplement_days_left": working_days_left(open_request),
        "supplement_official": official.user.get_full_name(),
        "supplement_unit": official.unit.name if official.unit_id and official.unit else "",
        "supplement_agency": official.agency.name,
        "supplement_form_02": form_02,
    }


def _render_dossier(
    request: HttpRequest,
    dossier: Dossier,
    supplement_form: SupplementForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "dossier": dossier,
        "timeline": dossier_services.timeline(dossier, for_applicant=True),
        "rating_form": RatingForm(),
        "can_rate": dossier.status in (Status.DONE, Status.RETURNED)
        and not hasattr(dossier, "rating"),
        "results": onestop_services.results_for_applicant(dossier),
        "issued_forms": sorted(
            (f for f in dossier.files.all() if f.kind in ISSUED_FORM_KINDS),
            key=lambda f: f.pk,
        ),
        "owner": True,
        "payments": _payments(request, dossier),
        "fee_lines": fee_rules.shown_lines(dossier),
        "can_withdraw": onestop_services.withdrawable(dossier)
        and dossier.applicant_id == getattr(request.user, "pk", None),
        **supplement_context(dossier),
    }
    if dossier.status == Status.SUPPLEMENT_REQUESTED:
        context["supplement_form"] = supplement_form or _supplement_form(
            context["supplement_request"]
        )
    if dossier.status == Status.WITHDRAWAL_REQUESTED:
        ended = [t for t in context["timeline"] if t.event_type == "dossier.withdrawn"]
        context["withdrawal"] = ended[-1] if ended else None
    return render(request, "portal/dossier_detail.html", context, status=status)


# A dossier waiting for a supplement with no request on record (data from before the requests
# were kept, or moved by hand): one upload for whatever the desk asked.
ANY_PAPER = [{"component": "", "name": "Giấy tờ bổ sung"}]


def _supplement_form(
    open_request: SupplementRequest | None, *args: Any, **kwargs: Any
) -> SupplementForm:
    return SupplementForm(
        *args,
        papers=open_request.papers if open_request is not None else ANY_PAPER,
        structured=open_request is not None and open_request.structured,
        max_files=onestop_services.SUPPLEMENT_MAX_FILES_PER_ITEM,
        **kwargs,
    )


@login_required
def my_dossier(request: HttpRequest, code: str) -> HttpResponse:
    return _render_dossier(request, _my_dossier(request, code))


@login_required
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _my_dossier(request, code)
    pdf = receipt_pdf(dossier, tracking_url=_tracking_url(request, dossier))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="giay-tiep-nhan-{dossier.code}.pdf"'
    # Rendered afresh each time (the payment status changes): never a cached copy.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def result_file(request: HttpRequest, code: str, file_id: int) -> HttpResponseBase:
    dossier = _my_dossier(request, code)
    if dossier.status not in (Status.DONE, Status.RETURNED):
        raise Http404
    if dossier.payment_state == PaymentState.DUE:
        # The result is released once the fees are paid (catalog.PaymentTiming).
        messages.error(
            request,
            "Kết quả được trả sau khi ông/bà nộp đủ phí, lệ phí. Vui lòng thanh toán trước khi "
            "tải kết quả.",
        )
        return redirect(reverse("portal:my_dossier", args=[code]) + "#thanh-toan")
    given = {r.file.pk: r.file for r in onestop_services.results_for_applicant(dossier)}
    if file_id not in given:  # not a result, or a draft the leader signed
        raise Http404
    return file_download(given[file_id])


@login_required
def issued_form(request: HttpRequest, code: str, file_id: int) -> FileResponse:
    """A form issued to the applicant (02, 03, 04): their own dossier's only (visible_to)."""
    dossier = _my_dossier(request, code)
    row = get_object_or_404(dossier.files, pk=file_id, kind__in=ISSUED_FORM_KINDS)
    return file_download(row)


@login_required
@require_POST
def supplement(request: HttpRequest, code: str) -> HttpResponse:
    """The answer to the open supplement request: the files of each paper, checked by the
    service; errors come back on the page beside the paper they concern."""
    dossier = _my_dossier(request, code)
    if dossier.status != Status.SUPPLEMENT_REQUESTED:
        messages.error(request, "Hồ sơ không ở trạng thái chờ bổ sung.")
        return redirect("portal:my_dossier", code=code)
    open_request = onestop_services.open_supplement_request(dossier)
    form = _supplement_form(open_request, request.POST, request.FILES)
    if form.is_valid():
        try:
            onestop_services.provide_supplement(
                user=request.user,  # type: ignore[arg-type]
                dossier=dossier,
                by_item=form.by_item() if open_request is not None else None,
                # Files not sorted by paper: without a request on record, and the one-input form
                # of earlier pages ("documents").
                uploads=request.FILES.getlist("documents")
                + ([] if open_request is not None else form.by_item().get(0, [])),
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            for name, errors in exc.fields.items():
                target = name if name in form.fields else None
                for error in errors:
                    form.add_error(target, error)
            if not exc.fields:
                form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                "Đã gửi giấy tờ bổ sung. Hồ sơ tiếp tục được giải quyết; ông/bà được thông báo "
                "ngày hẹn trả kết quả.",
            )
            return redirect("portal:my_dossier", code=code)
    dossier.refresh_from_db()
    # The page again with the errors beside each paper (200, as the portal's other forms).
    return _render_dossier(request, dossier, supplement_form=form)


@login_required
def withdraw(request: HttpRequest, code: str) -> HttpResponse:
    """Withdraw a dossier online: the reason, then a confirmation page (what it means), then the
    service (onestop.services.withdraw_by_applicant)."""
    dossier = _my_dossier(request, code)
    if dossier.applicant_id != getattr(request.user, "pk", None):
        raise Http404
    if not onestop_services.withdrawable(dossier):
        messages.error(
            request,
            f"Không thể rút hồ sơ ở trạng thái “{dossier.get_status_display()}”: hồ sơ chỉ rút "
            "được khi chưa giải quyết xong.",
        )
        return redirect("portal:my_dossier", code=code)
    form = WithdrawForm(request.POST or None)
    step = request.POST.get("step", "")
    context: dict[str, Any] = {"dossier": dossier, "form": form}
    if request.method == "POST" and form.is_valid():
        if step == "confirm":
            try:
                onestop_services.withdraw_by_applicant(
                    user=request.user,  # type: ignore[arg-type]
                    dossier=dossier.code,
                    reason=form.cleaned_data["reason"],
                    version=int(request.POST.get("version") or 0) or None,
                )
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect("portal:my_dossier", code=code)
            messages.success(request, f"Đã rút hồ sơ {dossier.code}. Hồ sơ dừng giải quyết.")
            return redirect("portal:my_dossier", code=code)
        return render(request, "portal/withdraw_confirm.html", context)
    return render(request, "portal/withdraw.html", context)


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    """ "Thông báo của tôi": every notice sent to the applicant, newest first."""
    actor = actor_for_user(request.user)
    if actor.kind not in ("citizen", "business"):
        raise PermissionDenied("Chỉ công dân, tổ chức, doanh nghiệp có hộp thư thông báo.")
    rows = visible_to(actor, ApplicantNotice.objects.select_related("dossier__procedure")).order_by(
        "-sent_at", "-pk"
    )[:200]
    return render(
        request,
        "portal/notices.html",
        {"notices": rows, "unread": sum(1 for n in rows if n.read_at is None)},
    )


@login_required
def notice_open(request: HttpRequest, notice_id: int) -> HttpResponse:
    """Open a notice: marked read, then its dossier's page."""
    actor = actor_for_user(request.user)
    notice = get_object_or_404(
        visible_to(actor, ApplicantNotice.objects.select_related("dossier")), pk=notice_id
    )
    mark_read(actor=actor, notice_ids=[notice.pk])
    return redirect("portal:my_dossier", code=notice.dossier.code)


@login_required
@require_POST
def notices_read(request: HttpRequest) -> HttpResponse:
    count = mark_read(actor=actor_for_user(request.user))
    if count:
        messages.success(request, f"Đã đánh dấu {count} thông báo là đã đọc.")
    return redirect("portal:notices")


@login_required
@require_POST
def rate(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _my_dossier(request, code)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            dossier_services.rate(
                user=request.user,  # type: ignore[arg-type]
                dossier=dossier,
                level=form.cleaned_data["level"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Cảm ơn bạn đã đánh giá.")
    else:
        messages.error(request, "Vui lòng chọn mức độ hài lòng.")
    return redirect("portal:my_dossier", code=code)


def lookup(request: HttpRequest) -> HttpResponse:
    dossier = None
    form = LookupForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    status = 200
    if request.method == "POST" and form.is_valid():
        if not allow_lookup(request):
            form.add_error(None, "Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau một phút.")
            status = 429
        else:
            dossier = dossier_services.public_lookup(
                form.cleaned_data["code"], form.cleaned_data["second_factor"]
            )
            if dossier is None:
                # One message for both cases: a wrong code must not be told apart from a wrong id.
                form.add_error(None, "Không tìm thấy hồ sơ khớp với mã hồ sơ và thông tin đã nhập.")
    context: dict[str, Any] = {"form": form, "dossier": dossier}
    if dossier is not None:
        context["timeline"] = dossier_services.timeline(dossier, for_applicant=True)
        context.update(supplement_context(dossier))
    return render(request, "portal/lookup.html", context, status=status)
