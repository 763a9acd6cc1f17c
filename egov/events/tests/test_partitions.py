"""The event log partitioned by month (PostgreSQL): partitions made ahead, the DEFAULT safety
net, months archived, and the chains verified across partitions and past the archived months.

SQLite has no partitions: those tests are skipped there, and the commands say so.
"""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from egov.core.actors import SYSTEM
from egov.events import partitions, tasks
from egov.events.models import Event, EventArchive
from egov.events.services import create_checkpoint, record_event, verify_event_log

from .conftest import tamper_sql

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="declarative partitioning is PostgreSQL's; on SQLite the log stays one table",
)


def _at(year: int, month: int, day: int = 10) -> datetime:
    return datetime(year, month, day, 5, 0, tzinfo=UTC)


def _record(month: tuple[int, int], n: int, agency_id: int | None, day: int = 10) -> list[Event]:
    with time_machine.travel(_at(*month, day), tick=True), transaction.atomic():
        return [
            record_event(
                actor=SYSTEM,
                event_type="test.step",
                subject_type="dossier",
                subject_id=f"{month}-{i}",
                agency_id=agency_id,
                payload={"n": i},
            )
            for i in range(n)
        ]


def _table_of(event: Event) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM events_event WHERE id = %s", [event.pk]
        )
        return str(cursor.fetchone()[0])


def _verify_command() -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_events", stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


@pytest.fixture
def three_months(agency):  # type: ignore[no-untyped-def]
    """Events in January, February and March 2025 in an agency's chain and the global one."""
    for month in ((2025, 1), (2025, 2), (2025, 3)):
        assert partitions.ensure_month(month) == partitions.partition_name(month)
    return {
        month: _record(month, 3, agency.pk) + _record(month, 2, None)
        for month in ((2025, 1), (2025, 2), (2025, 3))
    }


# -- the acceptance test ------------------------------------------------------------------------


@postgres_only
def test_oldest_month_detached_the_rest_verifies_and_tampering_is_still_found(three_months):
    assert partitions.supported()
    january = three_months[(2025, 1)]
    assert {_table_of(e) for e in january} == {"events_event_p2025_01"}
    assert verify_event_log().ok

    archive = partitions.archive_before((2025, 2), actor=SYSTEM)

    assert archive.partitions == ["events_event_p2025_01"]
    assert archive.rows == 5
    agency_chain = january[0].chain
    assert archive.chains[agency_chain]["last_seq"] == 3
    assert archive.chains[agency_chain]["last_hash"] == january[2].hash
    assert not Event.objects.filter(pk__in=[e.pk for e in january]).exists()
    # The detaching is an event of the global chain.
    detached = Event.objects.filter(event_type="event_archive.partitions_archived").get()
    assert detached.chain == "global"
    assert detached.payload["rows"] == 5
    # The detached table is still there and still append-only.
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM events_event_p2025_01")

    result = verify_event_log()
    assert result.ok, result.first_break
    assert result.archived_events == 5
    assert [a.pk for a in result.archives] == [archive.pk]
    code, output = _verify_command()
    assert code == 0
    assert "Sự kiện từ 01/2025 đến hết 01/2025 (5 sự kiện" in output
    assert "không được kiểm tra ở đây" in output
    assert "5 sự kiện đã lưu trữ không kiểm tra ở đây" in output

    # Tampering with what remains is still found.
    february = three_months[(2025, 2)]
    tamper_sql("UPDATE events_event SET payload = '{\"n\": 99}' WHERE id = %s", [february[1].pk])
    result = verify_event_log()
    assert not result.ok
    assert result.first_break is not None
    assert result.first_break.code == "hash_mismatch"
    assert result.first_break.event_id == february[1].pk
    code, output = _verify_command()
    assert code == 1 and "hash_mismatch" in output


@postgres_only
def test_the_first_attached_event_must_link_onto_the_archived_end(three_months):
    partitions.archive_before((2025, 2), actor=SYSTEM)
    first_left = three_months[(2025, 2)][0]
    # Rewriting the first remaining event onto another past (its own hash recomputed would need
    # the whole row rewritten; a changed link alone is caught either way).
    tamper_sql("UPDATE events_event SET prev_hash = %s WHERE id = %s", ["f" * 64, first_left.pk])
    result = verify_event_log()
    assert not result.ok
    assert result.first_break is not None
    assert result.first_break.event_id == first_left.pk
    assert result.first_break.code == "prev_hash_mismatch"


@postgres_only
def test_deleting_the_first_events_after_the_archive_is_found(three_months):
    partitions.archive_before((2025, 2), actor=SYSTEM)
    february = three_months[(2025, 2)]
    tamper_sql("DELETE FROM events_event WHERE id = %s", [february[0].pk])
    result = verify_event_log()
    assert not result.ok
    assert result.first_break is not None
    assert result.first_break.code == "seq_gap"


