"""The official behind a request, loaded once per request for the views and the API."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from egov.core.actors import actor_from_request
from egov.core.errors import DomainError
from egov.org.models import Official

from . import services


def official_for_request(request: Any) -> Official:
    """The signed-in official with agency, unit, user and roles (NotAllowed otherwise). Reuses
    the rows actor_for_user loaded for this request's user."""
    actor = actor_from_request(request)
    official = getattr(request.user, "_egov_official", None) if actor.kind == "official" else None
    return official if official is not None else services.official_of(actor)


def queue_official(request: Any) -> Official:
    """The official the one-stop pages serve, else PermissionDenied: the check of the queue and
    of the officials' one-stop pages (and of the header's "Một cửa" link)."""
    if getattr(request.user, "kind", "") != "official":
        raise PermissionDenied("Chỉ công chức được vào trang Một cửa điện tử.")
    try:
        return official_for_request(request)
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
