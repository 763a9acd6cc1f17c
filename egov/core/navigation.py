"""The areas of the officials' side (one-stop queue, documents, dashboard, ...) and who may open
each: every app declares its area here with the very check its views make, so the header shows a
person only the links that open for them (egov.web.context_processors.navigation) and no list of
roles is kept twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from .registry import Registry


@dataclass(frozen=True)
class Area:
    key: str
    label: str  # Vietnamese, as the header shows it
    url_name: str
    order: int
    may_open: Callable[[HttpRequest], bool]  # the view's own permission check, as a yes/no


AREAS: Registry[str, Area] = Registry("navigation area")
_discovered: list[bool] = []


def declare_area(area: Area) -> Area:
    return AREAS.register(area.key, area)


def areas_for(request: HttpRequest) -> list[tuple[Area, str]]:
    """The declared areas the request's user may open, in header order, with their addresses
    (an area whose address is not routed in this installation is left out)."""
    from django.urls import NoReverseMatch, reverse
    from django.utils.module_loading import autodiscover_modules

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    if not _discovered:
        autodiscover_modules("navigation")  # each app's navigation.py declares its areas
        _discovered.append(True)
    found: list[tuple[Area, str]] = []
    for area in sorted(AREAS.values(), key=lambda a: a.order):
        try:
            url = reverse(area.url_name)
        except NoReverseMatch:
            continue
        if area.may_open(request):
            found.append((area, url))
    return found


def allowed(check: Callable[[HttpRequest], object], request: HttpRequest) -> bool:
    """A view's check that raises PermissionDenied (or returns what the view needs), as a yes/no."""
    from django.core.exceptions import PermissionDenied

    try:
        check(request)
    except PermissionDenied:
        return False
    return True
