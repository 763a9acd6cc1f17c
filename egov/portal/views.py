"""Public service portal pages: find a procedure, submit, track, receive, rate."""

from __future__ import annotations

import uuid
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from egov.catalog.form_templates import CONTENT_TYPES, download_name, template_extension
from egov.catalog.models import OnlineMode, Procedure, Sector
from egov.catalog.search import popular_procedures, search_procedures, suggest_procedures
from egov.core.actors import actor_for_user
from egov.core.errors import DomainError
from egov.core.ratelimit import allow_lookup
from egov.core.scoping import visible_to
from egov.dossiers import services as dossier_services
from egov.dossiers.downloads import file_download
from egov.dossiers.models import ISSUED_FORM_KINDS, Dossier, DossierFile, Draft, Status
from egov.dossiers.pdf import receipt_pdf
from egov.onestop import services as onestop_services
from egov.org.models import Agency, Unit

from .forms import LookupForm, RatingForm, SubmissionForm, SupplementForm


def home(request: HttpRequest) -> HttpResponse:
    popular = (
        Procedure.objects.filter(is_published=True)
        .select_related("sector")
        .order_by("-submission_count", "name")[:8]
    )
    return render(
        request, "portal/home.html", {"popular": popular, "sectors": Sector.objects.all()}
    )


def procedure_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    filters: dict[str, Any] = {}
    for key in ("sector", "agency", "level"):
        if request.GET.get(key):
            filters[key] = request.GET[key]
    if request.GET.get("online_mode"):
        filters["online_mode"] = request.GET["online_mode"]  # checked by filter_procedures
    results = search_procedures(query, limit=50, **filters)
    suggestions: list[Procedure] = []
    popular: list[Procedure] = []
    if not results and not filters:
        # Nothing found: the nearest names, then what people most often come for. With filters
        # (sector, agency...) the page offers to search again without them instead.
        suggestions = suggest_procedures(query) if query else []
        shown = {p.pk for p in suggestions}
        popular = [p for p in popular_procedures(8) if p.pk not in shown][:5]
    context = {
        "query": query,
        "results": results,
        "suggestions": suggestions,
        "popular": popular,
        "has_filters": bool(filters),
        "sectors": Sector.objects.all(),
        "agencies": Agency.objects.filter(is_active=True, procedures__isnull=False).distinct(),
        "online_modes": OnlineMode.choices,
        "filters": request.GET,
    }
    template = (
        "portal/_results.html" if request.headers.get("HX-Request") else "portal/procedures.html"
    )
    return render(request, template, context)


def _published(code: str) -> Procedure:
    return get_object_or_404(
        Procedure.objects.select_related("sector").prefetch_related(
            "components", "fees", "agencies"
        ),
        code=code,
        is_published=True,
    )


