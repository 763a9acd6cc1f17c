"""Answering the usual API read before DRF, with the bytes DRF would write.

DRF's request wrapping, authentication loop, content negotiation and renderer cost ~0.3 ms a
request, a tenth of the hottest reads' CPU (issue #19). A view whose usual request is a plain
read may answer it in `dispatch` when `plain_session_read` says DRF would have let it through:
a GET with no Authorization header (so DRF's token authentication would pass and its session
authentication would take the session's user), an active signed-in user, an Accept header that
DRF negotiates to JSON, only the query parameters the view names, and every one of the view's
own permission classes granting it. Authorisation stays the view's permission classes: they are
asked here, with the same request, and anything they refuse or raise goes to DRF, which asks
them again and answers the refusal as everywhere else. Everything else goes to DRF unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

# Media ranges DRF negotiates to its JSON renderer (the first of the default renderers); any
# parameter (`indent=4`, a quality) or another type goes to DRF's negotiation.
JSON_RANGES = frozenset({"application/json", "application/*", "*/*"})


def accepts_plain_json(request: Any) -> bool:
    accept = request.META.get("HTTP_ACCEPT", "")
    if not accept.strip():
        return True
    return all(part.strip() in JSON_RANGES for part in accept.split(","))


def plain_session_read(request: Any, view: Any, params: Collection[str] = ()) -> bool:
    """True when DRF would authenticate `request` by its session, answer it in JSON and let the
    view's permission classes grant it; the view may then answer without DRF."""
    if request.method != "GET" or "HTTP_AUTHORIZATION" in request.META:
        return False
    if any(name not in params for name in request.GET):
        return False  # `format` and anything unknown are DRF's to judge
    if not accepts_plain_json(request):
        return False
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    try:
        return all(
            permission().has_permission(request, view) for permission in view.permission_classes
        )
    except Exception:  # a refusal, raised: DRF asks again and answers it
        return False


def json_response(data: Any, view: Any, status: int = 200) -> HttpResponse:
    """As DRF's JSONRenderer writes it (UNICODE_JSON, COMPACT_JSON), with the headers DRF's
    view adds (Allow, and Vary because the view has more than one renderer)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)
    response = HttpResponse(text.encode(), status=status, content_type="application/json")
    response["Vary"] = "Accept"
    response["Allow"] = ", ".join(view.allowed_methods)
    return response
