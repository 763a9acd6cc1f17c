"""Pages: vietqr — the QR image of a VietQR attempt (`payments:qr`, `<reference>/qr.png`).

The image carries the collector's account, the amount and the attempt's reference: it is shown
only to who may see the payment (scopes.py: the applicant, the collecting agency's officials,
operators); anyone else, anonymous included, gets "not found". An attempt's payload never
changes, so the browser may keep the image, but only in its own cache (private).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path
from django.views.decorators.http import require_safe

from egov.core.actors import actor_from_request
from egov.core.scoping import visible_to

from ..models import Attempt
from ..vietqr import qr_png


@require_safe
def qr(request: HttpRequest, reference: str) -> HttpResponse:
    actor = actor_from_request(request)
    attempt = (
        visible_to(actor, Attempt.objects.all())
        .filter(reference=reference[:40], provider="vietqr")
        .exclude(qr_payload="")
        .only("qr_payload")
        .first()
    )
    if attempt is None:
        raise Http404("Không tìm thấy mã QR.")
    response = HttpResponse(qr_png(attempt.qr_payload), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    response["Vary"] = "Cookie"
    return response


urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:reference>/qr.png", qr, name="qr"),
]
