"""Bounds for dates people type: 1900-01-01 .. 2100-12-31.

Python's dates reach year 9999, so "9999-12-31" parsed fine and the midnight after it (a report
period's end) raised OverflowError, a 500. Every date taken from a request goes through
`check_day` (services, API) or `BoundedDateField` (forms) and gets a Vietnamese 400 instead.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from .error_codes import CoreErrorCode
from .errors import DomainError

MIN_DAY = date(1900, 1, 1)
MAX_DAY = date(2100, 12, 31)
OUT_OF_RANGE = f"Ngày phải trong khoảng {MIN_DAY:%d/%m/%Y} – {MAX_DAY:%d/%m/%Y}."
DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def in_range(day: date) -> bool:
    return MIN_DAY <= day <= MAX_DAY


def check_day(day: date, field: str) -> date:
    """`day` when it lies within the bounds, else DomainError on `field`."""
    if not in_range(day):
        raise DomainError(OUT_OF_RANGE, code=CoreErrorCode.INVALID, fields={field: [OUT_OF_RANGE]})
    return day


def parse_day(raw: str | None, *, field: str, default: date | None = None) -> date | None:
    """`2026-11-30` or `30/11/2026` within the bounds; empty gives `default`."""
    raw = (raw or "").strip()
    if not raw:
        return default
    for fmt in DAY_FORMATS:
        try:
            parsed = datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
        return check_day(parsed, field)
    message = f"Ngày “{raw[:20]}” không hợp lệ (dạng 30/11/2026)."
    raise DomainError(message, code=CoreErrorCode.INVALID, fields={field: [message]})


class BoundedDateField(forms.DateField):
    """A form date within the bounds."""

    def to_python(self, value: Any) -> date | None:
        day = super().to_python(value)
        if day is not None and not in_range(day):
            raise ValidationError(OUT_OF_RANGE, code="date_range")
        return day


def local_text(moment: datetime | None) -> str:
    """A moment as people read it in messages and documents: "08:00 ngày 04/12/2026" in the
    platform's time zone (Asia/Ho_Chi_Minh); empty for None."""
    return f"{timezone.localtime(moment):%H:%M ngày %d/%m/%Y}" if moment else ""
