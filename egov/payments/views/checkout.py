"""The applicant pays (mounted under /thanh-toan/, collected by payments/urls.py):

- `payments:checkout` (`<payment code>/`): what is due and why (the fee lines, an exemption on
  its line), the providers offered as radio buttons, "Thanh toán";
- `payments:attempt` (`<payment code>/lan/<reference>/`): the attempt started. The national
  platform's: a waiting page polled by htmx (204 while nothing changed) that sends the browser to
  the platform's page as soon as its INIT reply stored it, or says it failed, with "Thử lại".
  VietQR's: the QR with the bank, account, amount and the exact transfer content to type.

Who may see a payment is scopes.py's answer (services.attempts.visible_payment): the dossier's
applicant, the collecting agency's and the receiving desk's officials, operators; anyone else
gets 404. Who may start paying is services.attempts.start's.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, URLResolver, path, reverse
from django.utils.safestring import mark_safe
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from egov.core.actors import Actor, actor_from_request
from egov.core.errors import DomainError, NotFoundError
from egov.dossiers.fees import shown_lines

from .. import (
    converters,  # noqa: F401  (payment_code in the routes)
    providers,
)
from ..models import Attempt, AttemptStatus, Payment, PaymentStatus
from ..services import attempts
from ..vietqr import qr_svg

# How often the attempt page asks whether anything changed: the platform's INIT reply comes in
# seconds; a bank transfer is confirmed when the statement is reconciled, much later.
POLL_SECONDS = {"national": 2}
POLL_SECONDS_DEFAULT = 15


class ProviderForm(forms.Form):
    provider = forms.ChoiceField(
        label="Chọn hình thức thanh toán",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Chọn một hình thức thanh toán.",
            "invalid_choice": "Chọn một hình thức thanh toán trong danh sách.",
        },
    )

    def __init__(self, *args: Any, offered: list[providers.Provider], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["provider"]
        field.choices = [(p.code, p.label) for p in offered]
        if len(offered) == 1:
            field.initial = offered[0].code
        self.descriptions = {p.code: p.description for p in offered}


def _actor(request: HttpRequest) -> Actor:
    return actor_from_request(request)


def _payment(actor: Actor, code: str) -> Payment:
    try:
        return attempts.visible_payment(actor, code)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc


def _offered(actor: Actor, payment: Payment) -> list[providers.Provider]:
    """Offered on this page: online providers; the desk records cash on its own page."""
    if payment.status != PaymentStatus.DUE:
        return []
    return [p for p in attempts.offered(actor, payment) if p.online]


def payment_context(payment: Payment) -> dict[str, Any]:
    """What every payments page shows of a payment: its dossier, its lines and who paid how."""
    lines = payment.lines or shown_lines(payment.dossier)
    provider = providers.get(payment.paid_provider) if payment.paid_provider else None
    return {
        "payment": payment,
        "dossier": payment.dossier,
        "lines": lines,
        "paid_by": provider.label if provider else payment.paid_provider,
        "receipt_url": _receipt_url(payment),
    }


def _receipt_url(payment: Payment) -> str:
    """The electronic receipt's page, once issued (the receipts area's route)."""
    receipt = getattr(payment, "receipt", None) if payment.status != PaymentStatus.DUE else None
    if receipt is None:
        return ""
    try:
        return reverse("payments:receipt", args=[receipt.uid])
    except NoReverseMatch:
        return ""


@login_required
def checkout(request: HttpRequest, code: str) -> HttpResponse:
    """What is due, and the choice of how to pay it."""
    actor = _actor(request)
    payment = _payment(actor, code)
    offered = _offered(actor, payment)
    form = ProviderForm(request.POST if request.method == "POST" else None, offered=offered)
    if request.method == "POST" and payment.status == PaymentStatus.DUE and form.is_valid():
        try:
            attempt = attempts.start(
                actor=actor, payment=payment.code, provider=form.cleaned_data["provider"]
            )
        except DomainError as exc:
            form.add_error("provider" if "provider" in exc.fields else None, exc.message)
        else:
            return redirect("payments:attempt", payment.code, attempt.reference)
        payment.refresh_from_db()
    errors = [("", str(e)) for e in form.non_field_errors()] + [
        ("id_provider_0", str(e)) for e in form.errors.get("provider", [])
    ]
    unfinished = (
        payment.attempts.filter(status=AttemptStatus.OPEN).order_by("-created_at").first()
        if payment.status == PaymentStatus.DUE
        else None
    )
    return render(
        request,
        "payments/checkout.html",
        {
            **payment_context(payment),
            "form": form,
            "offered": offered,
            "errors": errors,
            "unfinished": unfinished,
            "desk": attempts.is_desk(actor),
        },
    )


def _token(payment: Payment, attempt: Attempt) -> str:
    """What the open page shows: the poll answers 204 while it is unchanged."""
    return f"{payment.status}.{attempt.status}.{int(bool(attempt.redirect_url))}"


def _goes_to_platform(payment: Payment, attempt: Attempt) -> bool:
    return (
        bool(attempt.redirect_url)
        and attempt.status == AttemptStatus.OPEN
        and payment.status == PaymentStatus.DUE
    )


def _qr(attempt: Attempt) -> tuple[str, str]:
    """(inline SVG, image address) of the attempt's VietQR code; ("", "") before the QR
    exists."""
    if not attempt.qr_payload:
        return "", ""
    return mark_safe(qr_svg(attempt.qr_payload)), ""  # noqa: S308 - our own SVG


@login_required
def attempt_page(request: HttpRequest, code: str, reference: str) -> HttpResponse:
    actor = _actor(request)
    payment = _payment(actor, code)
    attempt = payment.attempts.filter(reference=reference).first()
    if attempt is None:
        raise Http404("Không tìm thấy lần thanh toán.")
    token = _token(payment, attempt)
    if request.GET.get("partial"):
        if _goes_to_platform(payment, attempt):
            return HttpResponseClientRedirect(attempt.redirect_url)
        if request.GET.get("seen") == token:
            return HttpResponse(status=204)
        return HttpResponseClientRefresh()
    provider = providers.get(attempt.provider)
    svg, image = _qr(attempt)
    polling = payment.status == PaymentStatus.DUE and attempt.status in (
        AttemptStatus.CREATED,
        AttemptStatus.OPEN,
    )
    return render(
        request,
        "payments/attempt.html",
        {
            **payment_context(payment),
            "attempt": attempt,
            "provider": provider,
            "provider_label": provider.label if provider else attempt.provider,
            "collector": attempts.collector_of(payment),
            "qr_svg": svg,
            "qr_image": image,
            "token": token,
            "poll_seconds": POLL_SECONDS.get(attempt.provider, POLL_SECONDS_DEFAULT)
            if polling
            else None,
            "goes_to_platform": _goes_to_platform(payment, attempt),
            "attempt_minutes": settings.PAYMENT_ATTEMPT_MINUTES,
        },
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("<payment_code:code>/", checkout, name="checkout"),
    path("<payment_code:code>/lan/<slug:reference>/", attempt_page, name="attempt"),
]
