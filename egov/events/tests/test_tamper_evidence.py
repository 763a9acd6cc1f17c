"""The event log is append-only and any change made behind the application's back is found."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from egov.core.actors import SYSTEM
from egov.events.models import ChainHead, Event
from egov.events.services import chain_for, compute_hash, record_event, verify_event_log

from .conftest import tamper_sql

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs the PostgreSQL trigger"
)


@pytest.fixture(autouse=True)
def _no_purge_mode(db):  # type: ignore[no-untyped-def]
    """Test settings may open connections in purge mode (so test-database resets can empty the
    event table); these tests look at the guard as production sees it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL egov.events_purge = 'off'")


def run_verify() -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_events", stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, out.getvalue()


# -- an intact log --------------------------------------------------------------------------


def test_intact_log_verifies_with_counts(chains):
    code, output = run_verify()
    assert code == 0
    assert output.startswith("OK: 3 chuỗi, 10 sự kiện")


def test_verification_reads_in_pages_not_all_at_once(agency):
    with transaction.atomic():
        for i in range(25):
            record_event(
                actor=SYSTEM,
                event_type="test.t",
                subject_type="x",
                subject_id=i,
                agency_id=agency.pk,
            )
    with CaptureQueriesContext(connection) as queries:
        result = verify_event_log(chunk_size=10)
    assert result.ok and result.events == 25
    event_reads = [
        q["sql"]
        for q in queries
        if 'FROM "events_event"' in q["sql"] and '"events_event"."payload"' in q["sql"]
    ]
    assert len(event_reads) >= 3  # 25 rows in pages of 10
    assert all("LIMIT 10" in sql for sql in event_reads)


def test_one_chain_can_be_checked_alone(chains, agency):
    result = verify_event_log(chain=chain_for(agency.pk))
    assert result.ok and result.chains == 1 and result.events == 5


# -- tampering with direct SQL is found, naming the row --------------------------------------


def test_edited_payload_is_found(chains):
    target = chains["a"][2]
    tamper_sql(
        "UPDATE events_event SET payload = %s WHERE id = %s",
        [json.dumps({"n": 99, "ghi_chu": "Hồ sơ đất đai"}), target.pk],
    )
    result = verify_event_log()
    assert not result.ok
    broken = result.first_break
    assert broken is not None
    assert (broken.event_id, broken.chain, broken.seq, broken.code) == (
        target.pk,
        target.chain,
        3,
        "hash_mismatch",
    )
    code, message = run_verify()
    assert code == 1
    assert f"id={target.pk}" in message and "seq=3" in message and "hash" in message


def test_edited_event_type_is_found(chains):
    target = chains["b"][0]
    tamper_sql("UPDATE events_event SET event_type = 'test.harmless' WHERE id = %s", [target.pk])
    broken = verify_event_log().first_break
    assert broken is not None
    assert (broken.event_id, broken.seq, broken.code) == (target.pk, 1, "hash_mismatch")


def test_deleted_middle_row_is_found_at_the_row_after_the_gap(chains):
    deleted, after = chains["a"][1], chains["a"][2]
    tamper_sql("DELETE FROM events_event WHERE id = %s", [deleted.pk])
    broken = verify_event_log().first_break
    assert broken is not None
    assert (broken.event_id, broken.seq, broken.code) == (after.pk, 3, "seq_gap")
    assert "2..2" in broken.message
    code, message = run_verify()
    assert code == 1 and f"id={after.pk}" in message


def test_deleted_last_row_is_found_by_the_chain_head(chains):
    tamper_sql("DELETE FROM events_event WHERE id = %s", [chains["b"][-1].pk])
    broken = verify_event_log().first_break
    assert broken is not None
    assert (broken.event_id, broken.code) == (chains["b"][-2].pk, "head_ahead")


def _forge(chain: str, seq: int, prev_hash: str, agency_id: int | None, *, good_hash: bool) -> int:
    from django.utils import timezone

    fields = {
        "chain": chain,
        "seq": seq,
        "occurred_at": timezone.now(),
        "actor_kind": "system",
        "actor_user_id": None,
        "actor_api_client_id": None,
        "actor_label": "system",
        "agency_id": agency_id,
        "subject_type": "dossier",
        "subject_id": "FORGED",
        "event_type": "dossier.approved",
        "payload": {"forged": True},
    }
    digest = compute_hash(prev_hash=prev_hash, **fields) if good_hash else "f" * 64
    tamper_sql(
        "INSERT INTO events_event (chain, seq, occurred_at, actor_kind, actor_user_id, "
        "actor_api_client_id, actor_label, agency_id, subject_type, subject_id, event_type, "
        "payload, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [
            chain,
            seq,
            fields["occurred_at"],
            "system",
            None,
            None,
            "system",
            agency_id,
            "dossier",
            "FORGED",
            "dossier.approved",
            json.dumps(fields["payload"]),
            prev_hash,
            digest,
        ],
    )
    return int(Event.objects.get(hash=digest).pk)


