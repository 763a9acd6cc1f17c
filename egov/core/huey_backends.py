"""Huey on PostgreSQL, so several worker machines share one queue with no extra service.

Huey's own SQL storage (`huey.contrib.sql_huey.SqlStorage`, built on peewee) already speaks
PostgreSQL through psycopg 3 (peewee picks psycopg 3 when psycopg2 is absent) and dequeues with
`SELECT ... FOR UPDATE SKIP LOCKED`, so two consumers never take the same task. This module adds
what the platform needs on top:

- accepts the same URL forms as DATABASE_URL (`postgres://`, `postgresql://`, query options);
- keeps Huey's four tables under a `huey_` prefix so they cannot collide with other tables in
  the application database (huey_task, huey_schedule, huey_kv, huey_counter);
- refuses anything that is not PostgreSQL (SQLite has `huey.SqliteHuey`).

Settings (egov/settings/base.py, HUEY_BACKEND=postgres):

    HUEY = {"huey_class": "egov.core.huey_backends.PostgresHuey", "name": "egov",
            "database": "postgresql://user:pass@db/egov", ...}
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from huey.api import Huey
from huey.contrib.sql_huey import SqlStorage
from huey.exceptions import ConfigurationError
from peewee import Database, Index, PostgresqlDatabase

TABLE_PREFIX = "huey_"
# The advisory lock key under which the tables are created ("huey" in ASCII).
SCHEMA_LOCK = 0x68756579


def normalize_url(url: str) -> str:
    """`postgres://` and `postgresql://` (as in DATABASE_URL) both become `postgresql://`."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ConfigurationError(
            "PostgresHuey needs a postgresql:// URL (set HUEY_DATABASE_URL or DATABASE_URL)."
        )
    return urlunsplit(("postgresql", *parts[1:]))


class PostgresStorage(SqlStorage):
    """Huey's SQL storage, bound to PostgreSQL, with prefixed table names."""

    def __init__(
        self, name: str = "huey", database: str | Database | None = None, **kwargs: Any
    ) -> None:
        if not database:
            raise ConfigurationError(
                "PostgresHuey needs a database URL (set HUEY_DATABASE_URL or DATABASE_URL)."
            )
        if isinstance(database, str):
            database = normalize_url(database)
        super().__init__(name=name, database=database, **kwargs)
        if not isinstance(self.database, PostgresqlDatabase):
            raise ConfigurationError("PostgresHuey works only with PostgreSQL.")

    def create_tables(self) -> None:
        # Every process creates the tables when Huey is set up (at Django's start, importing
        # djhuey), with CREATE TABLE IF NOT EXISTS, which is not safe against itself: processes
        # starting at once on a new database collided in PostgreSQL's catalogue (a unique
        # violation), and the loser's start failed (the local cluster's first start, issue
        # #19). One creator at a time, under a transaction-scoped advisory lock.
        with self.database:  # one connection, one transaction
            self.database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            self.database.create_tables([self.KV, self.Schedule, self.Task, self.Counter])

    def create_models(self) -> tuple[Any, ...]:
        models = tuple(super().create_models())
        for model in models:
            meta = model._meta
            if not meta.table_name.startswith(TABLE_PREFIX):
                meta.set_table_name(TABLE_PREFIX + meta.table_name)
            # Index names generated later (Meta.indexes) then start with the new table name.
            meta.legacy_table_names = False
            # Indexes added with Model.add_index() captured the old table: point them at the
            # renamed one (indexes declared in Meta are built later from the new name).
            for index in meta.indexes:
                if isinstance(index, Index):
                    node: Any = index  # peewee keeps these as private attributes
                    node._table = meta.table
                    if not str(node._name).startswith(TABLE_PREFIX):
                        node._name = TABLE_PREFIX + node._name
        return models


class PostgresHuey(Huey):
    """`Huey` with `PostgresStorage`; extra keyword arguments go to the storage."""

    storage_class = PostgresStorage
