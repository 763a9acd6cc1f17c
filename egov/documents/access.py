"""Who may open the documents pages: an official attached to an agency."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from egov.core.actors import Actor, actor_from_request
from egov.org.models import Official


def documents_official(request: Any) -> tuple[Official, Actor]:
    """The signed-in official and their actor, else PermissionDenied: the check of the documents
    pages (and of the header's "Văn bản" link)."""
    user: Any = request.user
    if getattr(user, "kind", "") != "official":
        raise PermissionDenied("Chỉ công chức được vào trang văn bản.")
    # The rows the request's actor loaded (one load per request, not one per header area).
    actor = actor_from_request(request)
    official = getattr(user, "_egov_official", None) or Official.of_user(user.pk)
    if official is None:
        raise PermissionDenied("Tài khoản chưa gắn với cơ quan.")
    return official, actor
