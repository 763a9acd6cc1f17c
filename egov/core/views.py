"""Operational endpoints."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
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


# Errors Django answers before a view runs (no route, a malformed request, a crash): under /api/
# they keep the API's JSON body {code, message, fields}; pages keep their HTML.
API_PREFIX = "/api/"


def _api_error(code: str, message: str, status: int) -> JsonResponse:
    from .api_errors import error_body

    return JsonResponse(error_body(code, message), status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error("bad_request", "Yêu cầu không hợp lệ.", 400)
    return defaults.bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error("not_found", "Không tìm thấy dữ liệu.", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error("server_error", "Hệ thống gặp lỗi, vui lòng thử lại sau.", 500)
    return defaults.server_error(request)
