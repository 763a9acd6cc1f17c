"""Row ids and small integers taken from requests, checked before they reach a query.

A 20-digit id passes `str.isdigit()` and `int()`, then overflows the database driver (SQLite
raises OverflowError, a 500); "abc" raised ValueError the same way. Ids are positive and fit a
64-bit key; anything else is "not found" or a field error, never an exception from the driver.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .error_codes import CoreErrorCode
from .errors import DomainError

MAX_ID = 2**63 - 1


def parse_id(value: Any) -> int | None:
    """The positive 64-bit integer `value` spells (int or digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not text.isascii() or not text.isdigit() or len(text) > 19:
            return None
        number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_int(value: Any, field: str, *, low: int, high: int) -> int:
    """An integer within [low, high] or DomainError on `field`."""
    text = str(value if value is not None else "").strip()
    message = f"Phải là số nguyên từ {low} đến {high}."
    if isinstance(value, bool) or not re.fullmatch(r"-?[0-9]{1,18}", text):
        raise DomainError(message, code=CoreErrorCode.INVALID, fields={field: [message]})
    number = int(text)
    if not low <= number <= high:
        raise DomainError(message, code=CoreErrorCode.INVALID, fields={field: [message]})
    return number


def _check_pk(field: forms.ModelChoiceField, value: Any) -> None:
    if value in field.empty_values or field.to_field_name:
        return
    if parse_id(getattr(value, "pk", value)) is None:
        raise ValidationError(
            field.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )


class IdChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose posted id is checked before the query."""

    def to_python(self, value: Any) -> Any:
        _check_pk(self, value)
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    def clean(self, value: Any) -> Any:
        for item in value if isinstance(value, list | tuple) else []:
            if parse_id(getattr(item, "pk", item)) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": str(item)[:30]},
                )
        return super().clean(value)
