"""What every meetings page needs: the signed-in official (officials only; the second factor is
enforced for them by the accounts middleware) and a meeting they may see (else 404, so a
refusal never tells that a meeting exists)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from egov.core.actors import Actor, actor_from_request
from egov.core.scoping import visible_to
from egov.org.models import Official

from ..access import meeting_roles
from ..models import Consultation, Meeting


def meetings_official(request: Any) -> tuple[Official, Actor]:
    """The signed-in official and their actor, else PermissionDenied (also the check of the
    header's "Họp" link)."""
    user: Any = request.user
    if getattr(user, "kind", "") != "official":
        raise PermissionDenied("Chỉ công chức được vào trang họp.")
    # The rows the request's actor loaded (one load per request, not one per header area).
    actor = actor_from_request(request)
    official = getattr(user, "_egov_official", None) or Official.of_user(user.pk)
    if official is None:
        raise PermissionDenied("Tài khoản chưa gắn với cơ quan.")
    return official, actor


def meeting_for(request: Any, pk: int) -> tuple[Meeting, Official, Actor, frozenset[str]]:
    """The meeting `pk` if the official may see it, with their roles in it (access.py)."""
    official, actor = meetings_official(request)
    meeting = (
        visible_to(actor, Meeting.objects.select_related("agency", "chair__user", "rule"))
        .filter(pk=pk)
        .first()
    )
    if meeting is None:
        raise Http404("Không tìm thấy cuộc họp.")
    return meeting, official, actor, meeting_roles(official, meeting)


def consultation_for(request: Any, pk: int) -> tuple[Consultation, Official, Actor]:
    official, actor = meetings_official(request)
    consultation = (
        visible_to(actor, Consultation.objects.select_related("agency", "chair__user"))
        .filter(pk=pk)
        .first()
    )
    if consultation is None:
        raise Http404("Không tìm thấy phiếu lấy ý kiến.")
    return consultation, official, actor
