"""Who may open the documents pages: an official attached to an agency."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from egov.core.actors import Actor, actor_for_user
from egov.org.models import Official


def documents_official(request: Any) -> tuple[Official, Actor]:
    """The signed-in official and their actor, else PermissionDenied: the check of the documents
    pages (and of the header's "Văn bản" link)."""
    user: Any = request.user
    if getattr(user, "kind", "") != "official":
        raise PermissionDenied("Chỉ công chức được vào trang văn bản.")
    official = Official.of_user(user.pk)
    if official is None:
        raise PermissionDenied("Tài khoản chưa gắn với cơ quan.")
    return official, actor_for_user(user)
