"""The three front doors: the public portal, the officials' workspace, the administration."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from egov.core.actors import actor_for_user
from egov.core.errors import DomainError
from egov.core.scoping import visible_to
from egov.dossiers.services import event_title
from egov.events.catalogue import CATALOGUE
from egov.events.models import Event
from egov.org.models import Role

ONESTOP_ROLES = frozenset({Role.RECEIVER, Role.SPECIALIST, Role.UNIT_HEAD, Role.LEADER})


@login_required
def after_login(request: HttpRequest) -> HttpResponse:
    user = request.user
    if getattr(user, "kind", "") in ("official", "operator"):
        return redirect("web:workspace")
    return redirect("portal:home")


def _who(event: Event) -> str:
    """Who acted (the official), else to whom a step went (its assignee), else the actor."""
    declared = CATALOGUE.get(event.event_type)
    payload = declared.read(event.payload or {}) if declared else None
    # `official` is on every event an official records; `assignee` on step_started and assigned.
    official = getattr(payload, "official", "")
    assignee = getattr(payload, "assignee", "")
    return official or (f"→ {assignee}" if assignee else event.actor_label)


def workspace_allowed(request: HttpRequest) -> None:
    """Officials and operators only (the workspace's check, and the header's link)."""
    if getattr(request.user, "kind", "") not in ("official", "operator"):
        raise PermissionDenied("Chỉ công chức được vào không gian làm việc.")


@login_required
def workspace(request: HttpRequest) -> HttpResponse:
    """The official's home: what waits for them in the one-stop queue, then recent activity."""
    workspace_allowed(request)
    user: Any = request.user
    actor = actor_for_user(user)
    recent = list(
        visible_to(actor, Event.objects.filter(subject_type="dossier")).order_by("-id")[:10]
    )
    for event in recent:
        event.title = event_title(event.event_type)  # type: ignore[attr-defined]
        event.who = _who(event)  # type: ignore[attr-defined]
    official = None
    summary: dict[str, Any] = {}
    documents: list[Any] = []
    show_onestop = False
    if user.kind == "official":
        from egov.documents.views import work_summary
        from egov.onestop.services import official_of
        from egov.onestop.views import queue_summary

        try:
            official = official_of(actor)
        except DomainError:  # an official account not yet attached to an agency
            official = None
        else:
            summary = queue_summary(official)
            documents = work_summary(official)
            # A clerk's work is documents: the one-stop counts only for those who handle
            # dossiers (or have some waiting for them).
            show_onestop = bool(official.role_codes & ONESTOP_ROLES) or bool(summary.get("mine"))
    return render(
        request,
        "web/workspace.html",
        {
            "official": official,
            "summary": summary,
            "documents": documents,
            "show_onestop": show_onestop,
            "recent_events": recent,
        },
    )
