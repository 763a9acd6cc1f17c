"""One structured error body for every API endpoint: {code, message, fields}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .actors import MFA_PENDING
from .error_codes import CoreErrorCode
from .errors import DomainError

_MESSAGES: dict[str, str] = {
    CoreErrorCode.NOT_AUTHENTICATED: _("Bạn cần đăng nhập hoặc cung cấp mã truy cập hợp lệ."),
    CoreErrorCode.MFA_REQUIRED: _(
        "Phiên đăng nhập chưa xác thực hai lớp. Vui lòng đăng nhập lại với mã xác thực."
    ),
    CoreErrorCode.AUTHENTICATION_FAILED: _("Thông tin xác thực không hợp lệ."),
    CoreErrorCode.PERMISSION_DENIED: _("Bạn không có quyền thực hiện thao tác này."),
    CoreErrorCode.NOT_FOUND: _("Không tìm thấy dữ liệu."),
    CoreErrorCode.THROTTLED: _("Bạn gửi quá nhiều yêu cầu, vui lòng thử lại sau."),
    CoreErrorCode.INVALID: _("Dữ liệu không hợp lệ."),
}


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [
            str(item) if not isinstance(item, dict | list) else _flatten(item) for item in detail
        ]
    return [str(detail)]


def api_message(code: str) -> str:
    """The message the API's error handler writes for one of the core codes."""
    return str(_MESSAGES[code])


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": fields or {}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        message = "; ".join(exc.messages)
        return Response(
            error_body(CoreErrorCode.INVALID, message, fields), status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)
    codes = exc.get_codes()
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            CoreErrorCode.INVALID, _MESSAGES[CoreErrorCode.INVALID], _flatten(exc.detail)
        )
    else:
        code = codes if isinstance(codes, str) else CoreErrorCode.ERROR
        request = context.get("request")
        if code == CoreErrorCode.NOT_AUTHENTICATED and getattr(
            getattr(request, "_request", request), MFA_PENDING, False
        ):
            # A password-only session of an official or operator: it was treated as anonymous
            # (accounts.middleware); say what is missing, as a refusal rather than a challenge.
            code = CoreErrorCode.MFA_REQUIRED
            response.status_code = status.HTTP_403_FORBIDDEN
            if "WWW-Authenticate" in response:
                del response["WWW-Authenticate"]
        message = _MESSAGES.get(code, str(exc.detail))
        response.data = error_body(code, message)
    return response
