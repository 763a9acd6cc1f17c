"""Pages: statements — the agency's bank statement imports and the lines left to match
(`payments:statements`, `sao-ke/`), and the accountant's decision on one line
(`payments:statement_line`, `sao-ke/dong/<id>/`: match by hand, or ignore).

Only the agency's accountants and leaders open the page (scopes.may_see_evidence: the statement
shows other people's transfers); others get 403. Importing and resolving are the accountant's
(services/statements.py says so again); a line of another agency is not found (404). Views
never change state themselves: each form calls one service and shows its refusal in place.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from egov.core.actors import Actor, actor_from_request
from egov.core.errors import DomainError
from egov.core.middleware import allow_request_bytes
from egov.core.scoping import visible_to
from egov.org.models import Agency

from ..models import Collector, LineStatus, StatementImport, StatementLine
from ..scopes import may_see_evidence
from ..services import statements as service

MB = 1024 * 1024
ACCEPT = ".csv,.xlsx,.xml,text/csv,application/xml"
SHOWN_LINES = 200
SHOWN_IMPORTS = 20


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Tệp sao kê",
        error_messages={
            "required": "Chọn tệp sao kê cần nhập.",
            "empty": "Tệp sao kê trống.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            "CSV hoặc XLSX tải từ ngân hàng điện tử (có các cột Ngày giao dịch, Số tiền ghi có, "
            "Nội dung, Số tham chiếu), hoặc CAMT.053 (XML, ISO 20022); tối đa "
            f"{service.max_statement_bytes() // MB} MB, {service.max_statement_lines():,} "
            "dòng.".replace(",", ".")
        )


def _request_bytes() -> int:
    return service.max_statement_bytes() + MB


def _desk(request: HttpRequest) -> tuple[Actor, Agency]:
    """The signed-in accountant or leader and their agency, else 403 (also the check behind
    any link to the page)."""
    actor = actor_from_request(request)
    if actor.kind != "official" or len(actor.agency_ids) != 1 or not may_see_evidence(actor):
        raise PermissionDenied("Chỉ kế toán và lãnh đạo cơ quan được xem sao kê ngân hàng.")
    (agency_id,) = actor.agency_ids
    return actor, Agency.objects.get(pk=agency_id)


def _page(
    request: HttpRequest,
    actor: Actor,
    agency: Agency,
    *,
    form: UploadForm | None = None,
    line_error: tuple[int, str, str, dict[str, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    imports = (
        visible_to(actor, StatementImport.objects.filter(agency=agency))
        .select_related("uploaded_by", "uploaded_by_client")
        .order_by("-uploaded_at", "-pk")[:SHOWN_IMPORTS]
    )
    unmatched = visible_to(
        actor, StatementLine.objects.filter(agency=agency, status=LineStatus.UNMATCHED)
    ).order_by("-booked_at", "-pk")
    lines = list(unmatched[:SHOWN_LINES])
    may_act = service.may_resolve(actor, agency.pk)
    return render(
        request,
        "payments/statements/index.html",
        {
            "agency": agency,
            "collector": Collector.objects.filter(agency=agency).first(),
            "form": form or UploadForm(),
            "may_import": service.may_import(actor, agency.pk),
            "may_resolve": may_act,
            "imports": imports,
            "lines": lines,
            "unmatched_total": unmatched.count() if len(lines) == SHOWN_LINES else len(lines),
            "shown_lines": SHOWN_LINES,
            "line_error": line_error,
            "accept": ACCEPT,
        },
        status=status,
    )


@allow_request_bytes(_request_bytes)
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def statements(request: HttpRequest) -> HttpResponse:
    actor, agency = _desk(request)
    if request.method != "POST":
        return _page(request, actor, agency)
    if not service.may_import(actor, agency.pk):
        raise PermissionDenied("Chỉ kế toán của cơ quan được nhập sao kê ngân hàng.")
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, actor, agency, form=form, status=400)
    try:
        imported = service.import_statement(
            actor=actor, agency=agency, upload=form.cleaned_data["file"]
        )
    except DomainError as exc:
        problems = exc.fields.get("file") or [exc.message]
        if exc.message not in problems:
            form.add_error("file", exc.message)
        for problem in problems[:10]:
            form.add_error("file", str(problem))
        return _page(request, actor, agency, form=form, status=400)
    skipped = getattr(imported, "skipped", 0)
    messages.success(
        request,
        f"Đã nhập sao kê “{imported.filename}”: {imported.line_count} dòng ghi có mới, "
        f"{imported.matched_count} dòng khớp tự động với khoản thanh toán"
        + (f", {skipped} dòng đã nhập trước đó được bỏ qua" if skipped else "")
        + ".",
    )
    return redirect(reverse("payments:statements"))


@login_required
@require_POST
def statement_line(request: HttpRequest, pk: int) -> HttpResponse:
    actor, agency = _desk(request)
    line = visible_to(actor, StatementLine.objects.filter(agency=agency)).filter(pk=pk).first()
    if line is None:
        raise Http404("Không tìm thấy dòng sao kê.")
    if not service.may_resolve(actor, agency.pk):
        raise PermissionDenied("Chỉ kế toán của cơ quan được đối chiếu sao kê.")
    action = request.POST.get("hanh_dong", "")
    reference = str(request.POST.get("ma_tham_chieu", "")).strip()
    note = str(request.POST.get("ghi_chu", ""))
    if action not in ("khop", "bo_qua"):
        raise Http404
    if action == "khop" and not reference:
        message = "Nhập mã tham chiếu của lần thanh toán VietQR cần khớp."
        return _page(
            request,
            actor,
            agency,
            line_error=(line.pk, action, message, {"ma_tham_chieu": reference, "ghi_chu": note}),
            status=400,
        )
    try:
        resolved = service.resolve_line(
            actor=actor,
            line_id=line.pk,
            attempt_reference=reference if action == "khop" else None,
            note=note,
        )
    except DomainError as exc:
        return _page(
            request,
            actor,
            agency,
            line_error=(
                line.pk,
                action,
                exc.message,
                {"ma_tham_chieu": reference, "ghi_chu": note},
            ),
            status=409 if exc.http_status == 409 else 400,
        )
    if resolved.status == LineStatus.MATCHED and resolved.attempt is not None:
        messages.success(
            request,
            f"Đã khớp dòng {resolved.bank_reference} với lần thanh toán "
            f"{resolved.attempt.reference}: khoản thanh toán đã được ghi nhận.",
        )
    else:
        messages.success(request, f"Đã bỏ qua dòng {resolved.bank_reference}.")
    return redirect(reverse("payments:statements"))


urlpatterns: list[URLPattern | URLResolver] = [
    path("sao-ke/", statements, name="statements"),
    path("sao-ke/dong/<int:pk>/", statement_line, name="statement_line"),
]
