"""Pages: accounting (routes in `urlpatterns`, collected by payments/urls.py).

- `payments:reconciliation` (/thanh-toan/doi-soat/): one agency's day, per provider, with the
  unmatched bank lines and the refused callbacks; `payments:reconciliation_xlsx` the same as a
  workbook. For the agency's accountants and leaders, and operators (who pick the agency).
- `payments:refunds` (/thanh-toan/hoan-tra/): the agency's refunds by state and the payments a
  refund may be asked for; `payments:refund_request` asks (accountants, one-stop receivers);
  `payments:refund` shows one refund with what the person may do to it (a leader approves or
  rejects, the accountant confirms the payout).

Anyone else gets 403 (the page) or 404 (a refund or payment of another agency: a refusal never
tells that it exists). Views change nothing themselves: each action is one service of
services/refunds.py, whose DomainError is shown in Vietnamese (an error summary, the message on
its field), and nothing changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from egov.core.actors import Actor, actor_from_request
from egov.core.api_query import MAX_YEAR, MIN_YEAR
from egov.core.errors import DomainError
from egov.core.ids import parse_id
from egov.core.scoping import visible_to
from egov.dossiers.models import Status
from egov.org.models import Agency, Official, Role

from .. import reconciliation
from ..models import Collector, Payment, PaymentStatus, Refund, RefundStatus
from ..services import refunds as svc

LIST_LIMIT = 200
BOOKKEEPERS = frozenset({Role.ACCOUNTANT, Role.LEADER})
REFUND_PEOPLE = frozenset({Role.ACCOUNTANT, Role.LEADER, Role.RECEIVER})
ENDED = (Status.REFUSED, Status.WITHDRAWAL_REQUESTED, Status.STOPPED)


# --- who is asking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Desk:
    """The person at an accounting page: their actor, their official record (None for an
    operator) and the agency they work on."""

    actor: Actor
    official: Official | None
    agency: Agency

    def has(self, role: str) -> bool:
        return self.official is not None and self.official.has_role(role)


def _official(request: HttpRequest) -> Official | None:
    user: Any = request.user
    if getattr(user, "kind", "") != "official":
        return None
    return getattr(user, "_egov_official", None) or Official.of_user(user.pk)


def _operator_agency(request: HttpRequest) -> Agency:
    """The agency an operator looks at (?agency=<id>): any; by default the first that
    collects."""
    wanted = parse_id(request.GET.get("agency") or request.POST.get("agency"))
    if wanted:
        found = Agency.objects.filter(pk=wanted).first()
        if found is None:
            raise Http404("Không tìm thấy cơ quan.")
        return found
    first = Collector.objects.select_related("agency").order_by("agency__name").first()
    if first is not None:
        return first.agency
    any_agency = Agency.objects.order_by("name").first()
    if any_agency is None:
        raise Http404("Chưa có cơ quan.")
    return any_agency


def _person(request: HttpRequest, roles: frozenset[str]) -> tuple[Actor, Official | None]:
    """An operator (no official record), or an official holding one of `roles`; else
    PermissionDenied. Also the header's check (egov.payments.navigation)."""
    actor = actor_from_request(request)
    if actor.kind == "operator":
        return actor, None
    official = _official(request)
    if official is None or not (official.role_codes & roles):
        raise PermissionDenied(
            "Trang này dành cho kế toán, lãnh đạo cơ quan và quản trị hệ thống."
            if roles == BOOKKEEPERS
            else "Trang này dành cho kế toán, lãnh đạo và cán bộ Một cửa của cơ quan."
        )
    return actor, official


def desk_for(request: HttpRequest, roles: frozenset[str]) -> Desk:
    """The person and the agency they work on: an official's own (asking for another one is not
    found), or the one an operator picks."""
    actor, official = _person(request, roles)
    if official is None:
        return Desk(actor, None, _operator_agency(request))
    asked = request.GET.get("agency")
    if asked and parse_id(asked) != official.agency_id:
        raise Http404("Không tìm thấy cơ quan.")
    return Desk(actor, official, official.agency)


def may_reconcile(request: HttpRequest) -> object:
    return _person(request, BOOKKEEPERS)


def may_handle_refunds(request: HttpRequest) -> object:
    return _person(request, REFUND_PEOPLE)


# --- errors (GOV.UK error summary) ------------------------------------------------------------


