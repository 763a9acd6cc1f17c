"""Helpers for the event-log tests."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from pydantic import ConfigDict

from egov.core.actors import SYSTEM
from egov.events.catalogue import Payload, declare
from egov.events.services import record_event


class _AnyPayload(Payload):
    """The log's own tests record events of made-up types with whatever payload they need."""

    model_config = ConfigDict(extra="allow", frozen=True)


# Test-only types (record_event refuses a type the catalogue does not declare).
TEST_STEP = declare("test.step", subject="dossier", payload=_AnyPayload, description="test only")
TEST_T = declare("test.t", subject="x", payload=_AnyPayload, description="test only")
TEST_GLOBAL = declare("test.global", subject="user", payload=_AnyPayload, description="test only")
TEST_NOTE = declare("test.user_noted", subject="user", payload=_AnyPayload, description="test only")


def _run_deferred_checks(cursor) -> None:  # type: ignore[no-untyped-def]
    """Run PostgreSQL's deferred foreign-key checks now (timestamps reference checkpoints): with
    checks pending, ALTER TABLE of either table is refused."""
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def tamper_sql(sql: str, params: list[object] | None = None) -> None:
    """Run SQL against events_event the way someone with direct database access would.

    The append-only triggers are switched off first, as the table owner or a superuser could
    (or, on SQLite, anyone who can write the database file), inside the test transaction, so
    they are back on afterwards.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _run_deferred_checks(cursor)
            for table in (
                "events_event",
                "events_eventcheckpoint",
                "events_chainhead",
                "events_checkpointtimestamp",
            ):
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        elif connection.vendor == "sqlite":
            for trigger in (
                "events_event_no_update",
                "events_event_no_delete",
                "events_eventcheckpoint_no_update",
                "events_eventcheckpoint_no_delete",
                "events_checkpointtimestamp_no_update",
                "events_checkpointtimestamp_no_delete",
            ):
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        cursor.execute(sql, params or [])
        _run_deferred_checks(cursor)


@pytest.fixture
def chains(agency, other_agency):  # type: ignore[no-untyped-def]
    """Three chains: two agencies and the global one, five + three + two events."""
    with transaction.atomic():
        events = {"a": [], "b": [], "g": []}
        for i in range(5):
            events["a"].append(
                record_event(
                    actor=SYSTEM,
                    event_type="test.step",
                    subject_type="dossier",
                    subject_id=f"A{i}",
                    agency_id=agency.pk,
                    payload={"n": i, "ghi_chu": "Hồ sơ đất đai"},
                )
            )
        for i in range(3):
            events["b"].append(
                record_event(
                    actor=SYSTEM,
                    event_type="test.step",
                    subject_type="dossier",
                    subject_id=f"B{i}",
                    agency_id=other_agency.pk,
                    payload={"n": i},
                )
            )
        for i in range(2):
            events["g"].append(
                record_event(
                    actor=SYSTEM,
                    event_type="test.global",
                    subject_type="user",
                    subject_id=i,
                )
            )
    return events
