"""Server-side validation of online form components against their schema.

Schema: {"fields": [{"name": "child_name", "label": "Họ tên trẻ", "type": "text", "required": true,
"max_length": 100, "choices": [...]}]}. Types: text, textarea, date, number, email, phone,
personal_id, select (one of "choices"), checkbox. (The catalogue validates schemas.)

Every value is bounded even when the schema says nothing: a number is an integer within
["min", "max"] (default 0..1,000,000,000), a date falls in 1900..2100 (and not after today with
"not_future"), a text is at most "max_length" characters. Form data is {component: {field: scalar}};
anything nested deeper is refused before it is walked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from egov.accounts.identity import normalize_phone, parse_personal_id

DEFAULT_MAX_LENGTH = 500
DEFAULT_MIN_NUMBER = 0
DEFAULT_MAX_NUMBER = 1_000_000_000
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2100, 12, 31)
MAX_FORM_DATA_CHARS = 256 * 1024
SCALARS = (str, int, float, bool)


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
        if not MIN_DATE <= parsed <= MAX_DATE:
            raise ValidationError(
                f"Ngày phải trong khoảng {MIN_DATE:%d/%m/%Y} – {MAX_DATE:%d/%m/%Y}."
            )
        if field.get("not_future") and parsed > date.today():
            raise ValidationError("Ngày không được ở tương lai.")
        return parsed.isoformat()
    if kind == "number":
        if not re.fullmatch(r"-?\d{1,18}", value):
            raise ValidationError("Phải là số nguyên.")
        number = int(value)
        low = int(field.get("min", DEFAULT_MIN_NUMBER))
        high = int(field.get("max", DEFAULT_MAX_NUMBER))
        if not low <= number <= high:
            raise ValidationError(f"Phải là số nguyên từ {low} đến {high}.")
        return number
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


def clean_field_value(field: dict[str, Any], raw: Any) -> Any:
    """One value cleaned as its field's schema says (ValidationError when it does not fit)."""
    return _clean_value(field, raw)


def parse_form_data(raw: Any) -> dict[str, dict[str, Any]]:
    """The API's `form_data` (a JSON text in multipart, an object in a JSON body) as
    {component: {field: scalar}}; else ValidationError on "form_data"."""
    shape = 'Phải là một đối tượng JSON dạng {"<mã thành phần>": {"<trường>": "giá trị"}}.'
    if raw in (None, ""):
        return {}
    if isinstance(raw, str | bytes):
        if len(raw) > MAX_FORM_DATA_CHARS:
            raise ValidationError({"form_data": [f"Tối đa {MAX_FORM_DATA_CHARS} ký tự."]})
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # RecursionError: nesting thousands deep
            raise ValidationError({"form_data": [shape]}) from exc
    if not isinstance(raw, Mapping):
        raise ValidationError({"form_data": [shape]})
    parsed: dict[str, dict[str, Any]] = {}
    for component, values in raw.items():
        if not isinstance(values, Mapping) or not all(
            v is None or isinstance(v, SCALARS) for v in values.values()
        ):
            raise ValidationError({"form_data": [shape]})
        parsed[str(component)] = {str(k): v for k, v in values.items()}
    return parsed


def validate_form(schema: dict[str, Any], data: Any) -> dict[str, Any]:
    """Return the cleaned values or raise ValidationError with a dict of field errors."""
    if not isinstance(data, Mapping):
        raise ValidationError({"__all__": ["Dữ liệu biểu mẫu phải là các cặp trường – giá trị."]})
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    known = set()
    for field in schema.get("fields", []):
        name = field["name"]
        known.add(name)
        raw = data.get(name)
        if raw is not None and not isinstance(raw, SCALARS):
            errors[name] = ["Giá trị không hợp lệ."]
            continue
        if raw is None or str(raw).strip() == "":
            if field.get("required", False):
                errors[name] = [f"Vui lòng nhập “{field.get('label', name)}”."]
            continue
        try:
            cleaned[name] = _clean_value(field, raw)
        except ValidationError as exc:
            errors[name] = exc.messages
    unknown = {str(k) for k in data} - known
    if unknown:
        listed = ", ".join(sorted(k[:40] for k in unknown)[:10])
        errors["__all__"] = [f"Trường không có trong biểu mẫu: {listed}."]
    if errors:
        raise ValidationError(errors)
    return cleaned
