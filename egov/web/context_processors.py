from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from egov.core.navigation import areas_for


def platform(request: HttpRequest) -> dict[str, Any]:
    return {"PLATFORM_NAME": settings.PLATFORM_NAME}


def navigation(request: HttpRequest) -> dict[str, Any]:
    """`nav_areas`: the header's links the user may open, each asked of its area's own permission
    check (egov.core.navigation); worked out only when a template reads it."""
    return {"nav_areas": SimpleLazyObject(lambda: areas_for(request))}
