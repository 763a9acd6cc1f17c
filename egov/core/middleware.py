"""Vietnamese is the platform's language unless the visitor picks another in the switcher."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class VietnameseFirstMiddleware:
    """Many Vietnamese phones and PCs run in English; the browser's Accept-Language must not
    turn the public portal English. The language cookie set by the switcher still wins."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
