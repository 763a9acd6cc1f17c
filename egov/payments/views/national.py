"""Pages: national (routes in `urlpatterns`, collected by payments/urls.py).

- `national_callback`: where the national payment platform POSTs its CONFIRM (UrlThongBao). No
  login and no CSRF token (the platform is not a browser): the message is authenticated by its
  MaXacThuc (services/national.py). Bounded in size and rate per address; every message within
  the bounds is kept raw.
- `national_return`: where the platform sends the applicant back (UrlTraVe). It shows the
  attempt's state as we know it from the callback (never from the query string the platform
  appends), and polls with htmx until the callback lands.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from egov.core import ratelimit
from egov.core.actors import actor_from_request
from egov.core.clientip import client_ip, rate_limit_key
from egov.core.scoping import visible_to

from .. import national
from ..models import Attempt, AttemptStatus, PaymentStatus
from ..services import national as services

POLL_SECONDS = 3
# htmx stops polling on this status.
HTMX_STOP_POLLING = 286


def _json(answer: dict[str, Any], status: int) -> JsonResponse:
    return JsonResponse(answer, status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def callback(request: HttpRequest) -> HttpResponse:
    limit = int(getattr(settings, "PAYMENT_CALLBACK_RATE_LIMIT_PER_MINUTE", 3000))
    if not ratelimit.hit(
        f"payments-national-callback:{rate_limit_key(request)}", limit=limit, window_seconds=60
    ):
        return _json(national.answer(national.Answer.NOT_PROCESSED), 429)
    bound = int(getattr(settings, "PAYMENT_CALLBACK_MAX_BYTES", 16384))
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    too_large = {"MaLoi": national.Answer.MALFORMED, "MoTa": "Bản tin quá lớn."}
    if declared > bound:
        return _json(too_large, 413)
    body = request.read(bound + 1)
    if len(body) > bound:
        return _json(too_large, 413)
    status, answer = services.handle_callback(body, dict(request.headers), client_ip(request))
    return _json(answer, status)


def _reverse(name: str, *args: Any) -> str:
    """A page of another area or app, if this checkout has it."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _state(attempt: Attempt) -> str:
    """What the applicant is told: paid, failed, abandoned, or waiting."""
    payment = attempt.payment
    if attempt.status == AttemptStatus.SUCCEEDED or (
        attempt.status in services.OPEN_STATES and payment.status == PaymentStatus.PAID
    ):
        return "paid"
    if attempt.status == AttemptStatus.FAILED:
        return "failed"
    if attempt.status == AttemptStatus.ABANDONED:
        return "abandoned"
    return "waiting"


@never_cache
@require_GET
@login_required
def return_page(request: HttpRequest, reference: str) -> HttpResponse:
    actor = actor_from_request(request)
    attempt = (
        visible_to(actor, Attempt.objects.select_related("payment__dossier__procedure"))
        .filter(reference=reference, provider=services.PROVIDER)
        .first()
    )
    if attempt is None:
        raise Http404("Không tìm thấy lần thanh toán.")
    payment = attempt.payment
    dossier = payment.dossier
    state = _state(attempt)
    partial = request.GET.get("partial") == "state"
    if state == "waiting" and not partial:
        services.query_soon(attempt)  # no callback soon after the applicant came back: ask
    if actor.kind in ("citizen", "business"):
        dossier_url = _reverse("portal:my_dossier", dossier.code)
    else:
        dossier_url = _reverse("onestop:dossier", dossier.code)
    context = {
        "attempt": attempt,
        "payment": payment,
        "dossier": dossier,
        "state": state,
        "dossier_url": dossier_url,
        "retry_url": _reverse("payments:checkout", payment.code)
        if payment.status == PaymentStatus.DUE
        else "",
        "poll_seconds": POLL_SECONDS,
    }
    if partial:
        response = render(request, "payments/national/_return_state.html", context)
        if state != "waiting":
            response.status_code = HTMX_STOP_POLLING
        return response
    return render(request, "payments/national/return.html", context)


urlpatterns = [
    path("quoc-gia/thong-bao/", callback, name="national_callback"),
    path("quoc-gia/ket-qua/<str:reference>/", return_page, name="national_return"),
]