def _put_errors(exc: DomainError, form: forms.Form) -> list[tuple[str, str]]:
    rest: list[tuple[str, str]] = []
    for name, errors in exc.fields.items():
        for error in errors if isinstance(errors, list) else [errors]:
            if name in form.fields:
                form.add_error(name, str(error))
            else:
                rest.append(("", str(error)))
    if not exc.fields or not (set(exc.fields) & set(form.fields)):
        rest.append(("", exc.message))
    return rest


def _summary(form: forms.Form | None, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if form is not None and form.is_bound:
        for name, errors in form.errors.items():
            anchor = form[name].id_for_label if name in form.fields else ""
            found += [(anchor, str(e)) for e in errors]
    # A service error shown on a field is already in the list once.
    return list(dict.fromkeys([*found, *extra]))


def _url(name: str) -> str:
    """A page of another area, when this installation routes it."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


# --- reconciliation ------------------------------------------------------------------------------

DAY_ERROR = "Ngày không hợp lệ: chọn ngày theo dạng ngày/tháng/năm."


def _day(raw: str | None) -> tuple[date, str]:
    today = timezone.localdate()
    if not raw:
        return today, ""
    try:
        day = date.fromisoformat(raw.strip()[:10])
    except ValueError:
        return today, DAY_ERROR
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        return today, DAY_ERROR
    return day, ""


def _provider(raw: str | None, choices: list[tuple[str, str]]) -> tuple[str | None, str]:
    if not raw:
        return None, ""
    if raw in {code for code, _label in choices}:
        return raw, ""
    return None, "Hình thức thanh toán không có trong danh sách."


def _report_request(request: HttpRequest) -> tuple[Desk, reconciliation.Report, list[str], Any]:
    desk = desk_for(request, BOOKKEEPERS)
    day, day_error = _day(request.GET.get("ngay"))
    choices = reconciliation.providers_of(desk.agency)
    provider, provider_error = _provider(request.GET.get("hinh_thuc"), choices)
    report = reconciliation.daily(agency=desk.agency, day=day, provider=provider)
    errors = [e for e in (day_error, provider_error) if e]
    return desk, report, errors, choices


def _query(desk: Desk, report: reconciliation.Report) -> str:
    from urllib.parse import urlencode

    params = {"ngay": report.day.isoformat()}
    if report.provider:
        params["hinh_thuc"] = report.provider
    if desk.official is None:
        params["agency"] = str(desk.agency.pk)
    return urlencode(params)


@login_required
@require_GET
def reconciliation_page(request: HttpRequest) -> HttpResponse:
    desk, report, errors, choices = _report_request(request)
    agencies = None
    if desk.official is None:
        agencies = list(
            Agency.objects.filter(pk__in=Collector.objects.values("agency_id")).order_by("name")[
                :LIST_LIMIT
            ]
        )
        if desk.agency not in agencies:
            agencies.insert(0, desk.agency)
    anchors = {"ngay": "id_ngay", "hinh_thuc": "id_hinh_thuc"}
    return render(
        request,
        "payments/accounting/reconciliation.html",
        {
            "desk": desk,
            "report": report,
            "totals": report.totals,
            "providers": choices,
            "agencies": agencies,
            "errors": [
                (anchors["ngay"] if "Ngày" in e else anchors["hinh_thuc"], e) for e in errors
            ],
            "query": _query(desk, report),
            "evidence_labels": reconciliation.EVIDENCE_LABELS,
            "today": timezone.localdate(),
            "statements_url": _url("payments:statements") if desk.official else "",
        },
    )


@login_required
@require_GET
def reconciliation_xlsx(request: HttpRequest) -> HttpResponse:
    desk, report, _errors, _choices = _report_request(request)
    response = HttpResponse(
        reconciliation.xlsx(report),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"doi-soat-{desk.agency.identifier}-{report.day.isoformat()}.xlsx"
    response["Content-Disposition"] = (
        f'attachment; filename="{re.sub(r"[^A-Za-z0-9._-]", "_", name)}"'
    )
    return response


# --- refunds -------------------------------------------------------------------------------------

TABS = [
    ("cho-duyet", "Chờ phê duyệt", Q(status=RefundStatus.REQUESTED)),
    ("cho-chi", "Đã duyệt, chờ chi trả", Q(status=RefundStatus.APPROVED)),
    ("da-hoan", "Đã hoàn trả", Q(status=RefundStatus.PAID)),
    ("khong-duyet", "Không phê duyệt", Q(status=RefundStatus.REJECTED)),
]
CANDIDATES_TAB = ("co-the-de-nghi", "Có thể đề nghị hoàn trả")


def _refund_rows(desk: Desk) -> Any:
    return visible_to(
        desk.actor,
        Refund.objects.filter(payment__agency=desk.agency).select_related(
            "payment__dossier", "requested_by", "decided_by"
        ),
    )


def _candidates(desk: Desk) -> list[tuple[Payment, svc.Allowance]]:
    """Paid payments of dossiers that ended, that a rule lets be refunded now."""
    rows = visible_to(
        desk.actor,
        Payment.objects.filter(
            agency=desk.agency, status=PaymentStatus.PAID, dossier__status__in=ENDED
        ).select_related("dossier__procedure"),
    ).order_by("-paid_at", "-pk")[:LIST_LIMIT]
    found = []
    for payment in rows:
        allowed = svc.allowance(payment)
        if allowed is not None:
            found.append((payment, allowed))
    return found


@login_required
@require_GET
def refunds_page(request: HttpRequest) -> HttpResponse:
    desk = desk_for(request, REFUND_PEOPLE)
    rows = _refund_rows(desk)
    counts = rows.aggregate(**{key.replace("-", "_"): Count("pk", filter=q) for key, _l, q in TABS})
    key = request.GET.get("tab", TABS[0][0])
    candidates = None
    if key == CANDIDATES_TAB[0]:
        candidates = _candidates(desk)
        listed: list[Refund] = []
    else:
        tab = next((t for t in TABS if t[0] == key), TABS[0])
        key = tab[0]
        listed = list(rows.filter(tab[2]).order_by("-created_at", "-pk")[:LIST_LIMIT])
    tabs = [(k, label, counts[k.replace("-", "_")]) for k, label, _q in TABS]
    tabs.append((*CANDIDATES_TAB, None))
    return render(
        request,
        "payments/accounting/refunds.html",
        {
            "desk": desk,
            "tabs": tabs,
            "tab": key,
            "tab_label": dict((k, label) for k, label, _c in tabs)[key],
            "refunds": listed,
            "candidates": candidates,
            "may_request": desk.has(Role.ACCOUNTANT) or desk.has(Role.RECEIVER),
            "reconciliation_url": (
                _url("payments:reconciliation")
                if desk.official is None or desk.official.role_codes & BOOKKEEPERS
                else ""
            ),
            "agency_query": f"agency={desk.agency.pk}" if desk.official is None else "",
        },
    )


class AmountField(forms.Field):
    """Whole đồng, as people type them ("200.000", "200 000" or "200000")."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "25"})

    def to_python(self, value: Any) -> int | None:
        text = re.sub(r"[.\s,]", "", str(value or ""))[:30]
        if not text:
            return None
        if not text.isdigit() or len(text) > 15:
            raise forms.ValidationError("Nhập số tiền bằng số, đơn vị đồng, ví dụ 200.000.")
        return int(text)


class RequestForm(forms.Form):
    amount = AmountField(label="Số tiền hoàn trả (đồng)")
    reason = forms.CharField(
        label="Lý do hoàn trả",
        max_length=svc.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    basis = forms.CharField(
        label="Căn cứ hoàn trả",
        max_length=svc.MAX_BASIS,
        required=False,
        help_text="Để trống: dùng căn cứ của quy định hoàn trả áp dụng.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DecisionForm(forms.Form):
    ACTIONS = [("approve", "Phê duyệt"), ("reject", "Không phê duyệt")]
    decision = forms.ChoiceField(label="Quyết định", choices=ACTIONS, widget=forms.RadioSelect)
    note = forms.CharField(
        label="Ý kiến (bắt buộc khi không phê duyệt)",
        max_length=svc.MAX_NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class PayoutForm(forms.Form):
    reference = forms.CharField(
        label="Chứng từ chi trả (số ủy nhiệm chi, phiếu chi)",
        max_length=svc.MAX_REFERENCE,
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def _payment_for(desk: Desk, code: str) -> Payment:
    found = (
        visible_to(desk.actor, Payment.objects.select_related("dossier__procedure", "agency"))
        .filter(code=code, agency=desk.agency)
        .first()
    )
    if found is None:
        raise Http404("Không tìm thấy khoản thanh toán.")
    return found


@login_required
@require_http_methods(["GET", "POST"])
def refund_request(request: HttpRequest, code: str) -> HttpResponse:
    desk = desk_for(request, REFUND_PEOPLE)
    if not (desk.has(Role.ACCOUNTANT) or desk.has(Role.RECEIVER)):
        raise PermissionDenied("Chỉ kế toán hoặc cán bộ Một cửa được đề nghị hoàn trả.")
    payment = _payment_for(desk, code)
    allowed = svc.allowance(payment)
    extra: list[tuple[str, str]] = []
    if request.method == "POST":
        form = RequestForm(request.POST)
        if form.is_valid():
            try:
                refund = svc.request_refund(
                    actor=desk.actor,
                    payment=payment.code,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    basis=form.cleaned_data["basis"],
                    version=form.cleaned_data["version"],
                )
            except DomainError as exc:
                extra = _put_errors(exc, form)
            else:
                messages.success(request, "Đã gửi đề nghị hoàn trả, chờ lãnh đạo phê duyệt.")
                return redirect("payments:refund", pk=refund.pk)
    else:
        form = RequestForm(
            initial={
                "amount": f"{allowed.amount:,}".replace(",", ".") if allowed else "",
                "version": payment.version,
            }
        )
    return render(
        request,
        "payments/accounting/refund_request.html",
        {
            "desk": desk,
            "payment": payment,
            "allowed": allowed,
            "form": form,
            "errors": _summary(form, extra),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def refund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    desk = desk_for(request, REFUND_PEOPLE)
    refund = (
        visible_to(desk.actor, Refund.objects.select_related("payment__dossier__procedure"))
        .filter(pk=pk)
        .first()
    )
    if refund is None:
        raise Http404("Không tìm thấy đề nghị hoàn trả.")
    may_decide = refund.status == RefundStatus.REQUESTED and desk.has(Role.LEADER)
    may_pay = refund.status == RefundStatus.APPROVED and desk.has(Role.ACCOUNTANT)
    decision = DecisionForm(initial={"version": refund.version}) if may_decide else None
    payout = PayoutForm(initial={"version": refund.version}) if may_pay else None
    extra: list[tuple[str, str]] = []
    if request.method == "POST":
        what = request.POST.get("form")
        try:
            if what == "decision" and may_decide:
                decision = DecisionForm(request.POST)
                if decision.is_valid():
                    data = decision.cleaned_data
                    if data["decision"] == "approve":
                        svc.approve(
                            actor=desk.actor,
                            refund=refund,
                            note=data["note"],
                            version=data["version"],
                        )
                        messages.success(request, "Đã phê duyệt hoàn trả.")
                    else:
                        svc.reject(
                            actor=desk.actor,
                            refund=refund,
                            note=data["note"],
                            version=data["version"],
                        )
                        messages.success(request, "Đã ghi nhận không phê duyệt hoàn trả.")
                    return redirect("payments:refund", pk=refund.pk)
            elif what == "payout" and may_pay:
                payout = PayoutForm(request.POST)
                if payout.is_valid():
                    svc.complete(
                        actor=desk.actor,
                        refund=refund,
                        reference=payout.cleaned_data["reference"],
                        version=payout.cleaned_data["version"],
                    )
                    messages.success(request, "Đã xác nhận chi trả khoản hoàn trả.")
                    return redirect("payments:refund", pk=refund.pk)
            else:
                raise PermissionDenied("Ông/bà không thực hiện được thao tác này.")
        except DomainError as exc:
            target = decision if what == "decision" else payout
            extra = _put_errors(exc, target) if target is not None else [("", exc.message)]
    form = decision if request.POST.get("form") == "decision" else payout
    return render(
        request,
        "payments/accounting/refund.html",
        {
            "desk": desk,
            "refund": refund,
            "payment": refund.payment,
            "decision": decision,
            "payout": payout,
            "errors": _summary(form, extra),
        },
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("doi-soat/", reconciliation_page, name="reconciliation"),
    path("doi-soat/tai-xuong.xlsx", reconciliation_xlsx, name="reconciliation_xlsx"),
    path("hoan-tra/", refunds_page, name="refunds"),
    path("hoan-tra/de-nghi/<str:code>/", refund_request, name="refund_request"),
    path("hoan-tra/<int:pk>/", refund_detail, name="refund"),
]
