"""Fixed statements of the hottest reads (egov.core.rawload.fetchall, issue #19): prepared on
the PostgreSQL server once per connection, never behind PgBouncer's transaction mode, and
counted like any query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from egov.core.rawload import fetchall

pytestmark = pytest.mark.django_db


def _prepared(text: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"{text}%"]
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def test_rows_and_query_count_on_every_database() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert fetchall("SELECT %s + 1", [41]) == [(42,)]
    assert len(queries) == 1


def test_prepared_once_per_connection_on_postgresql(settings) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("server-side prepared statements are PostgreSQL's")
    statement = "SELECT %s::int * 2 AS doubled"
    for n in (1, 2, 3):
        assert fetchall(statement, [n]) == [(2 * n,)]
    assert _prepared("SELECT $1::int * 2 AS doubled") == 1
    # Behind PgBouncer in transaction mode the next statement may meet another server
    # connection: nothing is prepared there.
    settings.DATABASE_POOL_MODE = "transaction"
    assert fetchall("SELECT %s::int * 3 AS tripled", [2]) == [(6,)]
    assert _prepared("SELECT $1::int * 3 AS tripled") == 0


def test_the_platforms_connections_do_not_jit_compile() -> None:
    """PostgreSQL compiled the work-queue page's capped counts for 127 ms to run them in 0.13
    (its planner costs a count over an EXISTS high): the connection asks for no JIT."""
    if connection.vendor != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
