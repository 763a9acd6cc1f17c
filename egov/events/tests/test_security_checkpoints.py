"""Security review #11, finding 11: cutting the end of the event log is found.

The chain hash is unkeyed: someone who can write the database could delete the last events and
rewind the chain head, leaving a shorter log that verifies. Signed checkpoints, also kept
outside the database (a file; a webhook), pin where each chain ended; `verify_events` names the
checkpointed event that is gone.
"""

from __future__ import annotations

import base64
import io
import json

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from egov.core.actors import SYSTEM
from egov.events import checkpoints
from egov.events.models import ChainHead, CheckpointedHead, Event, EventCheckpoint, OutboxMessage
from egov.events.services import (
    chain_for,
    create_checkpoint,
    record_event,
    sync_checkpoint_file,
    verify_event_log,
)
from egov.events.standins import StandInServer

from .conftest import tamper_sql

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_purge_mode(db):  # type: ignore[no-untyped-def]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL egov.events_purge = 'off'")


@pytest.fixture
def checkpoint_file(tmp_path, settings):  # type: ignore[no-untyped-def]
    path = tmp_path / "outside-the-database" / "event-checkpoints.jsonl"
    settings.EVENT_CHECKPOINT_FILE = str(path)
    return path


def run_verify(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_events", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, out.getvalue()


def cut_the_end(events: list[Event]) -> None:
    """The attack: delete the chain's last event and rewind its head onto the one before, with
    the access of a database superuser (triggers off), so what is left is a consistent chain."""
    last, before = events[-1], events[-2]
    tamper_sql("DELETE FROM events_event WHERE id = %s", [last.pk])
    tamper_sql(
        "UPDATE events_chainhead SET seq = %s, hash = %s WHERE chain = %s",
        [before.seq, before.hash, last.chain],
    )


def erase_checkpoints_in_the_database() -> None:
    tamper_sql("DELETE FROM events_eventcheckpoint")
    tamper_sql("DELETE FROM events_checkpointedhead")


# -- checkpoints -----------------------------------------------------------------------------


def test_checkpoint_signs_every_chain_end_and_is_written_outside_the_database(
    chains, checkpoint_file, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        checkpoint = create_checkpoint()
    assert checkpoint is not None
    heads = json.loads(checkpoint.body)["heads"]
    assert heads == {
        c.chain: [c.seq, c.hash] for c in (chains["a"][-1], chains["b"][-1], chains["g"][-1])
    }
    lines = checkpoint_file.read_text().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["heads"] == heads
    assert json.loads(lines[0])["sig"] == checkpoint.signature

    result = verify_event_log()
    assert result.ok and result.checkpoints == 2  # the database's and the file's
    code, output = run_verify()
    assert code == 0 and "2 điểm chốt" in output


def test_a_checkpoint_lists_only_the_chains_that_moved(chains, agency, checkpoint_file):
    assert create_checkpoint() is not None
    assert create_checkpoint() is None  # nothing moved
    with transaction.atomic():
        event = record_event(
            actor=SYSTEM, event_type="test.t", subject_type="x", subject_id=1, agency_id=agency.pk
        )
    checkpoint = create_checkpoint()
    assert checkpoint is not None
    assert json.loads(checkpoint.body)["heads"] == {event.chain: [6, event.hash]}
    assert EventCheckpoint.objects.count() == 2
    assert CheckpointedHead.objects.get(pk=event.chain).seq == 6


def test_a_head_that_disagrees_with_its_event_is_not_signed(chains, agency):
    chain = chain_for(agency.pk)
    tamper_sql("UPDATE events_chainhead SET hash = %s WHERE chain = %s", ["e" * 64, chain])
    checkpoint = create_checkpoint()
    assert checkpoint is not None
    assert chain not in json.loads(checkpoint.body)["heads"]


# -- the attack ------------------------------------------------------------------------------


def test_without_a_checkpoint_the_cut_is_invisible(chains):
    """The finding as it was: the log's end cut, the head rewound, and the log 'verifies'."""
    cut_the_end(chains["a"])
    assert verify_event_log().ok


def test_cut_below_a_checkpoint_is_found_and_named(chains, checkpoint_file):
    create_checkpoint()
    sync_checkpoint_file()
    last = chains["a"][-1]
    cut_the_end(chains["a"])

    result = verify_event_log()
    assert not result.ok
    broken = result.first_break
    assert broken is not None
    assert (broken.code, broken.chain, broken.seq) == ("checkpoint_event_missing", last.chain, 5)
    assert "Sự kiện số 5" in broken.message and "đã được chốt lúc" in broken.message
    code, message = run_verify()
    assert code == 1 and "checkpoint_event_missing" in message and f"chain={last.chain}" in message


def test_erasing_the_database_checkpoints_too_leaves_the_file(chains, checkpoint_file):
    """The privileged attacker also deletes the checkpoints in the database (triggers off):
    the file outside the database still names the missing event."""
    create_checkpoint()
    sync_checkpoint_file()
    cut_the_end(chains["b"])
    erase_checkpoints_in_the_database()
    assert EventCheckpoint.objects.count() == 0

    broken = verify_event_log().first_break
    assert broken is not None
    assert (broken.code, broken.seq) == ("checkpoint_event_missing", 3)
    assert str(checkpoint_file) in broken.message
    code, message = run_verify("--checkpoint-file", str(checkpoint_file))
    assert code == 1 and "Sự kiện số 3" in message


def test_cut_then_new_events_in_its_place_is_found(chains, agency, checkpoint_file):
    """Cutting the end and appending other events at the same numbers: the checkpointed hash
    no longer matches."""
    create_checkpoint()
    sync_checkpoint_file()
    cut_the_end(chains["a"])
    with transaction.atomic():
        replacement = record_event(
            actor=SYSTEM,
            event_type="test.step",
            subject_type="dossier",
            subject_id="A4",
            agency_id=agency.pk,
            payload={"n": 4, "ghi_chu": "Hồ sơ đất đai"},
        )
    assert replacement.seq == 5
    broken = verify_event_log().first_break
    assert broken is not None
    assert (broken.code, broken.event_id, broken.seq) == (
        "checkpoint_hash_mismatch",
        replacement.pk,
        5,
    )


def test_an_edited_checkpoint_line_is_refused(chains, checkpoint_file):
    """Rewriting the file to match the cut log breaks the signature."""
    create_checkpoint()
    sync_checkpoint_file()
    cut_the_end(chains["a"])
    erase_checkpoints_in_the_database()
    line = json.loads(checkpoint_file.read_text())
    before = chains["a"][-2]
    line["heads"][before.chain] = [before.seq, before.hash]
    checkpoint_file.write_text(json.dumps(line) + "\n")

    broken = verify_event_log().first_break
    assert broken is not None
    assert broken.code == "checkpoint_invalid" and "chữ ký không hợp lệ" in broken.message


def test_a_checkpoint_signed_with_another_key_is_not_trusted(chains, checkpoint_file, settings):
    """A line signed with a key the installation does not have proves nothing: it is counted
    as unverifiable, never used to vouch for the log."""
    create_checkpoint()
    sync_checkpoint_file()
    with override_settings(SECRET_KEY="an-attackers-own-secret-key-" + "x" * 40):
        key, signature = checkpoints.sign(checkpoints.body_text(checkpoints_time(), {}))
    with checkpoint_file.open("a") as handle:
        body = checkpoints.body_text(checkpoints_time(), {})
        handle.write(checkpoints.line_text(body, key, signature) + "\n")
    result = verify_event_log()
    assert result.ok and result.unverifiable_checkpoints == 1 and result.checkpoints == 2


def checkpoints_time():  # type: ignore[no-untyped-def]
    from django.utils import timezone

    return timezone.now()


def test_a_deleted_checkpoint_file_is_reported(chains, checkpoint_file):
    create_checkpoint()
    sync_checkpoint_file()
    checkpoint_file.unlink()
    broken = verify_event_log().first_break
    assert broken is not None and broken.code == "checkpoint_file_missing"


def test_checkpoints_still_verify_after_the_secret_key_rotates(chains, checkpoint_file, settings):
    create_checkpoint()
    sync_checkpoint_file()
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-" + "y" * 30
    settings.SECRET_KEY_FALLBACKS = [old]
    assert verify_event_log().checkpoints == 2
    settings.SECRET_KEY_FALLBACKS = []
    result = verify_event_log()
    assert result.ok and result.unverifiable_checkpoints == 2


# -- the file ---------------------------------------------------------------------------------


def test_the_file_catches_up_after_a_lost_append(chains, agency, checkpoint_file):
    """A crash between the checkpoint's commit and its append: the next sync writes it."""
    first = create_checkpoint()  # on_commit never runs inside the test transaction
    assert not checkpoint_file.exists()
    assert sync_checkpoint_file() == 1
    assert sync_checkpoint_file() == 0
    with transaction.atomic():
        record_event(
            actor=SYSTEM, event_type="test.t", subject_type="x", subject_id=1, agency_id=agency.pk
        )
    second = create_checkpoint()
    checkpoint_file.write_text(checkpoint_file.read_text() + '{"at": "cut sh')  # torn line
    assert sync_checkpoint_file() == 1
    lines = checkpoint_file.read_text().splitlines()
    assert [json.loads(lines[0])["sig"], json.loads(lines[2])["sig"]] == [
        first.signature,
        second.signature,
    ]


def test_checkpoint_command_and_public_key(chains, checkpoint_file):
    out = io.StringIO()
    call_command("checkpoint_events", stdout=out)
    assert "Đã chốt" in out.getvalue() and "Đã ghi 1 dòng" in out.getvalue()
    out = io.StringIO()
    call_command("checkpoint_events", "--public-key", stdout=out)
    public = load_pem_public_key(out.getvalue().encode())
    line = json.loads(checkpoint_file.read_text())
    signature = base64.b64decode(line.pop("sig"))
    line.pop("key")
    public.verify(signature, checkpoints.canonical(line).encode())  # type: ignore[union-attr]


def test_checkpoints_go_to_the_configured_webhook(
    chains, checkpoint_file, settings, django_capture_on_commit_callbacks
):
    with StandInServer() as receiver:
        settings.EVENT_CHECKPOINT_WEBHOOK_URL = f"{receiver.url}/checkpoints"
        with django_capture_on_commit_callbacks(execute=True):
            checkpoint = create_checkpoint()
        assert checkpoint is not None
        message = OutboxMessage.objects.get(idempotency_key=f"event-checkpoint:{checkpoint.pk}")
        message.refresh_from_db()
        assert message.status == OutboxMessage.Status.DELIVERED
        received = receiver.accepted[message.idempotency_key]
    assert received.path == "/checkpoints"
    assert received.body["sig"] == checkpoint.signature
    assert received.body["heads"] == json.loads(checkpoint.body)["heads"]


# -- the database refuses -----------------------------------------------------------------------


def test_database_refuses_raw_delete_of_events_and_changes_to_checkpoints(chains):
    """Both databases (SQLite too, now) refuse DELETE of events and any change to checkpoints
    that goes around the application."""
    create_checkpoint()
    statements = [
        f"DELETE FROM events_event WHERE id = {chains['a'][-1].pk}",
        "DELETE FROM events_eventcheckpoint",
        "UPDATE events_eventcheckpoint SET body = '{}'",
    ]
    for sql in statements:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert Event.objects.count() == 10 and EventCheckpoint.objects.count() == 1
    assert verify_event_log().ok


def test_orm_refuses_to_change_or_remove_checkpoints(chains):
    checkpoint = create_checkpoint()
    assert checkpoint is not None
    with pytest.raises(PermissionError):
        EventCheckpoint.objects.all().delete()
    with pytest.raises(PermissionError):
        EventCheckpoint.objects.update(body="{}")
    with pytest.raises(PermissionError):
        checkpoint.delete()
    with pytest.raises(PermissionError):
        checkpoint.save()


def test_heads_match_their_events_after_the_guarded_append(chains, agency):
    head = ChainHead.objects.get(pk=chain_for(agency.pk))
    assert (head.seq, head.hash) == (5, chains["a"][-1].hash)


# -- PostgreSQL: the runtime role cannot move a chain head -------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="roles and grants are PostgreSQL's"
)


@pytest.fixture
def runtime_role():  # type: ignore[no-untyped-def]
    """A role given exactly the documented grants (inside the test transaction: rolled back)."""
    name = f"egov_rt_{connection.settings_dict['NAME']}"[:60].lower()
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} NOLOGIN")
    call_command("db_roles", "--role", name, "--apply", stdout=io.StringIO())
    return name


