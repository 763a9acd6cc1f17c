"""The database side of the append-only event log, as seen from Python.

SQLite has no roles and no session settings, so its DELETE triggers (migration 0005) ask a SQL
function that only this application registers on its own connections,
`egov_events_purge_allowed()`: 0 unless `purge_allowed(connection)` is active. Another client of
the file (the sqlite3 shell, a script) has no such function and its DELETE fails.

PostgreSQL's equivalent is the session setting `egov.events_purge`, which only the table owner
can use (migration 0003).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

_FLAG = "egov_events_purge"


def register_sqlite_functions(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """`connection_created` receiver: give each SQLite connection the purge switch."""
    if connection.vendor != "sqlite":
        return

    def purge_allowed() -> int:
        return 1 if getattr(connection, _FLAG, False) else 0

    # Not deterministic: SQLite must ask again on every statement.
    connection.connection.create_function("egov_events_purge_allowed", 0, purge_allowed)


@contextmanager
def purge_allowed(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Allow DELETE of events on this connection for the duration (resetting a test database;
    records retention by an operator). On PostgreSQL only the table owner gets through."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET egov.events_purge = 'on'")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET egov.events_purge")
        return
    setattr(connection, _FLAG, True)
    try:
        yield
    finally:
        setattr(connection, _FLAG, False)
