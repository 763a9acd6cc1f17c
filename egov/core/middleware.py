"""Vietnamese is the platform's language unless the visitor picks another in the switcher."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

from .text import normalize_querydict
from .uploads import max_request_bytes


class VietnameseFirstMiddleware:
    """Many Vietnamese phones and PCs run in English; the browser's Accept-Language must not
    turn the public portal English. The language cookie set by the switcher still wins."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class UnicodeNormalizationMiddleware:
    """NFC for the text of every page request (query string and posted form fields), so that
    forms, services and the database only ever see one spelling of a Vietnamese name. The API
    normalises in its parsers instead (egov.core.parsers): touching request.POST here would
    parse its bodies outside DRF's error handling."""

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable[..., Any], *args: Any) -> None:
        from rest_framework.views import APIView

        # The stubs' _ImmutableQueryDict: the copy is immutable at runtime too.
        request.GET = normalize_querydict(request.GET)  # type: ignore[assignment]
        view_class = getattr(view_func, "cls", None)
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            return
        if request.method == "POST" and request.content_type in self.FORM_TYPES:
            request.POST = normalize_querydict(request.POST)  # type: ignore[assignment]


V = TypeVar("V")


def allow_request_bytes(limit: Callable[[], int]) -> Callable[[V], V]:
    """Let the multipart requests of one view (a function or a view class) be up to `limit()`
    bytes instead of UPLOAD_MAX_REQUEST_BYTES: the routes that take one large file (a meeting's
    material) get their own bound, every other route keeps the common one."""

    def mark(view: V) -> V:
        view.max_request_bytes = limit  # type: ignore[attr-defined]
        return view

    return mark


def route_request_bytes(path: str) -> int:
    """The larger bound a route declared with `allow_request_bytes`, else 0."""
    from django.urls import Resolver404, resolve

    try:
        func: Any = resolve(path).func
    except Resolver404:
        return 0
    for holder in (func, getattr(func, "view_class", None), getattr(func, "cls", None)):
        limit = getattr(holder, "max_request_bytes", None)
        if callable(limit):
            return int(limit())
    return 0


class RequestSizeLimitMiddleware:
    """Refuse a multipart request whose declared body exceeds UPLOAD_MAX_REQUEST_BYTES before
    anything reads it: Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count files, so twelve 9.5 MB
    papers were otherwise all parsed (and held) before a service looked at them. Django reads at
    most CONTENT_LENGTH bytes of a body (none without the header), so the header is the bound.
    A route marked with `allow_request_bytes` has its own (larger) bound; the URL is resolved only
    for a request over the common one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = max_request_bytes()
            if length > limit:
                limit = max(limit, route_request_bytes(request.path_info))
            if length > limit:
                return request_too_large(request, limit)
        return self.get_response(request)


def request_too_large(request: HttpRequest, limit: int) -> HttpResponse:
    from django.http import JsonResponse

    message = (
        f"Tổng dung lượng gửi lên vượt quá {limit // (1024 * 1024)} MB cho một lần gửi: "
        "hãy giảm dung lượng tệp (quét ở độ phân giải thấp hơn) hoặc gửi bớt tệp."
    )
    if request.path.startswith("/api/"):
        body = {"code": "request_too_large", "message": message, "fields": {}}
        return JsonResponse(body, status=413)
    from .views import plain_error_page

    return plain_error_page("errors/bad_request.html", 413, message=message)
