"""A worker killed with SIGKILL between the callback and the receipt loses nothing: the receipt is
issued after the restart, once, by the real issuer (services/receipts.py: numbered, printed as a
PDF sealed with the agency's certificate and as a signed XML).

Real processes on the PostgreSQL test database: the web application under gunicorn (it takes the
stand-in platform's callback and settles the payment: the payment.paid event and the receipt's
outbox message in one transaction), and `manage.py run_huey` (it delivers that message). The
agency's seal certificate is in the test database before the processes start. The test holds an
EXCLUSIVE lock on the receipts table, so the worker's delivery blocks half-way (the message
claimed, the number taken, the PDF and XML made and signed, the receipt row not written); then
the worker is killed with SIGKILL, the lock let go, a new worker started, and the message - whose
claim has run out - delivered by it: the killed transaction gave its number back, so the receipt
is number 1. The files the killed worker had written stay on disk unreferenced (a SIGKILL runs no
clean-up); the receipt points at the ones its own delivery wrote.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from egov.dossiers.models import PaymentState
from egov.events.models import Event, OutboxMessage
from egov.payments.models import AttemptStatus, Callback, PaymentStatus, Receipt
from egov.payments.services import receipts
from egov.payments.standin import PaymentPlatformStandIn

from .conftest import PARTNER_SECRET, payment_of
from .national_support import press, start_attempt
from .receipts_helpers import seal_fixture, seal_hierarchy_fixture  # noqa: F401

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="real worker processes share PostgreSQL"
    ),
]

WORKER_APP = "egov-test-worker"


def _db_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgresql://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


def _wait(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _worker_backends(*, waiting: bool = False) -> int:
    sql = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
    if waiting:
        sql += " AND wait_event_type = 'Lock'"
    with connection.cursor() as cursor:
        cursor.execute(sql, [WORKER_APP])
        return int(cursor.fetchone()[0])


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "run_huey"],
            cwd=settings.BASE_DIR,
            env={**env, "PGAPPNAME": WORKER_APP},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_a_worker_killed_before_the_receipt_loses_nothing(
    settings, tmp_path, criminal_record, seal, submit, make_citizen
):
    from huey import SqliteHuey

    from egov.bench.server import AppServer
    from egov.events import tasks as event_tasks

    queue_file = tmp_path / "huey.sqlite3"
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    payment = payment_of(dossier)
    platform = PaymentPlatformStandIn(
        secret=PARTNER_SECRET, partner=settings.PAYMENT_PARTNER_CODE
    ).start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "egov.payments.tests.process_settings",
        "DATABASE_URL": _db_url(),
        "EGOV_TEST_HUEY_FILE": str(queue_file),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),  # the receipts' files, read back here
        "PAYMENT_PLATFORM_URL": platform.url,
        "PAYMENT_PARTNER_CODE": settings.PAYMENT_PARTNER_CODE,
        "PAYMENT_PARTNER_SECRET": PARTNER_SECRET,
        # A backend whose client died notices it within a second, even while it waits on a
        # lock (PostgreSQL 14+), and lets its locks go.
        "PGOPTIONS": "-c client_connection_check_interval=1000",
        "PYTHONUNBUFFERED": "1",
    }
    web = AppServer(env=env, log_path=tmp_path / "web.log", workers=1)
    worker: subprocess.Popen[bytes] | None = None
    lock = psycopg.connect(_db_url())
    try:
        web.start()
        settings.PAYMENT_PLATFORM_URL = platform.url
        settings.PAYMENT_PUBLIC_URL = web.base_url
        attempt = start_attempt(citizen, payment, reference="QG-KILL-1")  # INIT sent here
        attempt.refresh_from_db()
        assert attempt.status == AttemptStatus.OPEN
        worker = _start_worker(env, tmp_path / "worker.log")

        with lock.cursor() as cursor:  # the receipt cannot be written until we let go
            cursor.execute("LOCK TABLE payments_receipt IN EXCLUSIVE MODE")

        press(attempt.redirect_url)  # the platform calls the web process back

        [sent] = platform.callbacks
        assert sent.answer and sent.answer["MaLoi"] == "00", sent
        key = f"receipt-{payment.code}"
        _wait(
            lambda: (
                OutboxMessage.objects.filter(idempotency_key=key, status="delivering").exists()
                and _worker_backends(waiting=True) > 0
            ),
            "the worker to block half-way through the receipt",
        )

        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        lock.rollback()
        _wait(lambda: _worker_backends() == 0, "the killed worker's connections to close")

        # Paid, the money recorded, the receipt not issued, its message still held.
        payment.refresh_from_db()
        dossier.refresh_from_db()
        assert payment.status == PaymentStatus.PAID
        assert (dossier.payment_state, dossier.amount_paid) == (PaymentState.PAID, payment.amount)
        assert Receipt.objects.filter(payment=payment).count() == 0
        message = OutboxMessage.objects.get(idempotency_key=key)
        assert (message.status, message.attempts) == ("delivering", 1)

        worker = _start_worker(env, tmp_path / "worker.log")
        time.sleep(2.5)  # the killed worker's claim runs out (lease: 2 s, process_settings)
        kick = SqliteHuey("egov", filename=str(queue_file)).task()(
            event_tasks.deliver_outbox_message
        )
        kick(message.pk)  # as the periodic sweep would, sooner
        _wait(
            lambda: OutboxMessage.objects.filter(idempotency_key=key, status="delivered").exists(),
            "the restarted worker to issue the receipt",
        )

        receipt = Receipt.objects.get(payment=payment)
        assert (receipt.series, receipt.number) == ("TP-26E", 1)
        checked = receipts.check(receipt)  # both files there, as issued, signatures valid
        assert checked.valid, checked.errors
        assert checked.signer
        [issued] = Event.objects.filter(
            event_type="payment.receipt_issued", subject_id=payment.code
        )
        assert issued.payload["number"] == 1
        assert (issued.payload["pdf_sha256"], issued.payload["xml_sha256"]) == (
            receipt.pdf_sha256,
            receipt.xml_sha256,
        )
        assert Event.objects.filter(event_type="payment.paid").count() == 1
        assert Callback.objects.filter(verdict="accepted").count() == 1
        assert OutboxMessage.objects.get(idempotency_key=key).attempts == 2
    finally:
        lock.close()
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=5)
        web.stop()
        platform.stop()
        _wait(lambda: _worker_backends() == 0, "the worker's connections to close", 30)
