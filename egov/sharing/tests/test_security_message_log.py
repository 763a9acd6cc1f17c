"""Attacks on the message log: rows cannot be changed or deleted through the database guard, and
a row changed with the guard switched off, a row removed, or the log's end cut off (head
rewound) is found by the verifier and by `manage.py verify_message_log`."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from egov.core.actors import SYSTEM
from egov.sharing import services
from egov.sharing.log import verify_message_log
from egov.sharing.models import MessageLogCheckpoint, MessageLogEntry

pytestmark = pytest.mark.django_db


def tamper_sql(sql: str, params: list[object] | None = None) -> None:
    """As someone with direct database access: triggers off (owner/superuser; on SQLite anyone
    who can write the file), inside the test transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in ("sharing_messagelogentry", "sharing_messagelogcheckpoint"):
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for table in ("sharing_messagelogentry", "sharing_messagelogcheckpoint"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        cursor.execute(sql, params or [])


@pytest.fixture
def log(db):  # type: ignore[no-untyped-def]
    entries = [
        services.append_message(
            request_id=f"r{i}",
            client=None,
            service="dossier-status",
            method="GET",
            path=f"/api/v1/sharing/dossier-status/H{i}/",
            status_code=200,
            outcome="ok",
            signed=False,
            request_sha256="0" * 64,
            response_sha256=f"{i:064d}",
        )
        for i in range(5)
    ]
    return entries


def test_intact_log_verifies(log):
    services.checkpoint_message_log(actor=SYSTEM)
    report = verify_message_log()
    assert report.ok and report.entries == 5 and report.checkpoints == 1


def test_update_and_delete_refused_by_the_database(log):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE sharing_messagelogentry SET status_code = 500")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM sharing_messagelogentry WHERE seq = 5")
    assert MessageLogEntry.objects.count() == 5


def test_tampered_row_is_found(log):
    tamper_sql("UPDATE sharing_messagelogentry SET status_code = 403 WHERE seq = 3")
    report = verify_message_log()
    assert not report.ok and report.first_break.seq == 3  # type: ignore[union-attr]
    with pytest.raises(CommandError, match="bản ghi số 3"):
        call_command("verify_message_log")


def test_removed_row_is_found(log):
    tamper_sql("DELETE FROM sharing_messagelogentry WHERE seq = 2")
    assert verify_message_log().first_break.seq == 2  # type: ignore[union-attr]


def test_rehashed_row_still_breaks_the_chain_at_the_next(log):
    """Rewriting a row and its own hash consistently still breaks the link to the next row."""
    from egov.sharing.log import entry_hash

    target = MessageLogEntry.objects.get(seq=2)
    target.status_code = 500
    forged = entry_hash(target)
    tamper_sql(
        "UPDATE sharing_messagelogentry SET status_code = 500, hash = %s WHERE seq = 2", [forged]
    )
    assert verify_message_log().first_break.seq == 3  # type: ignore[union-attr]


def test_cut_end_is_found_by_the_signed_checkpoint(log):
    services.checkpoint_message_log(actor=SYSTEM)
    tamper_sql("DELETE FROM sharing_messagelogentry WHERE seq >= 4")
    report = verify_message_log()
    assert not report.ok
    assert "điểm chốt" in report.first_break.reason  # type: ignore[union-attr]


def test_forged_checkpoint_signature_is_found(log):
    row = services.checkpoint_message_log(actor=SYSTEM)
    tamper_sql(
        "UPDATE sharing_messagelogcheckpoint SET seq = 2, hash = %s WHERE id = %s",
        [MessageLogEntry.objects.get(seq=2).hash, row.pk],
    )
    assert "sai chữ ký" in verify_message_log().first_break.reason  # type: ignore[union-attr]
    assert MessageLogCheckpoint.objects.count() == 1


def test_checkpoint_is_recorded_in_the_event_log(log):
    from egov.events.models import Event

    row = services.checkpoint_message_log(actor=SYSTEM)
    event = Event.objects.get(event_type="sharing_message_log.checkpointed")
    assert event.payload["seq"] == row.seq == 5 and event.payload["hash"] == row.hash
