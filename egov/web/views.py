"""The three front doors: the public portal, the officials' workspace, the administration."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from egov.core.actors import actor_for_user
from egov.core.scoping import visible_to
from egov.events.models import Event


@login_required
def after_login(request: HttpRequest) -> HttpResponse:
    user = request.user
    if getattr(user, "kind", "") in ("official", "operator"):
        return redirect("web:workspace")
    return redirect("portal:home")


@login_required
def workspace(request: HttpRequest) -> HttpResponse:
    user = request.user
    if getattr(user, "kind", "") not in ("official", "operator"):
        raise PermissionDenied("Chỉ công chức được vào không gian làm việc.")
    actor = actor_for_user(user)
    recent = visible_to(actor, Event.objects.all()).order_by("-id")[:10]
    official = getattr(user, "official", None)
    return render(request, "web/workspace.html", {"official": official, "recent_events": recent})
