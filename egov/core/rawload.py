"""Model rows read by a fixed SQL statement, converted exactly as the ORM converts them.

For the few reads every request of a kind makes (the official behind a session, one page of a
work queue), compiling the ORM queryset costs more CPU than the database spends answering it
(issue #19's profiles: ~0.5–1 ms a query on a 2-core machine). A `Columns` describes one model's
columns under a table alias once; the statement is written from them (names from `_meta`, so a
renamed column renames the statement) and its rows become model instances through the same
backend and field converters the ORM applies (SQLite's datetimes, booleans, JSON...).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.models import Model


class Columns:
    """The concrete columns of `model` read under `alias`, in field order."""

    def __init__(self, model: type[Model], alias: str, *, using: str = "default") -> None:
        self.model = model
        self.alias = alias
        self.using = using
        self.fields = list(model._meta.concrete_fields)

    def __len__(self) -> int:
        return len(self.fields)

    @property
    def sql(self) -> str:
        q = connections[self.using].ops.quote_name
        return ", ".join(f"{self.alias}.{q(str(f.column))}" for f in self.fields)

    def col(self, name: str) -> str:
        q = connections[self.using].ops.quote_name
        column = getattr(self.model._meta.get_field(name), "column", None)
        return f"{self.alias}.{q(str(column))}"

    @property
    def table(self) -> str:
        return f"{connections[self.using].ops.quote_name(self.model._meta.db_table)} {self.alias}"

    @cached_property
    def _converters(self) -> list[tuple[int, list[Callable[..., Any]], Any]]:
        connection = connections[self.using]
        found = []
        for index, field in enumerate(self.fields):
            expression = field.get_col(self.alias)
            converters = expression.get_db_converters(connection)
            backend = connection.ops.get_db_converters(expression)
            if backend or converters:
                found.append((index, [*backend, *converters], expression))
        return found

    def values(self, row: Sequence[Any], offset: int = 0) -> list[Any]:
        """This model's values out of `row` (starting at `offset`), converted."""
        values = list(row[offset : offset + len(self.fields)])
        connection = connections[self.using]
        for index, converters, expression in self._converters:
            value = values[index]
            for convert in converters:
                value = convert(value, expression, connection)
            values[index] = value
        return values

    def instance(self, row: Sequence[Any], offset: int = 0) -> Any:
        """The model instance of `row` from `offset`, or None when its primary key is NULL (an
        empty LEFT JOIN)."""
        values = self.values(row, offset)
        pk_index = self.fields.index(self.model._meta.pk)
        if values[pk_index] is None:
            return None
        return self.model.from_db(self.using, [f.attname for f in self.fields], values)


def aware(value: Any) -> Any:
    """A stored moment as an aware datetime (SQLite's driver hands back naive UTC)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def cache_related(instance: Model, name: str, related: Model | None) -> None:
    """As select_related leaves it: `instance.<name>` answers without a query."""
    instance._meta.get_field(name).set_cached_value(instance, related)  # type: ignore[union-attr]


def fetchall(sql: str, params: Sequence[Any], *, binary: bool = False) -> list[tuple[Any, ...]]:
    """The rows of one fixed statement on the default database.

    On PostgreSQL the statement is prepared on the server, once per connection: Django binds
    parameters on the client, so PostgreSQL plans every query anew, and planning a join over
    the event log's partitions (0.4 ms warm) cost more than running it (0.06 ms) on the public
    lookup (issue #19). Not behind PgBouncer in transaction mode (DATABASE_POOL_MODE), whose
    server connections change between transactions. The statement is logged as Django logs
    its own (`connection.queries`, the tests' query counts).

    `binary` asks PostgreSQL for binary results, which psycopg's C loaders read (Django's own
    timestamptz loader is text only and pure Python: a page of fifty rows spent a third of its
    conversion time there). Only for rows of numbers, text and moments: Django reads JSON as
    text, and a binary jsonb would come back already parsed."""
    if connection.vendor != "postgresql" or settings.DATABASE_POOL_MODE == "transaction":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns automatic preparation off (its cursors bind on the client); explicit
        # preparation needs it on, and a threshold no query reaches keeps it explicit.
        raw.prepare_threshold = 2**31 - 1
    started = time.monotonic()
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, params, prepare=True, binary=binary)
        rows = cursor.fetchall()
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": f"{sql} -- {list(params)!r}", "time": f"{time.monotonic() - started:.3f}"}
        )
    return rows