def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    procedure = _published(code)
    agencies = list(procedure.agencies.all())
    due = dossier_services.due_date(procedure, agencies[0] if agencies else None, timezone.now())
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
    return render(
        request,
        "portal/procedure_detail.html",
        {
            "procedure": procedure,
            "due": due,
            "agencies": agencies,
            "places": [(a, desks.get(a.pk, [])) for a in agencies],
            "fees": fees,
            "required_total": sum(f.amount for f in fees if not f.optional),
            "steps": process.steps.all() if process else [],
        },
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


@login_required
def submit(request: HttpRequest, code: str) -> HttpResponse:
    _applicant_required(request)
    procedure = _published(code)
    if not procedure.is_online:
        messages.error(request, "Thủ tục này chưa cung cấp dịch vụ công trực tuyến.")
        return redirect("portal:procedure", code=code)
    user: Any = request.user
    draft = Draft.objects.filter(applicant=user, procedure=procedure).first()
    if request.method == "POST":
        form = SubmissionForm(procedure, request.POST, request.FILES)
        if form.is_valid():
            if request.POST.get("action") == "draft":
                data = {
                    k: v
                    for k, v in form.cleaned_data.items()
                    if not k.startswith("file__") and k != "idempotency_key"
                }
                dossier_services.save_draft(user=user, procedure=procedure, data=data)
                messages.success(request, "Đã lưu bản nháp. Tệp đính kèm cần tải lại khi nộp.")
                return redirect("portal:submit", code=code)
            if not form.cleaned_data.get("confirm"):
                form.add_error(
                    "confirm", "Vui lòng xem lại hồ sơ và xác nhận cam đoan trước khi nộp."
                )
                return render(
                    request,
                    "portal/submit.html",
                    {"procedure": procedure, "form": form, "draft": draft},
                )
            uploads = {
                component.code: request.FILES.getlist(f"file__{component.code}")
                for component, _names in form.component_fields
                if not component.is_online_form
            }
            submission = dossier_services.Submission(
                procedure_code=procedure.code,
                agency_identifier=form.cleaned_data["agency"],
                form_data=form.component_data(),
                uploads={k: v for k, v in uploads.items() if v},
                result_delivery=form.cleaned_data["result_delivery"],
                delivery_address=form.cleaned_data.get("delivery_address", ""),
                idempotency_key=form.cleaned_data.get("idempotency_key") or None,
                chain=form.cleaned_data.get("chain") or None,
            )
            try:
                dossier = dossier_services.submit_online(user=user, submission=submission)
            except DomainError as exc:
                form.add_error(None, exc.message)
                for field, errs in exc.fields.items():
                    target: str | None = field.replace(".", "__")
                    if target not in form.fields:
                        target = f"file__{field}" if f"file__{field}" in form.fields else None
                    for err in errs:
                        form.add_error(target, err)
            else:
                dossier_services.discard_draft(user=user, procedure=procedure)
                messages.success(request, f"Nộp hồ sơ thành công. Mã hồ sơ: {dossier.code}")
                return redirect("portal:my_dossier", code=dossier.code)
    else:
        initial = dict(draft.data) if draft else {}
        initial["idempotency_key"] = uuid.uuid4().hex
        form = SubmissionForm(procedure, initial=initial)
    return render(
        request, "portal/submit.html", {"procedure": procedure, "form": form, "draft": draft}
    )


@login_required
def my_dossiers(request: HttpRequest) -> HttpResponse:
    actor = actor_for_user(request.user)
    dossiers = visible_to(actor, Dossier.objects.select_related("procedure", "agency")).order_by(
        "-submitted_at"
    )[:200]
    return render(request, "portal/my_dossiers.html", {"dossiers": dossiers})


def _my_dossier(request: HttpRequest, code: str) -> Dossier:
    actor = actor_for_user(request.user)
    qs = visible_to(actor, Dossier.objects.select_related("procedure", "agency"))
    return get_object_or_404(qs.prefetch_related(Prefetch("files")), code=code)


def _tracking_url(request: HttpRequest, dossier: Dossier) -> str:
    return request.build_absolute_uri(reverse("portal:lookup") + f"?code={dossier.code}")


@login_required
def my_dossier(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _my_dossier(request, code)
    return render(
        request,
        "portal/dossier_detail.html",
        {
            "dossier": dossier,
            "timeline": dossier_services.timeline(dossier, for_applicant=True),
            "rating_form": RatingForm(),
            "supplement_form": SupplementForm(),
            "can_rate": dossier.status in (Status.DONE, Status.RETURNED)
            and not hasattr(dossier, "rating"),
            "results": [f for f in dossier.files.all() if f.kind == DossierFile.Kind.RESULT],
            "issued_forms": sorted(
                (f for f in dossier.files.all() if f.kind in ISSUED_FORM_KINDS),
                key=lambda f: f.pk,
            ),
            "owner": True,
        },
    )


@login_required
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _my_dossier(request, code)
    pdf = receipt_pdf(dossier, tracking_url=_tracking_url(request, dossier))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="giay-tiep-nhan-{dossier.code}.pdf"'
    return response


@login_required
def result_file(request: HttpRequest, code: str, file_id: int) -> FileResponse:
    dossier = _my_dossier(request, code)
    row = get_object_or_404(dossier.files, pk=file_id, kind=DossierFile.Kind.RESULT)
    if dossier.status not in (Status.DONE, Status.RETURNED):
        raise Http404
    return file_download(row)


@login_required
def issued_form(request: HttpRequest, code: str, file_id: int) -> FileResponse:
    """A form issued to the applicant (02, 03, 04): their own dossier's only (visible_to)."""
    dossier = _my_dossier(request, code)
    row = get_object_or_404(dossier.files, pk=file_id, kind__in=ISSUED_FORM_KINDS)
    return file_download(row)


@login_required
@require_POST
def supplement(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _my_dossier(request, code)
    form = SupplementForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            onestop_services.provide_supplement(
                user=request.user,  # type: ignore[arg-type]
                dossier=dossier,
                uploads=request.FILES.getlist("documents"),
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Đã gửi giấy tờ bổ sung.")
    else:
        messages.error(request, "Vui lòng chọn tệp bổ sung.")
    return redirect("portal:my_dossier", code=code)


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
    return render(request, "portal/lookup.html", context, status=status)
