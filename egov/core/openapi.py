"""The OpenAPI schema documents the error answers every operation can give, in one place.

Views declare their success bodies (and, where they want a specific wording, an error status);
this AutoSchema adds the error statuses that follow from how the view is built, each with the
common body `{code, message, fields}` (egov.core.api_errors), so clients and the contract test
(egov/core/tests/test_api_contract.py) see every status the API can answer.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


# The body of every error (egov.core.api_errors.error_body); `fields` cannot be a class attribute
# of a serializer (it is the serializer's own property), hence the inline declaration.
API_ERROR = inline_serializer(
    "ApiError",
    {
        "code": serializers.CharField(help_text="Mã lỗi ổn định, ví dụ `invalid`, `not_found`"),
        "message": serializers.CharField(help_text="Thông báo cho người dùng (tiếng Việt)"),
        "fields": serializers.DictField(
            child=serializers.JSONField(),
            help_text="Lỗi theo từng trường: tên trường → danh sách thông báo",
        ),
    },
)


ERROR_DESCRIPTIONS = {
    "400": "Dữ liệu không hợp lệ (`invalid` và lỗi theo từng trường trong `fields`)",
    "401": "Chưa xác thực hoặc mã truy cập không hợp lệ (`not_authenticated`, "
    "`authentication_failed`)",
    "403": "Không có quyền (`permission_denied`, thiếu phạm vi của ứng dụng, thiếu mã CSRF, "
    "phiên chưa xác thực hai lớp)",
    "404": "Không tìm thấy, hoặc không thuộc phạm vi được xem (`not_found`)",
    "405": "Đường dẫn này không nhận phương thức đó (`method_not_allowed`)",
    "409": "Xung đột trạng thái: thao tác không hợp với trạng thái hiện tại hoặc dữ liệu vừa "
    "được người khác thay đổi",
    "415": "Kiểu nội dung (Content-Type) không được hỗ trợ (`unsupported_media_type`)",
    "429": "Gửi quá nhiều yêu cầu, hãy thử lại sau (`throttled`)",
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema plus the error responses each operation can give."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                # As in an HTML form, an optional parameter sent empty (`?status=`) is one not
                # given: the query serializers (egov.core.api_query) read it so.
                parameter["allowEmptyValue"] = True
        responses = operation["responses"]
        error_content = {
            "application/json": {"schema": self.resolve_serializer(API_ERROR, "response").ref}
        }
        for status in self._error_statuses(operation):
            responses.setdefault(status, {"description": ERROR_DESCRIPTIONS[status]})
        for status, response in responses.items():
            # A view may declare an error status with its own description only: give it the body.
            if status.startswith("4") and "content" not in response:
                response["content"] = error_content
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_statuses(self, operation: dict[str, Any]) -> list[str]:
        view = self.view
        parameters = operation.get("parameters", [])
        in_path = any(p["in"] == "path" for p in parameters)
        has_input = "requestBody" in operation or any(p["in"] == "query" for p in parameters)
        authenticators = view.get_authenticators()
        permissions = view.get_permissions()
        statuses = []
        if has_input:
            statuses.append("400")
        if authenticators:
            # A credential that is sent and wrong is refused even where none is needed.
            statuses.append("401")
        csrf = self.method in UNSAFE_METHODS and any(
            isinstance(a, SessionAuthentication) for a in authenticators
        )
        if csrf or not all(isinstance(p, AllowAny) for p in permissions):
            statuses.append("403")
        if in_path or self.method in UNSAFE_METHODS:
            # An identifier in the path or the body may name nothing the caller can see.
            statuses.append("404")
        if in_path:
            # A path parameter holding an encoded "/" reaches a neighbouring route, which may not
            # take this method.
            statuses.append("405")
        if self.method in UNSAFE_METHODS:
            statuses.append("409")
        if "requestBody" in operation:
            statuses.append("415")
        if view.get_throttles():
            statuses.append("429")
        return statuses


def document_error_codes(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: the error body's `code` lists every code an app declares in its
    `error_codes.py` (egov.core.error_codes), grouped by the enum that declares it."""
    from .error_codes import all_error_codes

    schema = result.get("components", {}).get("schemas", {}).get("ApiError")
    if not schema:
        return result
    codes = all_error_codes()
    by_enum: dict[str, list[str]] = {}
    for code, enum in codes.items():
        by_enum.setdefault(f"{enum.__module__.rsplit('.', 1)[0]}.{enum.__name__}", []).append(code)
    listing = "; ".join(
        f"{name}: " + ", ".join(f"`{c}`" for c in found) for name, found in by_enum.items()
    )
    code = schema["properties"]["code"]
    code["enum"] = list(codes)
    code["description"] = (
        f"Mã lỗi ổn định, khai báo trong `error_codes.py` của từng phân hệ. {listing}"
    )
    return result
