"""Operational endpoints."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and orchestrators: 200 when this process answers and reaches its
    database, 503 otherwise. Says nothing else (it is public)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


# Errors Django answers before a view runs (no route, a malformed request, a refusal, a crash):
# under /api/ they keep the API's JSON body {code, message, fields}; pages get a Vietnamese page
# in the site's layout with a way back (egov/templates/400.html, 403.html, 403_csrf.html,
# 404.html, 500.html).
API_PREFIX = "/api/"


def _api_error(code: str, message: str, status: int) -> JsonResponse:
    from .api_errors import error_body

    return JsonResponse(error_body(code, message), status=status)


def _page(request: HttpRequest, template: str, status: int, **context: Any) -> HttpResponse:
    """The error page with the request's context (who is signed in, the menu they may open);
    without it when that fails (a request too broken to render against: a bad host, a session
    the database cannot read) rather than a second error."""
    try:
        return HttpResponse(loader.render_to_string(template, context, request), status=status)
    except Exception:
        return plain_error_page(template, status, **context)


def plain_error_page(template: str, status: int, **context: Any) -> HttpResponse:
    """The page rendered from settings alone: no request, no database, no session."""
    context = {"PLATFORM_NAME": settings.PLATFORM_NAME, "plain": True, **context}
    return HttpResponse(loader.render_to_string(template, context), status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error("bad_request", "Yêu cầu không hợp lệ.", 400)
    return plain_error_page("400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    message = str(exception) if exception is not None else ""
    if request.path.startswith(API_PREFIX):
        return _api_error("permission_denied", message or "Bạn không có quyền truy cập.", 403)
    return _page(request, "403.html", 403, reason=message)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error("not_found", "Không tìm thấy dữ liệu.", 404)
    return _page(request, "404.html", 404, request_path=request.path)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error("server_error", "Hệ thống gặp lỗi, vui lòng thử lại sau.", 500)
    # Without the request's context: the database or the session may be what failed.
    return plain_error_page("500.html", 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent from an expired page or with cookies blocked."""
    if request.path.startswith(API_PREFIX):
        return _api_error("permission_denied", "Yêu cầu thiếu mã chống giả mạo (CSRF).", 403)
    return _page(request, "403_csrf.html", 403)
