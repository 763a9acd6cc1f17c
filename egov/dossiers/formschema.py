"""Server-side validation of online form components against their schema.

Schema: {"fields": [{"name": "child_name", "label": "Họ tên trẻ", "type": "text", "required": true,
"max_length": 100, "choices": [...]}]}. Types: text, textarea, date, number, email, phone,
personal_id, select (one of "choices"), checkbox. (The catalogue validates schemas.)
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from egov.accounts.identity import normalize_phone, parse_personal_id

DEFAULT_MAX_LENGTH = 500


def _clean_value(field: dict[str, Any], raw: Any) -> Any:
    kind = field.get("type", "text")
    value = "" if raw is None else str(raw).strip()
    max_length = int(field.get("max_length") or DEFAULT_MAX_LENGTH)
    if len(value) > max_length:
        raise ValidationError(f"Tối đa {max_length} ký tự.")
    if kind == "date":
        try:
            parsed = date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError("Ngày không hợp lệ (định dạng YYYY-MM-DD).") from exc
        if field.get("not_future") and parsed > date.today():
            raise ValidationError("Ngày không được ở tương lai.")
        return parsed.isoformat()
    if kind == "number":
        if not re.fullmatch(r"-?\d+", value):
            raise ValidationError("Phải là số nguyên.")
        return int(value)
    if kind == "email":
        try:
            validate_email(value)
        except ValidationError as exc:
            raise ValidationError("Địa chỉ thư điện tử không hợp lệ.") from exc
        return value.lower()
    if kind == "phone":
        return normalize_phone(value)
    if kind == "personal_id":
        return parse_personal_id(value).number
    if kind == "checkbox":
        if value.lower() not in ("1", "true", "on", "yes", "0", "false", "off", "no"):
            raise ValidationError("Giá trị đánh dấu không hợp lệ.")
        return value.lower() in ("1", "true", "on", "yes")
    if kind in ("select", "choice"):
        choices = [str(c) for c in field.get("choices", [])]
        if value not in choices:
            raise ValidationError("Giá trị không nằm trong danh sách cho phép.")
        return value
    return value


def validate_form(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Return the cleaned values or raise ValidationError with a dict of field errors."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    known = set()
    for field in schema.get("fields", []):
        name = field["name"]
        known.add(name)
        raw = data.get(name)
        if raw is None or str(raw).strip() == "":
            if field.get("required", False):
                errors[name] = [f"Vui lòng nhập “{field.get('label', name)}”."]
            continue
        try:
            cleaned[name] = _clean_value(field, raw)
        except ValidationError as exc:
            errors[name] = exc.messages
    unknown = set(data) - known
    if unknown:
        errors["__all__"] = [f"Trường không có trong biểu mẫu: {', '.join(sorted(unknown))}."]
    if errors:
        raise ValidationError(errors)
    return cleaned
