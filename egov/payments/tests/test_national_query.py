"""Attempts with no callback: QUERYed (through the outbox) after PAYMENT_QUERY_AFTER_MINUTES and
settled or failed from the platform's verified answer; abandoned once their time ran out with no
payment (or no answer). Against the stand-in platform."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from egov.conftest import login_client
from egov.events.models import Event, OutboxMessage
from egov.payments.models import Attempt, AttemptStatus, Callback, PaymentStatus
from egov.payments.services.national import poll_open_attempts

from . import national_support
from .conftest import payment_of
from .national_support import press, start_attempt

# Fixtures shared by the national platform's tests.
platform = national_support.platform

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def opened(platform, criminal_record, submit, make_citizen):  # type: ignore[no-untyped-def]
    citizen = make_citizen()
    payment = payment_of(submit(citizen, criminal_record))
    attempt = start_attempt(citizen, payment, reference="QG-HOI-1")
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.OPEN
    return citizen, payment, attempt


def age(attempt: Attempt, minutes: float) -> None:
    Attempt.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )


def query_messages() -> int:
    return OutboxMessage.objects.filter(topic="payment_query").count()


def test_a_payment_without_callback_is_found_by_query(platform, opened):
    _citizen, payment, attempt = opened
    platform.set_mode("no-callback")
    press(attempt.redirect_url)
    assert platform.callbacks == []

    assert poll_open_attempts().queried == 0  # too early to ask
    age(attempt, 3)
    assert poll_open_attempts().queried == 1

    payment.refresh_from_db()
    attempt.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert attempt.status == AttemptStatus.SUCCEEDED
    assert len(platform.queries) == 1
    evidence = Callback.objects.get()
    assert evidence.verdict == "accepted" and "x-egov-query" in evidence.headers
    assert Event.objects.get(event_type="payment.paid").payload["callback"] == evidence.pk
    assert poll_open_attempts().queried == 0

    # The platform's callback, late: a duplicate, answered "00".
    sent = platform.send_callback(
        platform.transactions[attempt.reference],
        platform.confirm(platform.transactions[attempt.reference]),
    )
    assert sent.answer["MaLoi"] == "00"
    assert Callback.objects.order_by("-pk").first().verdict == "duplicate"
    assert Event.objects.filter(event_type="payment.paid").count() == 1


def test_a_payment_failed_on_the_platform_is_found_by_query(platform, opened):
    _citizen, _payment, attempt = opened
    platform.set_mode("no-callback")
    press(attempt.redirect_url, "cancel")
    age(attempt, 3)

    poll_open_attempts()

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.FAILED
    assert Event.objects.get(event_type="payment.attempt_failed").payload["provider_code"] == "02"


def test_an_unpaid_attempt_is_asked_once_per_period_then_abandoned(platform, opened):
    _citizen, payment, attempt = opened
    age(attempt, 3)
    poll_open_attempts()
    poll_open_attempts()  # the same period: the same outbox key, asked once
    assert query_messages() == 1 and len(platform.queries) == 1
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.OPEN  # not paid yet, still in time

    age(attempt, 16)
    poll_open_attempts(now=timezone.now() + timedelta(minutes=5))  # a later period

    attempt.refresh_from_db()
    payment.refresh_from_db()
    assert attempt.status == AttemptStatus.ABANDONED
    assert "Hết thời hạn thanh toán" in attempt.failure
    assert payment.status == PaymentStatus.DUE
    assert Callback.objects.count() == 0  # "not paid" is nothing to keep


def test_an_unreachable_platform_leaves_expired_attempts_abandoned(settings, opened):
    _citizen, _payment, attempt = opened
    settings.PAYMENT_PLATFORM_URL = "http://127.0.0.1:9/api"  # nothing listens there
    age(attempt, 3)
    poll_open_attempts()
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.OPEN  # retried by the outbox
    assert OutboxMessage.objects.get(topic="payment_query").status == "failed"

    age(attempt, 20)
    poll_open_attempts(now=timezone.now() + timedelta(minutes=5))
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.ABANDONED


def test_a_query_answer_that_does_not_verify_changes_nothing(platform, opened):
    _citizen, payment, attempt = opened
    platform.set_mode("no-callback")
    press(attempt.redirect_url)
    platform.secret = "bi-mat-khac"  # whoever answers now does not hold our secret
    age(attempt, 3)

    poll_open_attempts()

    attempt.refresh_from_db()
    payment.refresh_from_db()
    assert (attempt.status, payment.status) == (AttemptStatus.OPEN, PaymentStatus.DUE)
    assert Callback.objects.count() == 0
    assert OutboxMessage.objects.get(topic="payment_query").status == "failed"


def test_the_return_page_polls_and_asks_soon(platform, opened):
    citizen, _payment, attempt = opened
    client = login_client(citizen, with_mfa=False)
    url = reverse("payments:national_return", args=[attempt.reference])

    page = client.get(url).content.decode()

    assert "Đang chờ kết quả thanh toán" in page
    assert 'hx-trigger="every 3s"' in page
    asked = OutboxMessage.objects.get(idempotency_key=f"payment-query-{attempt.reference}-return")
    assert asked.next_attempt_at > timezone.now() + timedelta(seconds=10)
    assert asked.status == "pending"  # not before the callback had its chance

    press(attempt.redirect_url)
    partial = client.get(url, {"partial": "state"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 286  # htmx stops polling
    assert "Đã thanh toán thành công" in partial.content.decode()