def as_role(role: str, sql: str, params: list[object] | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute(sql, params or [])


@postgres_only
def test_runtime_role_appends_events_but_cannot_rewind_a_head(chains, agency, runtime_role):
    chain = chain_for(agency.pk)
    before = chains["a"][-2]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {runtime_role}")
        appended = record_event(
            actor=SYSTEM, event_type="test.t", subject_type="x", subject_id=1, agency_id=agency.pk
        )
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert appended.seq == 6
    assert ChainHead.objects.get(pk=chain).seq == 6

    attempts = [
        (
            "UPDATE events_chainhead SET seq = %s, hash = %s WHERE chain = %s",
            [before.seq, before.hash, chain],
        ),
        ("DELETE FROM events_chainhead WHERE chain = %s", [chain]),
        (
            "INSERT INTO events_chainhead (chain, seq, hash) VALUES ('agency:999', 7, %s)",
            ["a" * 64],
        ),
        ("SELECT egov_events_advance_head(%s, %s, %s)", [chain, before.seq, before.hash]),
        ("DELETE FROM events_event WHERE id = %s", [appended.pk]),
        ("DELETE FROM events_eventcheckpoint", []),
        ("DELETE FROM events_checkpointtimestamp", []),
        ("UPDATE events_checkpointtimestamp SET token = ''", []),
    ]
    for sql, params in attempts:
        with pytest.raises(DatabaseError, match=r"permission denied|moves only onto"):
            as_role(runtime_role, sql, params)
    head = ChainHead.objects.get(pk=chain)
    assert (head.seq, head.hash) == (6, appended.hash)
    assert Event.objects.filter(chain=chain).count() == 6
    assert verify_event_log().ok


@postgres_only
def test_runtime_role_cannot_rewrite_the_lgsp_message_log(runtime_role):
    """The LGSP message log and its checkpoints (egov/sharing) are append-only for the runtime
    role as the event log is: reading is allowed, changing or emptying them is not."""
    for table in ("sharing_messagelogentry", "sharing_messagelogcheckpoint"):
        as_role(runtime_role, f"SELECT count(*) FROM {table}")
        for sql in (
            f"UPDATE {table} SET id = id",
            f"DELETE FROM {table}",
            f"TRUNCATE {table}",
        ):
            with pytest.raises(DatabaseError, match="permission denied"):
                as_role(runtime_role, sql)


@postgres_only
def test_a_runtime_role_granted_too_much_still_cannot_move_a_head(chains, agency, runtime_role):
    """A deployment that grants ALL on every table: the trigger still refuses a non-owner."""
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {runtime_role}")
    chain = chain_for(agency.pk)
    with pytest.raises(DatabaseError, match="egov_events_advance_head"):
        as_role(runtime_role, "UPDATE events_chainhead SET seq = 4 WHERE chain = %s", [chain])
    with pytest.raises(DatabaseError, match="append-only"):
        as_role(runtime_role, "DELETE FROM events_event WHERE chain = %s", [chain])
    assert ChainHead.objects.get(pk=chain).seq == 5


@postgres_only
def test_db_roles_prints_the_documented_grants():
    out = io.StringIO()
    call_command("db_roles", "--role", "egov_app", stdout=out)
    sql = out.getvalue()
    assert "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON events_chainhead FROM egov_app" in sql
    assert "sharing_messagelogentry, sharing_messagelogcheckpoint FROM egov_app" in sql
    assert "GRANT EXECUTE ON FUNCTION egov_events_advance_head" in sql
    with pytest.raises(CommandError):
        call_command("db_roles", "--role", "x; DROP TABLE y", stdout=io.StringIO())


def test_sqlite_delete_is_refused_to_other_programs_and_allowed_only_by_the_switch(tmp_path):
    """The SQLite trigger of migration 0005 on a file of its own: the sqlite3 shell (or any
    program without the application's function) cannot delete; the application's connection
    can only with the purge switch on."""
    import sqlite3
    from importlib import import_module

    from egov.events.dbguard import purge_allowed, register_sqlite_functions

    migration = import_module("egov.events.migrations.0005_guard_heads_and_checkpoints")
    path = tmp_path / "log.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE events_event (id INTEGER PRIMARY KEY)")
        db.execute("CREATE TABLE events_eventcheckpoint (id INTEGER PRIMARY KEY, body TEXT)")
        for statement in migration.SQLITE_INSTALL:
            db.execute(statement)
        db.execute("INSERT INTO events_event (id) VALUES (1), (2)")
    shell = sqlite3.connect(path)
    with pytest.raises(sqlite3.OperationalError, match="no such function"):
        shell.execute("DELETE FROM events_event")
    shell.close()

    class App:  # the part of a Django connection wrapper the receiver uses
        vendor = "sqlite"
        connection = sqlite3.connect(path)

    app = App()
    register_sqlite_functions(None, app)  # type: ignore[arg-type]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        app.connection.execute("DELETE FROM events_event WHERE id = 1")
    with purge_allowed(app):  # type: ignore[arg-type]
        app.connection.execute("DELETE FROM events_event WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        app.connection.execute("DELETE FROM events_event WHERE id = 2")
    assert app.connection.execute("SELECT id FROM events_event").fetchall() == [(2,)]
    app.connection.close()
