"""Downloads of form 05 (process control sheet, per dossier) and form 06 (dossier register, per
agency and period), as PDF and XLSX. Mounted by egov/onestop/urls.py under /mot-cua/.

Officials see the dossiers of their agency and those transferred to it (`visible_to`): another
agency's dossier is a 404. The register is their own agency's; operators pick any agency with
`?agency=<identifier>`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from egov.core import dates
from egov.core.actors import Actor, actor_from_request
from egov.core.errors import DomainError
from egov.core.scoping import visible_to
from egov.dossiers.models import Dossier
from egov.org.models import Agency, Official

from . import reports

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _staff_actor(request: HttpRequest) -> Actor:
    actor = actor_from_request(request)
    if actor.kind != "official" and not actor.is_operator:
        raise PermissionDenied("Chỉ công chức được xem phiếu kiểm soát và sổ theo dõi hồ sơ.")
    return actor


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _bad_request(message: str) -> HttpResponse:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _dossier(request: HttpRequest, code: str) -> Dossier:
    actor = _staff_actor(request)
    qs = visible_to(actor, Dossier.objects.select_related("procedure", "agency", "agency__parent"))
    return get_object_or_404(qs, code=code)


@require_GET
@login_required
def control_sheet_pdf(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _dossier(request, code)
    content = reports.control_sheet_pdf(reports.control_sheet(dossier))
    return _download(content, PDF, f"phieu-kiem-soat-{dossier.code}.pdf")


@require_GET
@login_required
def control_sheet_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _dossier(request, code)
    content = reports.control_sheet_xlsx(reports.control_sheet(dossier))
    return _download(content, XLSX, f"phieu-kiem-soat-{dossier.code}.xlsx")


def parse_day(raw: str | None, default: date, field: str = "date") -> date:
    """`2026-11-30` or `30/11/2026` within 1900..2100; empty gives the default."""
    return dates.parse_day(raw, field=field, default=default) or default


def register_agency(actor: Actor, identifier: str) -> Agency:
    """The agency whose register the actor asked for: an official's own, any for an operator."""
    if actor.is_operator:
        if not identifier:
            raise DomainError(
                "Chọn cơ quan (tham số agency).", code="invalid", fields={"agency": ["Bắt buộc."]}
            )
        agency = Agency.objects.filter(identifier=identifier).select_related("parent").first()
        if agency is None:
            raise Http404("Không tìm thấy cơ quan.")
        return agency
    official = (
        Official.objects.select_related("agency", "agency__parent")
        .filter(user_id=actor.user_id or 0)
        .first()
    )
    if official is None:
        raise PermissionDenied("Tài khoản chưa gắn với cơ quan.")
    if identifier and identifier != official.agency.identifier:
        raise Http404("Không tìm thấy cơ quan.")
    return official.agency


def _register_params(request: HttpRequest) -> tuple[Agency, date, date]:
    actor = _staff_actor(request)
    today = timezone.localdate()
    date_to = parse_day(request.GET.get("to"), today, "to")
    date_from = parse_day(request.GET.get("from"), date_to.replace(day=1), "from")
    reports.period_bounds(date_from, date_to)  # validates the period
    agency = register_agency(actor, request.GET.get("agency", "").strip())
    return agency, date_from, date_to


def _register_view(
    render: Callable[[Agency, date, date], bytes], content_type: str, extension: str
) -> Callable[[HttpRequest], HttpResponse]:
    @require_GET
    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        try:
            agency, date_from, date_to = _register_params(request)
            content = render(agency, date_from, date_to)
        except DomainError as exc:
            return _bad_request(exc.message)
        name = f"so-theo-doi-{agency.identifier}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.{extension}"
        return _download(content, content_type, name)

    return view


register_pdf = _register_view(
    lambda a, f, t: reports.register_pdf(reports.register(a, f, t)), PDF, "pdf"
)
register_xlsx = _register_view(reports.register_xlsx, XLSX, "xlsx")

urlpatterns = [
    path(
        "ho-so/<str:code>/phieu-kiem-soat.pdf",
        control_sheet_pdf,
        name="report-control-sheet-pdf",
    ),
    path(
        "ho-so/<str:code>/phieu-kiem-soat.xlsx",
        control_sheet_xlsx,
        name="report-control-sheet-xlsx",
    ),
    path("so-theo-doi.pdf", register_pdf, name="report-register-pdf"),
    path("so-theo-doi.xlsx", register_xlsx, name="report-register-xlsx"),
]
