"""Keyset pagination: one page after a cursor, no OFFSET, no COUNT. The one pager of every list
page and list API endpoint, all paged by the one query parameter `cursor` (CURSOR_PARAM).

Rows are ordered by (a moment, id), or by id alone. The cursor names the last row shown: the
text "<ISO moment>_<id>" (or "<id>"), base64url-encoded and signed with SECRET_KEY, so it is
opaque and an edited one is refused rather than read. On pages a cursor that does not check out
starts at the first page (a stale or edited link is harmless); the API refuses it with a 400
`invalid_cursor` naming the `cursor` parameter (`strict=True`).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .errors import DomainError
from .ids import parse_id

CURSOR_PARAM = "cursor"
# Longer than any cursor we issue (about 90 characters); longer input is not read at all.
MAX_CURSOR_LENGTH = 200
INVALID_CURSOR_MESSAGE = "Con trỏ trang không hợp lệ: hãy mở lại trang đầu."

_signer = signing.Signer(salt="egov.core.keyset", sep=".")


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
    """The (moment, id) of a cursor's decoded text "<ISO moment>_<id>", or None."""
    value, _, pk = raw.rpartition("_")
    return parse_moment_id(value, pk)


def encode_cursor(text: str) -> str:
    """The opaque, signed cursor of a key's text."""
    token = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    return _signer.sign(token)


def decode_cursor(raw: str) -> str | None:
    """The key's text of a cursor we issued, or None (edited, foreign, too long, not one)."""
    if not raw or len(raw) > MAX_CURSOR_LENGTH:
        return None
    try:
        token = _signer.unsign(raw)
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (signing.BadSignature, ValueError, UnicodeDecodeError, binascii.Error):
        return None


def invalid_cursor() -> DomainError:
    return DomainError(
        INVALID_CURSOR_MESSAGE,
        code="invalid_cursor",
        fields={CURSOR_PARAM: [INVALID_CURSOR_MESSAGE]},
    )


def _key(row: Any, field_name: str) -> tuple[Any, Any]:
    """(moment, id) of a model instance or of a `.values()` row."""
    if isinstance(row, dict):
        return (row[field_name] if field_name else None), row.get("id", row.get("pk"))
    return (getattr(row, field_name) if field_name else None), row.pk


def keyset_page(
    qs: QuerySet[Any],
    field_name: str,
    raw_cursor: str,
    limit: int,
    *,
    descending: bool = False,
    strict: bool = False,
) -> tuple[list[Any], str | None]:
    """Rows ordered by (field, id) — by id alone when `field_name` is "", newest first with
    `descending` — after the cursor, and the cursor of the next page (None on the last one).
    The field must not be NULL in `qs`; `.values()` querysets must include it and "id".
    A cursor that does not check out starts at the first page, or with `strict` raises the
    400 `invalid_cursor`."""
    after = "lt" if descending else "gt"
    if raw_cursor:
        text = decode_cursor(raw_cursor)
        key: tuple[datetime | None, int] | None = None
        if text is not None:
            if field_name:
                key = parse_cursor(text)
            else:
                number = parse_id(text)
                key = None if number is None else (None, number)
        if key is None:
            if strict:
                raise invalid_cursor()
        elif field_name:
            value, pk = key
            qs = qs.filter(
                Q(**{f"{field_name}__{after}": value})
                | Q(**{field_name: value, f"pk__{after}": pk})
            )
        else:
            qs = qs.filter(**{f"pk__{after}": key[1]})
    sign = "-" if descending else ""
    order = [f"{sign}{field_name}", f"{sign}pk"] if field_name else [f"{sign}pk"]
    rows = list(qs.order_by(*order)[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    moment, pk = _key(rows[-1], field_name)
    return rows, encode_cursor(f"{moment.isoformat()}_{pk}" if field_name else str(pk))
