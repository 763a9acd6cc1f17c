"""The background worker: the outbox tasks, and Huey's queue on PostgreSQL shared by several
consumers (HUEY_BACKEND=postgres)."""

from __future__ import annotations

import datetime
import threading
import time
import uuid
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection, transaction

from egov.events import tasks
from egov.events.models import OutboxMessage
from egov.events.services import enqueue
from egov.events.standins import StandInServer

pytestmark = pytest.mark.django_db


# -- the outbox tasks -----------------------------------------------------------------------


def test_kick_task_delivers_the_message():
    with StandInServer() as server:
        with transaction.atomic():
            message = enqueue("webhook", {"url": server.url}, idempotency_key="task-1")
        tasks.deliver_outbox_message(message.pk)  # immediate mode in tests: runs now
        message.refresh_from_db()
        assert message.status == "delivered"
        assert server.accepted_keys() == ["task-1"]


def test_periodic_sweep_delivers_what_the_kick_missed():
    with StandInServer() as server:
        with transaction.atomic():  # the on-commit kick is never run here: only the sweep
            for i in range(3):
                enqueue("webhook", {"url": server.url}, idempotency_key=f"sweep-{i}")
        tasks.sweep_outbox.call_local()
        assert OutboxMessage.objects.filter(status="delivered").count() == 3
        assert sorted(server.accepted_keys()) == ["sweep-0", "sweep-1", "sweep-2"]


def test_nightly_verification_logs_a_broken_chain(caplog, agency):
    from egov.core.actors import SYSTEM
    from egov.events.services import record_event

    from .conftest import tamper_sql

    with transaction.atomic():
        event = record_event(
            actor=SYSTEM, event_type="test.t", subject_type="x", subject_id=1, agency_id=agency.pk
        )
    tasks.verify_event_log_nightly.call_local()
    assert "event log verified" in caplog.text
    tamper_sql("UPDATE events_event SET subject_id = '2' WHERE id = %s", [event.pk])
    tasks.verify_event_log_nightly.call_local()
    assert "EVENT LOG BROKEN" in caplog.text and f"id={event.pk}" in caplog.text


# -- Huey on PostgreSQL ---------------------------------------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL queue needs PostgreSQL"
)


def _test_db_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


_open_hueys: list[Any] = []


@pytest.fixture(autouse=True)
def _close_queue_connections():  # type: ignore[no-untyped-def]
    """Huey's connections are its own (not Django's): close them so the test database can go."""
    yield
    while _open_hueys:
        _open_hueys.pop().storage.close()


def _huey(queue: str) -> Any:
    from egov.core.huey_backends import PostgresHuey

    huey = PostgresHuey(queue, database=_test_db_url(), immediate=False)
    _open_hueys.append(huey)

    @huey.task(name="add")
    def add(a: int, b: int) -> int:
        return a + b

    return huey, add


@postgres_only
def test_postgres_queue_tables_are_prefixed():
    _huey(f"q{uuid.uuid4().hex[:8]}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'huey%%'")
        tables = {row[0] for row in cursor.fetchall()}
    assert {"huey_task", "huey_schedule", "huey_kv", "huey_counter"} <= tables


@postgres_only
def test_processes_starting_at_once_on_a_new_database_all_start():
    """Every process creates Huey's tables when it starts; eight at once on a new database
    collided in PostgreSQL's catalogue (the local cluster's first start failed, issue #19)."""
    from egov.core.huey_backends import PostgresStorage

    name = f"egov_huey_start_{uuid.uuid4().hex[:8]}"
    admin_url = _test_db_url().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = admin_url.rsplit("/", 1)[0] + f"/{name}"
            barrier = threading.Barrier(8)
            errors: list[str] = []

            def start() -> None:
                barrier.wait()
                try:
                    PostgresStorage(name="egov", database=url).close()
                except Exception as exc:  # reported below
                    errors.append(repr(exc))

            threads = [threading.Thread(target=start) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert errors == []
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@postgres_only
def test_two_consumers_share_the_queue_and_never_take_the_same_task():
    queue = f"q{uuid.uuid4().hex[:8]}"
    producer, add = _huey(queue)
    results = [add(i, i) for i in range(30)]
    assert producer.pending_count() == 30

    consumers = [_huey(queue)[0] for _ in range(2)]
    taken: dict[int, list[str]] = {0: [], 1: []}
    barrier = threading.Barrier(2)

    def consume(n: int) -> None:
        huey = consumers[n]
        barrier.wait()
        while (task := huey.dequeue()) is not None:
            taken[n].append(task.id)
            huey.execute(task)
            time.sleep(0.005)
        huey.storage.close()

    threads = [threading.Thread(target=consume, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    all_taken = taken[0] + taken[1]
    assert len(all_taken) == len(set(all_taken)) == 30
    assert taken[0] and taken[1]
    assert sorted(r.get() for r in results) == sorted(2 * i for i in range(30))


@postgres_only
def test_a_locked_task_is_skipped_not_waited_for():
    """While one consumer holds a task, another takes the next one at once."""
    queue = f"q{uuid.uuid4().hex[:8]}"
    _producer, add = _huey(queue)
    first, second = add(1, 1), add(2, 2)
    with psycopg.connect(_test_db_url().replace("postgres://", "postgresql://", 1)) as conn:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT id FROM huey_task WHERE queue = %s ORDER BY priority DESC, id LIMIT 1 "
                "FOR UPDATE",
                [queue],
            )
            started = time.monotonic()
            other, _ = _huey(queue)
            task = other.dequeue()
            assert time.monotonic() - started < 5
            assert task is not None and task.id == second.id
        conn.rollback()
    task = other.dequeue()
    assert task is not None and task.id == first.id


@postgres_only
def test_schedule_is_shared_between_consumers():
    queue = f"q{uuid.uuid4().hex[:8]}"
    producer, add = _huey(queue)
    result = add.schedule((20, 22), delay=300)

    consumer_a, _ = _huey(queue)
    task = consumer_a.dequeue()
    assert task is not None and not consumer_a.ready_to_run(task)
    eta = task.eta  # naive UTC, as Huey keeps it
    consumer_a.add_schedule(task)  # what the consumer does with a task that is not due
    assert producer.scheduled_count() == 1

    consumer_b, _ = _huey(queue)
    assert consumer_b.read_schedule(eta - datetime.timedelta(minutes=1)) == []
    due = consumer_b.read_schedule(eta + datetime.timedelta(seconds=1))
    assert [t.id for t in due] == [task.id]
    assert consumer_a.read_schedule(eta + datetime.timedelta(seconds=1)) == []  # taken once
    consumer_b.execute(due[0], timestamp=eta + datetime.timedelta(seconds=1))
    assert result.get() == 42  # the result store is shared too


def test_postgres_huey_refuses_other_databases():
    from huey.exceptions import ConfigurationError

    from egov.core.huey_backends import PostgresHuey

    with pytest.raises(ConfigurationError):
        PostgresHuey("x", database="sqlite:///tmp/x.db")
    with pytest.raises(ConfigurationError):
        PostgresHuey("x", database="")
