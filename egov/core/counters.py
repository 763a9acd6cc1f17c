"""Gap-free counters: the next value of a counter row keyed by scope (a dossier code's serial per
agency and day, a document number per agency, year and series, ...).

The value is taken inside the caller's transaction by one upsert statement (the same SQL on
PostgreSQL and SQLite 3.35+). The updated row stays locked until that transaction ends, so
concurrent callers wait for each other, and a rolled-back caller gives its value back: values are
gap-free and unique. The counter model needs a unique constraint over the key fields and an
integer field `last`.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models, transaction


def _column(field: Any) -> str:
    column = getattr(field, "column", None)
    if not isinstance(column, str):
        raise TypeError(f"{field!r} is not a column of the counter")
    return column


def next_value(counter: type[models.Model], **key: Any) -> int:
    """Atomically take the next value of the counter row `key` names (the first is 1)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            f"{counter.__name__}: a gap-free value must be taken inside the transaction that "
            "uses it"
        )
    meta = counter._meta
    table = meta.db_table
    columns = [_column(meta.get_field(name)) for name in key]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({quoted}, last) VALUES ({placeholders}, 1) "  # noqa: S608
            f"ON CONFLICT ({quoted}) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            list(key.values()),
        )
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])
