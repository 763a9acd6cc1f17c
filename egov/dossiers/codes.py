"""Dossier codes: `{agency id}-{yyMMdd}-{NNNN}`, a 4-digit serial per receiving agency per day.

The generator is pluggable (settings.DOSSIER_CODE_GENERATOR, a dotted path to a callable taking
(agency_identifier, local_day) and returning the code) because the legal format is unverified.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string

from .models import DossierCounter


def next_serial(agency_identifier: str, day: date) -> int:
    """Atomically take the next serial: one upsert statement, safe across processes."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_serial must run inside the submission's transaction")
    table = DossierCounter._meta.db_table
    with connection.cursor() as cursor:
        # Same SQL on PostgreSQL and SQLite (3.35+): the row lock is held until commit, so a
        # rolled-back submission gives its serial back instead of leaving a gap.
        cursor.execute(
            f"INSERT INTO {table} (agency_identifier, day, last) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (agency_identifier, day) DO UPDATE SET last = {table}.last + 1 "
            "RETURNING last",
            [agency_identifier, day],
        )
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def default_generator(agency_identifier: str, day: date) -> str:
    serial = next_serial(agency_identifier, day)
    return f"{agency_identifier}-{day:%y%m%d}-{serial:04d}"


def generator() -> Callable[[str, date], str]:
    path = getattr(settings, "DOSSIER_CODE_GENERATOR", None)
    return import_string(path) if path else default_generator
