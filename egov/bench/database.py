"""The benchmark's own database: created fresh, migrated programmatically, dropped afterwards.

On PostgreSQL it lives on the server DATABASE_URL points at, under its own name (`egov_bench`
by default), never in the database named by DATABASE_URL. On SQLite it is a file in a
temporary directory. `switch_to` points this process's Django connection at it, so the seed and
the in-process scenarios write there; `url` is what the gunicorn and Huey processes get as
DATABASE_URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections

_SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class BenchDatabaseError(RuntimeError):
    pass


def check_name(name: str) -> str:
    if not _SAFE_NAME.match(name):
        raise BenchDatabaseError(f"not a safe database name: {name!r}")
    return name


@dataclass(frozen=True)
class Server:
    """Where the PostgreSQL server is, from the current DATABASES['default']."""

    host: str
    port: str
    user: str
    password: str

    @classmethod
    def from_settings(cls, settings_dict: dict[str, Any]) -> Server:
        return cls(
            host=str(settings_dict.get("HOST") or "localhost"),
            port=str(settings_dict.get("PORT") or "5432"),
            user=str(settings_dict.get("USER") or ""),
            password=str(settings_dict.get("PASSWORD") or ""),
        )

    def url(self, name: str) -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        return f"postgresql://{auth}@{self.host}:{self.port}/{name}"

    def env(self) -> dict[str, str]:
        """libpq variables for pgbench and friends."""
        env = {"PGHOST": self.host, "PGPORT": self.port, "PGUSER": self.user}
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    @contextmanager
    def admin(self) -> Iterator[Any]:
        """An autocommit cursor on the `postgres` maintenance database."""
        import psycopg

        with (
            psycopg.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password or None,
                dbname="postgres",
                autocommit=True,
            ) as conn,
            conn.cursor() as cursor,
        ):
            yield cursor

    def exists(self, name: str) -> bool:
        with self.admin() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None

    def drop(self, name: str) -> None:
        # WITH (FORCE) (PostgreSQL 13+) ends sessions a crashed run may have left behind.
        with self.admin() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{check_name(name)}" WITH (FORCE)')

    def create(self, name: str) -> None:
        with self.admin() as cursor:
            cursor.execute(f'CREATE DATABASE "{check_name(name)}"')


@dataclass
class BenchDatabase:
    vendor: str  # "postgresql" or "sqlite"
    name: str  # database name, or the SQLite file path
    keep: bool
    server: Server | None = None
    original_name: str = ""

    @classmethod
    def plan(cls, *, name: str, work_dir: Path, keep: bool) -> BenchDatabase:
        vendor = connection.vendor
        if vendor == "postgresql":
            server = Server.from_settings(connection.settings_dict)
            return cls(vendor=vendor, name=check_name(name), keep=keep, server=server)
        if vendor == "sqlite":
            return cls(vendor=vendor, name=str(work_dir / f"{check_name(name)}.sqlite3"), keep=keep)
        raise BenchDatabaseError(f"the benchmark supports PostgreSQL and SQLite, not {vendor}")

    @property
    def url(self) -> str:
        if self.server is not None:
            return self.server.url(self.name)
        return f"sqlite:///{self.name}"

    @property
    def label(self) -> str:
        return f"PostgreSQL database {self.name}" if self.server else f"SQLite file {self.name}"

    def prepare(self) -> bool:
        """Create (or, with keep, reuse) the database and migrate it; True when it was new."""
        created = True
        if self.server is not None:
            if self.keep and self.server.exists(self.name):
                created = False
            else:
                self.server.drop(self.name)
                self.server.create(self.name)
        else:
            path = Path(self.name)
            if self.keep and path.exists():
                created = False
            else:
                for suffix in ("", "-wal", "-shm"):
                    Path(self.name + suffix).unlink(missing_ok=True)
        self.switch_to()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        return created

    def switch_to(self) -> None:
        """Point DATABASES['default'] (and connections opened later, in any thread) at it."""
        self._set_name(self.name)

    def _set_name(self, name: str) -> None:
        connections.close_all()
        if not self.original_name:
            self.original_name = str(connection.settings_dict["NAME"])
        settings.DATABASES["default"]["NAME"] = name
        connections.settings["default"]["NAME"] = name
        connection.settings_dict["NAME"] = name

    def drop(self) -> None:
        """Point the connection back where it was and drop the database (unless keep)."""
        if self.original_name:
            self._set_name(self.original_name)
        connections.close_all()
        if self.keep:
            return
        if self.server is not None:
            self.server.drop(self.name)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(self.name + suffix).unlink(missing_ok=True)
