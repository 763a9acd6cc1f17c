"""Reporting periods: a day, a month, a quarter, a year or a custom range of local dates."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from egov.core.dates import OUT_OF_RANGE, in_range
from egov.core.error_codes import CoreErrorCode
from egov.core.errors import DomainError

KINDS = {
    "day": "Ngày",
    "month": "Tháng",
    "quarter": "Quý",
    "year": "Năm",
    "range": "Khoảng thời gian",
}
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
MAX_RANGE_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        if self.kind == "day":
            return f"Ngày {self.start:%d/%m/%Y}"
        if self.kind == "month":
            return f"Tháng {self.start.month}/{self.start.year}"
        if self.kind == "quarter":
            return f"Quý {ROMAN[(self.start.month - 1) // 3 + 1]}/{self.start.year}"
        if self.kind == "year":
            return f"Năm {self.start.year}"
        return f"Từ {self.start:%d/%m/%Y} đến {self.end:%d/%m/%Y}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def grain(self) -> str:
        """How a trend over this period is best drawn: by day up to two months, else by month."""
        return "day" if self.days <= 62 else "month"

    def params(self) -> dict[str, str]:
        """Query-string parameters that give this period back to `parse_period`."""
        if self.kind == "day":
            return {"period": "day", "day": self.start.isoformat()}
        if self.kind == "month":
            return {"period": "month", "month": f"{self.start:%Y-%m}"}
        if self.kind == "quarter":
            return {
                "period": "quarter",
                "quarter": f"{self.start.year}-{(self.start.month - 1) // 3 + 1}",
            }
        if self.kind == "year":
            return {"period": "year", "year": str(self.start.year)}
        return {"period": "range", "from": self.start.isoformat(), "to": self.end.isoformat()}


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    return Period("month", start, month_end(start))


def year_period(year: int) -> Period:
    return Period("year", date(year, 1, 1), date(year, 12, 31))


def _invalid(field: str, message: str) -> DomainError:
    return DomainError(
        "Kỳ báo cáo không hợp lệ.", code=CoreErrorCode.INVALID, fields={field: [message]}
    )


def _date(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _invalid(field, "Ngày có dạng 2025-03-31.") from None


def parse_period(params: Mapping[str, Any], today: date) -> Period:
    """The period a request asks for; the current month when it asks for none. Within 1900..2100:
    a period ending in year 9999 overflowed when its end was turned into a moment."""
    period = _parse_period(params, today)
    if not (in_range(period.start) and in_range(period.end)):
        raise _invalid("period", OUT_OF_RANGE)
    return period


def _parse_period(params: Mapping[str, Any], today: date) -> Period:
    kind = str(params.get("period") or "month")
    try:
        if kind == "day":
            day = _date(str(params.get("day") or today.isoformat()), "day")
            return Period("day", day, day)
        if kind == "month":
            raw = str(params.get("month") or f"{today:%Y-%m}")
            match = re.fullmatch(r"(\d{4})-(\d{1,2})", raw)
            if not match or not 1 <= int(match[2]) <= 12:
                raise _invalid("month", "Tháng có dạng 2025-03.")
            return month_period(int(match[1]), int(match[2]))
        if kind == "quarter":
            raw = str(params.get("quarter") or f"{today.year}-{(today.month - 1) // 3 + 1}")
            match = re.fullmatch(r"(\d{4})-(?:Q|q)?([1-4])", raw)
            if not match:
                raise _invalid("quarter", "Quý có dạng 2025-1 (năm-quý).")
            first = date(int(match[1]), 3 * int(match[2]) - 2, 1)
            return Period("quarter", first, month_end(first.replace(month=first.month + 2)))
        if kind == "year":
            raw = str(params.get("year") or today.year)
            if not re.fullmatch(r"\d{4}", raw):
                raise _invalid("year", "Năm có dạng 2025.")
            return year_period(int(raw))
        if kind == "range":
            start = _date(str(params.get("from") or ""), "from")
            end = _date(str(params.get("to") or ""), "to")
            if end < start:
                raise _invalid("to", "Ngày kết thúc phải từ ngày bắt đầu trở đi.")
            if (end - start).days >= MAX_RANGE_DAYS:
                raise _invalid("to", "Khoảng thời gian tối đa 3 năm.")
            return Period("range", start, end)
    except ValueError:
        raise _invalid("period", "Không đọc được kỳ báo cáo.") from None
    raise _invalid("period", "Chọn ngày, tháng, quý, năm hoặc khoảng thời gian.")


def split(start: date, end: date) -> tuple[list[date], list[tuple[date, date]]]:
    """Whole months inside [start, end] (their first days) and the leftover day ranges."""
    months: list[date] = []
    ragged: list[tuple[date, date]] = []
    cursor = start
    while cursor <= end:
        last = month_end(cursor)
        if cursor.day == 1 and last <= end:
            months.append(cursor)
        else:
            ragged.append((cursor, min(last, end)))
        cursor = last + timedelta(days=1)
    return months, ragged