def test_forged_row_with_a_made_up_hash_is_found(chains, agency):
    last = chains["a"][-1]
    forged = _forge(last.chain, 6, last.hash, agency.pk, good_hash=False)
    broken = verify_event_log().first_break
    assert broken is not None
    assert (broken.event_id, broken.seq, broken.code) == (forged, 6, "hash_mismatch")


def test_forged_row_with_a_correct_hash_is_found_by_the_chain_head(chains, agency):
    """Someone who knows the hashing scheme still cannot append without moving the head."""
    last = chains["a"][-1]
    forged = _forge(last.chain, 6, last.hash, agency.pk, good_hash=True)
    broken = verify_event_log().first_break
    assert broken is not None
    assert (broken.event_id, broken.seq, broken.code) == (forged, 6, "head_behind")
    code, message = run_verify()
    assert code == 1 and f"id={forged}" in message


def test_forged_chain_without_a_head_is_found(chains):
    from egov.events.services import GENESIS_HASH

    forged = _forge("agency:999999", 1, GENESIS_HASH, 999999, good_hash=True)
    broken = verify_event_log().first_break
    assert broken is not None
    assert (broken.event_id, broken.code) == (forged, "head_missing")


# -- append-only: the application refuses, and on PostgreSQL so does the database -------------


def test_orm_refuses_to_change_or_remove_events(chains):
    event = chains["a"][0]
    with pytest.raises(PermissionError):
        Event.objects.filter(pk=event.pk).update(event_type="x")
    with pytest.raises(PermissionError):
        Event.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        Event.objects.all().delete()
    event.event_type = "x"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError), transaction.atomic():
        Event.objects.bulk_update([event], ["event_type"])
    assert verify_event_log().ok


def test_database_refuses_raw_update(chains):
    """Both databases refuse an UPDATE that goes around the application."""
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE events_event SET payload = '{}' WHERE id = %s", [chains["a"][0].pk])
    assert verify_event_log().ok


@postgres_only
def test_postgres_refuses_raw_delete_and_truncate(chains):
    for sql in (
        f"DELETE FROM events_event WHERE id = {chains['a'][1].pk}",
        "TRUNCATE events_event",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert Event.objects.count() == 10
    assert verify_event_log().ok


@postgres_only
def test_the_table_owner_can_still_update_chain_heads(chains, agency):
    """The owner (migrations, repairs) may; a runtime role may not (test_security_checkpoints)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE events_chainhead SET seq = seq WHERE chain = %s", [chain_for(agency.pk)]
        )
        assert cursor.rowcount == 1


@postgres_only
def test_purge_needs_the_table_owner_and_an_explicit_setting(chains):
    """A runtime role that does not own the table cannot purge even with the setting on;
    the owner can, but only after saying so (records retention, test database resets)."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE egov_events_runtime_test NOLOGIN")
        cursor.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON events_event TO egov_events_runtime_test"
        )
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute("SET LOCAL egov.events_purge = 'on'")
            cursor.execute("SET LOCAL ROLE egov_events_runtime_test")
            cursor.execute("DELETE FROM events_event")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute("DELETE FROM events_event")  # owner, but without the setting
        with transaction.atomic():
            cursor.execute("SET LOCAL egov.events_purge = 'on'")
            cursor.execute("DELETE FROM events_event WHERE chain = 'global'")
            assert cursor.rowcount == 2


@postgres_only
def test_trigger_off_then_tamper_is_still_found(chains):
    """A superuser can switch the trigger off; the hash chain still gives them away."""
    target = chains["g"][1]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE events_event SET subject_id = 'other' WHERE id = %s", [target.pk])
    tamper_sql("UPDATE events_event SET subject_id = 'other' WHERE id = %s", [target.pk])
    broken = verify_event_log().first_break
    assert broken is not None and broken.event_id == target.pk


def test_heads_match_after_normal_writes(chains, agency):
    head = ChainHead.objects.get(pk=chain_for(agency.pk))
    assert head.seq == 5 and head.hash == chains["a"][-1].hash