@postgres_only
def test_a_chain_wholly_archived_still_matches_its_head_and_checkpoint(agency, other_agency):
    partitions.ensure_month((2025, 1))
    partitions.ensure_month((2025, 2))
    only_january = _record((2025, 1), 2, other_agency.pk)
    _record((2025, 2), 1, agency.pk)
    checkpoint = create_checkpoint()
    assert checkpoint is not None
    partitions.archive_before((2025, 2), actor=SYSTEM)
    assert not Event.objects.filter(chain=only_january[0].chain).exists()
    result = verify_event_log()
    assert result.ok, result.first_break
    assert result.archived_pins == 1  # the checkpoint's pin, checked against the archive record


@postgres_only
def test_archiving_refuses_an_empty_range_and_a_drop_without_dump(three_months):
    with pytest.raises(partitions.PartitionError):
        partitions.archive_before((2024, 1), actor=SYSTEM)
    with pytest.raises(partitions.PartitionError):
        partitions.archive_before((2025, 2), actor=SYSTEM, drop=True)
    assert not EventArchive.objects.exists()


@postgres_only
def test_archiving_refuses_a_tampered_range(three_months):
    tamper_sql(
        "UPDATE events_event SET payload = '{}' WHERE id = %s", [three_months[(2025, 1)][1].pk]
    )
    with pytest.raises(partitions.PartitionError, match="không liền mạch"):
        partitions.archive_before((2025, 2), actor=SYSTEM)
    assert not EventArchive.objects.exists()


@postgres_only
def test_archive_records_are_append_only(three_months):
    archive = partitions.archive_before((2025, 2), actor=SYSTEM)
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE events_eventarchive SET rows = 0 WHERE id = %s", [archive.pk])


# -- uniqueness and the append-only guard on partitions -----------------------------------------


@postgres_only
def test_duplicate_chain_seq_is_refused_in_a_partition_and_found_across_partitions(three_months):
    event = three_months[(2025, 2)][0]
    columns = (
        "chain, seq, occurred_at, actor_kind, actor_label, subject_type, subject_id, "
        "event_type, payload, prev_hash, hash"
    )
    copy = (
        f"INSERT INTO events_event ({columns}) SELECT chain, seq, occurred_at + %s::interval, "
        "actor_kind, actor_label, subject_type, subject_id, event_type, payload, prev_hash, "
        "%s FROM events_event WHERE id = %s"
    )
    # Same month: the partition's unique index refuses it.
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(copy, ["1 hour", "a" * 64, event.pk])
    # Another month: the database takes it (uniqueness is per partition) and verify_events
    # names it.
    with connection.cursor() as cursor:
        cursor.execute(copy, ["35 days", "b" * 64, event.pk])
    result = verify_event_log()
    assert not result.ok
    assert result.first_break is not None
    assert result.first_break.chain == event.chain


