"""The outbox: messages leave only after their transaction commits, are retried with backoff,
reach the remote side with their idempotency key, and are delivered once."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from egov.core.actors import Actor
from egov.core.errors import NotAllowed
from egov.events import services
from egov.events.models import Event, OutboxMessage
from egov.events.services import (
    claim_due,
    dispatch_due,
    enqueue,
    outbox_stats,
    register_deliverer,
    retry_dead,
    sweep_outbox,
)
from egov.events.standins import StandInServer

pytestmark = pytest.mark.django_db

OPERATOR = Actor(kind="operator", user_id=1, label="quantri")


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    with StandInServer() as s:
        yield s


def webhook(
    server: StandInServer, key: str, body: dict | None = None, **kw: object
) -> OutboxMessage:
    with transaction.atomic():
        return enqueue(
            "webhook",
            {"url": f"{server.url}/hook", "body": body or {"k": key}},
            idempotency_key=key,
            **kw,
        )


# -- enqueueing belongs to the caller's transaction -----------------------------------------


def test_message_is_sent_right_after_the_transaction_commits(
    server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        enqueue(
            "webhook",
            {"url": f"{server.url}/hook", "body": {"ho_so": "H41-250701-0001"}},
            idempotency_key="dossier:1:received",
        )
        assert server.requests == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    assert server.accepted_keys() == ["dossier:1:received"]
    assert server.accepted["dossier:1:received"].body == {"ho_so": "H41-250701-0001"}
    message = OutboxMessage.objects.get()
    assert message.status == OutboxMessage.Status.DELIVERED and message.delivered_at


def test_rolled_back_transaction_leaves_no_message_and_sends_nothing(
    server, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue("webhook", {"url": f"{server.url}/hook"}, idempotency_key="k-rollback")
        raise RuntimeError("the state change failed")
    assert callbacks == []
    assert not OutboxMessage.objects.exists()
    assert dispatch_due(now=timezone.now() + timedelta(days=1)).claimed == 0
    assert server.requests == []


def test_same_key_twice_keeps_one_message(server):
    with transaction.atomic():
        first = enqueue("webhook", {"url": server.url}, idempotency_key="same")
        second = enqueue("webhook", {"url": server.url, "other": 1}, idempotency_key="same")
    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1
    assert OutboxMessage.objects.get().payload == {"url": server.url}


# -- retries, backoff, idempotency ----------------------------------------------------------


@override_settings(OUTBOX_BACKOFF_BASE_SECONDS=10, OUTBOX_BACKOFF_CAP_SECONDS=3600)
def test_failing_webhook_is_retried_with_growing_backoff_then_delivered_once():
    with StandInServer(fail_first=2) as server:
        message = webhook(server, "notify:42")
        t0 = timezone.now()

        first = dispatch_due(now=t0)
        message.refresh_from_db()
        assert (first.retrying, message.status, message.attempts) == (1, "failed", 1)
        assert "503" in message.last_error
        delay1 = message.next_attempt_at - t0
        assert timedelta(seconds=5) <= delay1 <= timedelta(seconds=10)

        assert dispatch_due(now=t0 + delay1 - timedelta(seconds=1)).claimed == 0  # not yet due

        t1 = message.next_attempt_at
        dispatch_due(now=t1)
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("failed", 2)
        delay2 = message.next_attempt_at - t1
        assert timedelta(seconds=10) <= delay2 <= timedelta(seconds=20)

        third = dispatch_due(now=message.next_attempt_at)
        message.refresh_from_db()
        assert third.delivered == 1
        assert (message.status, message.attempts, message.last_error) == ("delivered", 3, "")

        # Every attempt carried the same idempotency key; the receiver accepted it once.
        assert [r.idempotency_key for r in server.requests] == ["notify:42"] * 3
        assert server.accepted_keys() == ["notify:42"]
        assert dispatch_due(now=t0 + timedelta(days=30)).claimed == 0
        assert server.attempts_for("notify:42") == 3


def test_lost_acknowledgement_is_resent_with_the_same_key_and_marked_delivered_once(server):
    """A worker that dies after sending but before recording: the lease runs out, the message
    is sent again with the same key, the receiver recognises it, and it is recorded once."""
    message = webhook(server, "lost-ack")
    t0 = timezone.now()
    token, claimed = claim_due(now=t0)
    services.get_deliverer("webhook")(claimed[0])  # type: ignore[misc]  # sent, then "crash"
    assert dispatch_due(now=t0 + timedelta(seconds=10)).claimed == 0  # still leased

    report = dispatch_due(now=t0 + timedelta(seconds=301))
    assert report.delivered == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("delivered", 2)
    assert server.attempts_for("lost-ack") == 2
    assert server.accepted_keys() == ["lost-ack"]
    # The first worker coming back cannot record the outcome a second time.
    assert services._finish(claimed[0], token, status="delivered") is False


def test_message_goes_dead_after_max_attempts_and_an_operator_can_retry_it():
    with StandInServer(fail_first=100) as server:
        message = webhook(server, "always-fails", max_attempts=3)
        now = timezone.now()
        for _ in range(3):
            dispatch_due(now=now)
            message.refresh_from_db()
            now = message.next_attempt_at
        assert (message.status, message.attempts) == ("dead", 3)
        assert "HTTP 503" in message.last_error
        assert dispatch_due(now=now + timedelta(days=365)).claimed == 0
        assert outbox_stats()["counts"]["dead"] == 1

        with pytest.raises(NotAllowed):
            retry_dead(actor=Actor(kind="official", user_id=5), message_ids=[message.pk])
        server.fail_first = 0
        server.requests.clear()
        assert retry_dead(actor=OPERATOR, message_ids=[message.pk]) == 1
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("pending", 0)
        assert Event.objects.filter(
            event_type="outbox.retried", subject_id=str(message.pk)
        ).exists()
        assert dispatch_due().delivered == 1
        assert server.accepted_keys() == ["always-fails"]


def test_client_error_goes_dead_at_once():
    with StandInServer(fail_first=1, fail_status=422) as server:
        message = webhook(server, "bad-request")
        report = dispatch_due()
        message.refresh_from_db()
        assert report.dead == 1 and message.status == "dead" and message.attempts == 1
        assert "HTTP 422" in message.last_error


def test_topic_without_deliverer_waits_and_says_why():
    with transaction.atomic():
        message = enqueue("fax", {"package": "..."}, idempotency_key="fax:1")
    dispatch_due()
    message.refresh_from_db()
    assert message.status == "failed" and "fax" in message.last_error


def test_custom_deliverer_receives_the_message_with_its_key():
    seen: list[tuple[str, dict]] = []

    @register_deliverer("test.recorder")
    def recorder(message: OutboxMessage) -> None:
        seen.append((message.idempotency_key, message.payload))

    with transaction.atomic():
        enqueue("test.recorder", {"ngay": timezone.localdate()}, idempotency_key="rec-1")
    assert dispatch_due().delivered == 1
    assert seen == [("rec-1", {"ngay": timezone.localdate().isoformat()})]


def test_abandoned_last_attempt_is_buried_by_the_sweep(server):
    message = webhook(server, "abandoned", max_attempts=1)
    t0 = timezone.now()
    claim_due(now=t0)  # the worker dies holding it
    report = sweep_outbox(now=t0 + timedelta(seconds=301))
    message.refresh_from_db()
    assert report.dead == 1 and message.status == "dead"
    assert server.requests == []


# -- built-in deliverers --------------------------------------------------------------------


def test_email_carries_the_key_and_a_stable_message_id():
    with transaction.atomic():
        enqueue(
            "email",
            {
                "to": "nguoidan@example.vn",
                "subject": "Phiếu xin lỗi",
                "body": "Hồ sơ của ông/bà bị trễ hạn.",
                "html": "<p>Trễ hạn</p>",
            },
            idempotency_key="apology:7",
        )
    assert dispatch_due().delivered == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["nguoidan@example.vn"] and sent.subject == "Phiếu xin lỗi"
    assert sent.extra_headers["X-Idempotency-Key"] == "apology:7"
    expected_id = hashlib.sha256(b"apology:7").hexdigest()[:40]
    assert expected_id in sent.extra_headers["Message-ID"]
    assert sent.alternatives[0][1] == "text/html"


def test_email_without_recipient_is_dead():
    with transaction.atomic():
        message = enqueue("email", {"subject": "x", "body": "y"}, idempotency_key="no-to")
    dispatch_due()
    message.refresh_from_db()
    assert message.status == "dead" and mail.outbox == []


def test_sms_goes_through_the_gateway_with_the_key(server):
    with override_settings(SMS_GATEWAY_URL=f"{server.url}/sms", SMS_GATEWAY_TOKEN="tok"):
        with transaction.atomic():
            enqueue(
                "sms",
                {"to": "+84912345678", "text": "Hồ sơ đã có kết quả"},
                idempotency_key="sms:1",
            )
        assert dispatch_due().delivered == 1
    request = server.accepted["sms:1"]
    assert request.path == "/sms"
    assert request.body == {
        "to": "+84912345678",
        "text": "Hồ sơ đã có kết quả",
        "idempotency_key": "sms:1",
    }
    assert request.headers["authorization"] == "Bearer tok"


@override_settings(SMS_GATEWAY_URL="")
def test_sms_without_a_gateway_waits_and_says_why():
    with transaction.atomic():
        message = enqueue("sms", {"to": "+84912345678", "text": "x"}, idempotency_key="sms:2")
    dispatch_due()
    message.refresh_from_db()
    assert message.status == "failed" and "SMS_GATEWAY_URL" in message.last_error


def test_webhook_is_signed_when_a_key_is_set(server):
    with override_settings(OUTBOX_WEBHOOK_SIGNING_KEY="bi-mat"):
        webhook(server, "signed", body={"a": "Đã tiếp nhận"})
        dispatch_due()
    request = server.accepted["signed"]
    raw = json.dumps({"a": "Đã tiếp nhận"}, ensure_ascii=False).encode()
    expected = hmac.new(b"bi-mat", raw, hashlib.sha256).hexdigest()
    assert request.headers["x-egov-signature"] == f"sha256={expected}"
    assert request.headers["content-type"].startswith("application/json")


def test_webhook_to_a_non_http_address_is_dead():
    with transaction.atomic():
        message = enqueue("webhook", {"url": "file:///etc/passwd"}, idempotency_key="file")
    dispatch_due()
    message.refresh_from_db()
    assert message.status == "dead"


def test_unreachable_webhook_is_retried():
    with StandInServer() as gone:
        url = gone.url
    with transaction.atomic():
        message = enqueue("webhook", {"url": url}, idempotency_key="gone")
    dispatch_due()
    message.refresh_from_db()
    assert message.status == "failed" and "kết nối" in message.last_error


# -- several workers at once (PostgreSQL) ---------------------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent workers need PostgreSQL"
)


def _run_in_threads(n: int, target) -> list[object]:  # type: ignore[no-untyped-def]
    results: list[object] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def work() -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results.append(target())
        except BaseException as exc:
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_never_deliver_a_message_twice():
    with StandInServer(delay=0.01) as server:
        keys = [f"bulk:{i}" for i in range(40)]
        # Due in a minute, so the after-commit kick (immediate in tests) leaves them alone.
        later = timezone.now() + timedelta(minutes=1)
        with transaction.atomic():
            for key in keys:
                enqueue(
                    "webhook", {"url": f"{server.url}/hook"}, idempotency_key=key, not_before=later
                )
        assert server.requests == []

        def drain() -> int:
            delivered = 0
            while True:
                report = dispatch_due(limit=3, now=later)
                delivered += report.delivered
                if report.claimed == 0:
                    return delivered

        per_worker = _run_in_threads(4, drain)
        assert sum(per_worker) == 40
        assert sum(1 for n in per_worker if n) >= 2  # the work really was shared
        assert sorted(r.idempotency_key for r in server.requests) == sorted(keys)
        assert OutboxMessage.objects.filter(status="delivered").count() == 40


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_kicks_for_one_message_deliver_it_once():
    with StandInServer(delay=0.05) as server:
        later = timezone.now() + timedelta(minutes=1)
        with transaction.atomic():
            message = enqueue(
                "webhook", {"url": server.url}, idempotency_key="one", not_before=later
            )
        results = _run_in_threads(
            5, lambda: services.dispatch_message(message.pk, now=later).delivered
        )
        assert sorted(results) == [0, 0, 0, 0, 1]  # type: ignore[type-var]
        assert server.attempts_for("one") == 1
