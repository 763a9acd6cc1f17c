"""The one-stop desk takes cash (mounted under /thanh-toan/): `payments:desk`
(`quay/<payment code>/`) shows what the applicant owes and records the cash the receiver took
(services/cash.py); `payments:desk_for_dossier` (`quay/ho-so/<dossier code>/`) is where the
one-stop dossier page's "Thu tiền mặt" leads (the one-stop app cannot know payment codes): the
dossier's payment still due.

Only receivers who see the payment (scopes.py: the collecting agency's desk, or the desk that
received the dossier) reach these pages; anyone else gets 404, or 403 when not an official.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path

from egov.core.actors import Actor, actor_from_request
from egov.core.errors import DomainError, NotFoundError
from egov.core.scoping import visible_to

from ..models import Payment, PaymentStatus
from ..services import attempts
from ..services.cash import record_cash
from .checkout import payment_context

# A fee is far below this; the bound keeps the form from parsing absurd numbers.
MAX_CASH = 10**12


class CashForm(forms.Form):
    amount = forms.IntegerField(
        label="Số tiền đã nhận (đồng)",
        min_value=1,
        max_value=MAX_CASH,
        help_text="Nhập đúng số tiền phải nộp, không có dấu chấm.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "narrow"}),
        error_messages={
            "required": "Nhập số tiền đã nhận.",
            "invalid": "Số tiền phải là số nguyên (đồng).",
            "min_value": "Số tiền phải lớn hơn 0.",
            "max_value": "Số tiền quá lớn.",
        },
    )
    confirm = forms.BooleanField(
        label="Tôi đã nhận đủ số tiền mặt trên từ người nộp",
        error_messages={"required": "Xác nhận đã nhận đủ tiền mặt."},
    )


def _desk_actor(request: HttpRequest) -> Actor:
    actor = actor_from_request(request)
    if not attempts.is_desk(actor):
        raise PermissionDenied("Chỉ cán bộ tiếp nhận Một cửa được thu tiền mặt.")
    return actor


@login_required
def desk(request: HttpRequest, code: str) -> HttpResponse:
    actor = _desk_actor(request)
    try:
        payment = attempts.visible_payment(actor, code)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    form = CashForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            record_cash(actor=actor, payment=payment.code, amount=form.cleaned_data["amount"])
        except DomainError as exc:
            for name, errs in exc.fields.items():
                for err in errs:
                    form.add_error(name if name in form.fields else None, err)
            if not exc.fields:
                form.add_error(None, exc.message)
            payment.refresh_from_db()
        else:
            messages.success(
                request,
                f"Đã ghi nhận thu tiền mặt {payment.amount:,} đồng cho hồ sơ "
                f"{payment.dossier.code}. Biên lai điện tử được lập và gửi người nộp.".replace(
                    ",", "."
                ),
            )
            return redirect("payments:desk", payment.code)
    errors = [("", str(e)) for e in form.non_field_errors()] + [
        (form[name].auto_id, str(e)) for name in form.fields for e in form.errors.get(name, [])
    ]
    context: dict[str, Any] = {**payment_context(payment), "form": form, "errors": errors}
    return render(request, "payments/desk.html", context)


@login_required
def desk_for_dossier(request: HttpRequest, dossier: str) -> HttpResponse:
    actor = _desk_actor(request)
    payments = visible_to(actor, Payment.objects.filter(dossier__code=dossier))
    due = payments.filter(status=PaymentStatus.DUE).order_by("created_at", "pk").first()
    if due is not None:
        return redirect("payments:desk", due.code)
    latest = payments.order_by("-created_at", "-pk").first()
    if latest is not None:
        return redirect("payments:desk", latest.code)
    messages.info(request, "Hồ sơ không có khoản phí, lệ phí nào phải thu.")
    return redirect("onestop:dossier", dossier)


urlpatterns: list[URLPattern | URLResolver] = [
    path("quay/ho-so/<str:dossier>/", desk_for_dossier, name="desk_for_dossier"),
    path("quay/<payment_code:code>/", desk, name="desk"),
]