@postgres_only
def test_partitions_are_append_only(three_months):
    event = three_months[(2025, 3)][0]
    for sql in (
        "UPDATE events_event_p2025_03 SET payload = '{}'",
        f"DELETE FROM events_event_p2025_03 WHERE id = {event.pk}",
        "TRUNCATE events_event_p2025_03",
        "TRUNCATE events_event",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL egov.events_purge = 'off'")
                cursor.execute(sql)


# -- partitions made ahead, and the DEFAULT safety net -------------------------------------------


@postgres_only
def test_the_worker_makes_the_current_month_and_the_months_ahead(settings):
    settings.EVENT_PARTITIONS_AHEAD = 2
    with time_machine.travel(_at(2031, 11), tick=True):
        tasks.ensure_event_partitions()
    names = {p.name for p in partitions.list_partitions() if p.attached}
    assert {"events_event_p2031_11", "events_event_p2031_12", "events_event_p2032_01"} <= names
    assert "events_event_p2032_02" not in names
    assert partitions.ensure_partitions(now=_at(2031, 11), ahead=2) == []  # already there
    # Bounds are the local (Asia/Ho_Chi_Minh) month: 1 Dec 2031 00:30 local is in December.
    event = _record((2031, 11), 1, None, day=30)[0]
    assert _table_of(event) == "events_event_p2031_11"
    with time_machine.travel(datetime(2031, 11, 30, 17, 30, tzinfo=UTC), tick=False):
        with transaction.atomic():
            late = record_event(
                actor=SYSTEM, event_type="test.global", subject_type="user", subject_id=1
            )
    assert _table_of(late) == "events_event_p2031_12"


@postgres_only
def test_rows_in_the_default_partition_are_reported_and_moved_into_their_month(caplog):
    stray = _record((2024, 6), 2, None)
    assert {_table_of(e) for e in stray} == {"events_event_default"}
    with caplog.at_level(logging.ERROR, logger="egov.events.partitions"):
        assert partitions.check_default_partition() == 2
    assert "events_event_default" in caplog.text
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("events_partitions", "--check", stdout=out, stderr=err)

    call_command("events_partitions", "--create", "2024-06", stdout=out, stderr=err)

    assert partitions.default_partition_rows() == 0
    assert {_table_of(e) for e in stray} == {"events_event_p2024_06"}
    assert verify_event_log().ok
    assert "events_event_p2024_06" in out.getvalue()


# -- SQLite ----------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite behaviour")
def test_sqlite_has_no_partitions_and_says_so(chains):
    assert not partitions.supported()
    assert partitions.ensure_partitions() == []
    assert partitions.default_partition_rows() == 0
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("events_partitions", stdout=io.StringIO())
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("events_archive", "--before", "2025-01", stdout=io.StringIO())
    assert verify_event_log().ok


def test_dump_target_is_never_overwritten(tmp_path: Path) -> None:
    """The dump is the archive: a second run does not replace it (checked before pg_dump)."""
    existing = tmp_path / "events_2025-01_2025-01.dump"
    existing.write_bytes(b"archive")
    plan = partitions.ArchivePlan(
        partitions=["events_event_p2025_01"],
        first_month=(2025, 1),
        last_month=(2025, 1),
        range_start=partitions.month_start((2025, 1)),
        range_end=partitions.month_start((2025, 2)),
    )
    with pytest.raises(partitions.PartitionError, match="không ghi đè"):
        partitions._dump(plan, tmp_path)
    assert existing.read_bytes() == b"archive"


@postgres_only
def test_the_runtime_role_appends_and_makes_partitions_but_cannot_change_them(three_months):
    """`db_roles`: the runtime role appends through the parent, gets next month's partition
    through the owner's function, and can change no partition directly."""
    role = f"egov_rtp_{connection.settings_dict['NAME']}"[:60].lower()
    role = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in role)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
    call_command("db_roles", "--role", role, "--apply", stdout=io.StringIO())
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {role}")
        assert partitions.ensure_month((2025, 4)) == "events_event_p2025_04"
        with time_machine.travel(_at(2025, 4), tick=True):
            record_event(actor=SYSTEM, event_type="test.global", subject_type="user", subject_id=1)
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    for sql in (
        "DELETE FROM events_event_p2025_03",
        "UPDATE events_event_default SET payload = '{}'",
        "TRUNCATE events_event_p2025_02",
        "DELETE FROM events_eventarchive",
    ):
        with pytest.raises(DatabaseError, match=r"permission denied|append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL ROLE {role}")
                cursor.execute(sql)
    assert verify_event_log().ok


@postgres_only
def test_an_archive_record_rewritten_behind_its_event_is_found(three_months):
    """The detaching event carries the SHA-256 of the record's chain ranges."""
    archive = partitions.archive_before((2025, 2), actor=SYSTEM)
    assert verify_event_log().ok
    chain = three_months[(2025, 1)][0].chain
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE events_eventarchive DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE events_eventarchive SET chains = jsonb_set(chains, %s, '2') WHERE id = %s",
            [f"{{{chain},rows}}", archive.pk],
        )
        cursor.execute("ALTER TABLE events_eventarchive ENABLE TRIGGER USER")
    result = verify_event_log()
    assert not result.ok
    assert result.first_break is not None
    assert result.first_break.code == "archive_record_mismatch"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_archive_with_pg_dump_and_drop(agency, tmp_path: Path) -> None:
    """pg_dump reads committed rows, so this one commits: the dump's SHA-256 is recorded, the
    table is dropped, and verify_events names the file."""
    try:
        for month in ((2023, 1), (2023, 2)):
            partitions.ensure_month(month)
            _record(month, 2, agency.pk)
        out = io.StringIO()
        call_command(
            "events_archive",
            "--before",
            "2023-02",
            "--dump-dir",
            str(tmp_path),
            "--drop",
            stdout=out,
        )
        archive = EventArchive.objects.get()
        dump = Path(archive.dump_file)
        assert dump.exists() and dump.stat().st_size > 0
        assert hashlib.sha256(dump.read_bytes()).hexdigest() == archive.dump_sha256
        assert archive.dropped
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('events_event_p2023_01')")
            assert cursor.fetchone()[0] is None
        # A dropped month is never made again by the worker.
        assert partitions.ensure_month((2023, 1)) is None
        code, output = _verify_command()
        assert code == 0, output
        assert str(dump) in output and archive.dump_sha256 in output
    finally:
        with connection.cursor() as cursor:
            for name in ("events_event_p2023_01", "events_event_p2023_02"):
                cursor.execute(f"DROP TABLE IF EXISTS {name}")
