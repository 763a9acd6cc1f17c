"""Keyset pagination over (a moment, id): one page after a cursor, no OFFSET, no COUNT.

The cursor is "<ISO moment>_<id>" of the last row shown; on pages one that does not parse starts
at the first page (a stale or edited link is harmless), the API refuses it (code "invalid_cursor").
Used by the officials' work queue and by the lists behind the dashboard's figures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .ids import parse_id


def parse_moment_id(moment: str, pk: str) -> tuple[datetime, int] | None:
    """An aware moment and a row id, or None: a malformed date ("2026-02-30T00:00:00" raises
    ValueError in parse_datetime), a naive one (we never issue those) or an id beyond the key."""
    try:
        value = parse_datetime(moment) if moment else None
    except ValueError:
        return None
    number = parse_id(pk)
    if value is None or timezone.is_naive(value) or number is None:
        return None
    return value, number


def parse_cursor(raw: str) -> tuple[datetime, int] | None:
    value, _, pk = raw.rpartition("_")
    return parse_moment_id(value, pk)


def keyset_page(
    qs: QuerySet[Any], field_name: str, raw_cursor: str, limit: int, *, descending: bool = False
) -> tuple[list[Any], str | None]:
    """Rows ordered by (field, id) — newest first with `descending` — after the cursor, and the
    cursor of the next page (None on the last one). The field must not be NULL in `qs`."""
    cursor = parse_cursor(raw_cursor) if raw_cursor else None
    after = "lt" if descending else "gt"
    if cursor is not None:
        value, pk = cursor
        qs = qs.filter(
            Q(**{f"{field_name}__{after}": value}) | Q(**{field_name: value, f"pk__{after}": pk})
        )
    sign = "-" if descending else ""
    rows = list(qs.order_by(f"{sign}{field_name}", f"{sign}pk")[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, f"{getattr(last, field_name).isoformat()}_{last.pk}"
