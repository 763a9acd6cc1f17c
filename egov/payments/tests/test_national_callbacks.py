"""Bad callbacks from the national platform, each sent by the stand-in platform (or posted raw)
to this process's live server: each is kept raw and refused, and nothing else changes but its
refusal event; a duplicate success is processed once and answered the same."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from egov.events.models import Event, OutboxMessage
from egov.payments.error_codes import PaymentErrorCode as Code
from egov.payments.models import (
    AttemptStatus,
    Callback,
    PaymentStatus,
    Receipt,
)
from egov.payments.services.national import close_attempt
from egov.payments.standin import Transaction

from . import national_support
from .conftest import FEE, PARTNER_SECRET, payment_of
from .national_support import assert_only_refusal_recorded, post_raw, press, snapshot, start_attempt
from .receipts_helpers import seal_fixture, seal_hierarchy_fixture  # noqa: F401

# Fixtures shared by the national platform's tests.
platform = national_support.platform
receipts = national_support.receipts

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def due(platform, criminal_record, submit, make_citizen):  # type: ignore[no-untyped-def]
    """A citizen's payment with an attempt open on the stand-in's page."""
    citizen = make_citizen()
    payment = payment_of(submit(citizen, criminal_record))
    attempt = start_attempt(citizen, payment, reference="QG-TEST-1")
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.OPEN
    return citizen, payment, attempt


def callback_url(live_server) -> str:  # type: ignore[no-untyped-def]
    return live_server.url + reverse("payments:national_callback")


def test_a_wrong_mac_is_refused(platform, due):
    _citizen, payment, attempt = due
    platform.set_mode("bad-signature")
    before = snapshot(payment)

    press(attempt.redirect_url)

    [sent] = platform.callbacks
    assert sent.answer == {"MaLoi": "02", "MoTa": "Mã xác thực không đúng."}
    callback = assert_only_refusal_recorded(before, payment, Code.CALLBACK_BAD_SIGNATURE)
    assert callback.attempt_id == attempt.pk
    assert json.loads(callback.body) == sent.message  # kept as it came


def test_a_changed_amount_is_refused_and_flagged(platform, due):
    _citizen, payment, attempt = due
    platform.set_mode("wrong-amount")
    before = snapshot(payment)

    press(attempt.redirect_url)

    [sent] = platform.callbacks
    assert sent.message["SoTien"] == str(FEE + 1000)
    assert sent.answer["MaLoi"] == "04"
    assert_only_refusal_recorded(before, payment, Code.CALLBACK_AMOUNT_MISMATCH)
    refused = Event.objects.get(event_type="payment.callback_refused")
    assert refused.payload["claimed_amount"] == FEE + 1000
    assert refused.payload["attempt"] == attempt.reference


def test_an_unknown_reference_is_refused_and_kept(platform, due, live_server):
    _citizen, payment, _attempt = due
    before = snapshot(payment)
    stranger = Transaction(
        reference="QG-KHONG-CO",
        amount=FEE,
        token="x",
        return_url="http://127.0.0.1/",
        notify_url=callback_url(live_server),
        receipt={},
        status="paid",
        transaction="GD-LA",
        paid_at=datetime.now(UTC),
        code="00",
    )

    sent = platform.send_callback(stranger, platform.confirm(stranger))

    assert sent.answer == {"MaLoi": "03", "MoTa": "Không có giao dịch với mã tham chiếu này."}
    callback = assert_only_refusal_recorded(before, payment, Code.CALLBACK_UNKNOWN_REFERENCE)
    assert callback.attempt_id is None


def test_malformed_callbacks_are_refused_and_kept(due, live_server):
    _citizen, payment, attempt = due
    url = callback_url(live_server)
    before = snapshot(payment)

    status, answer = post_raw(url, b"\xff khong phai JSON \x00")

    assert (status, answer["MaLoi"]) == (200, "01")
    callback = assert_only_refusal_recorded(before, payment, Code.CALLBACK_MALFORMED)
    assert callback.attempt_id is None
    assert "\\x00" in callback.body and "\\xff" in callback.body
    import hashlib

    assert callback.sha256 == hashlib.sha256(b"\xff khong phai JSON \x00").hexdigest()

    # Naming a known attempt with an amount in decimals: refused on that payment's log.
    before = snapshot(payment)
    body = {
        "LoaiBanTin": "CONFIRM",
        "MaDoiTac": "000.00.01.H41",
        "MaThamChieu": attempt.reference,
        "MaGiaoDich": "GD1",
        "SoTien": "200000.00",
        "MaTienTe": "VND",
        "MaLoi": "00",
        "ThoiGianGD": "20261204080859",
        "MaXacThuc": "0" * 64,
    }
    status, answer = post_raw(url, json.dumps(body).encode())
    assert answer["MaLoi"] == "01"
    callback = assert_only_refusal_recorded(before, payment, Code.CALLBACK_MALFORMED)
    assert callback.attempt_id == attempt.pk


def test_a_failure_code_fails_the_attempt_only(platform, due):
    _citizen, payment, attempt = due
    platform.set_mode("failure")

    press(attempt.redirect_url)

    [sent] = platform.callbacks
    assert sent.message["MaLoi"] == "03" and sent.answer["MaLoi"] == "00"
    attempt.refresh_from_db()
    payment.refresh_from_db()
    assert attempt.status == AttemptStatus.FAILED
    assert attempt.failure == "Thanh toán không thành công"
    assert payment.status == PaymentStatus.DUE
    assert Callback.objects.get().verdict == "accepted"
    assert not Event.objects.filter(event_type="payment.paid").exists()
    assert Event.objects.filter(event_type="payment.attempt_failed").count() == 1


def test_a_late_callback_after_the_attempt_was_abandoned_is_refused(platform, due):
    _citizen, payment, attempt = due
    platform.set_mode("late", delay=1.5)

    press(attempt.redirect_url, "cancel")  # its callback comes 1.5 s later
    assert close_attempt(
        attempt.reference, status=AttemptStatus.ABANDONED, reason="Hết thời hạn thanh toán."
    )
    before = snapshot(payment)

    [sent] = platform.wait_callbacks(1)

    assert sent.message["MaLoi"] == "02" and sent.answer["MaLoi"] == "05"
    assert_only_refusal_recorded(before, payment, Code.CALLBACK_ATTEMPT_CLOSED)


def test_a_late_success_after_a_failure_still_settles_a_payment_due(platform, due):
    """The payer paid on a page we had stopped waiting for: the money is there."""
    _citizen, payment, attempt = due
    platform.set_mode("late", delay=1.0)
    press(attempt.redirect_url)
    close_attempt(attempt.reference, status=AttemptStatus.FAILED, reason="Hết thời hạn.")

    [sent] = platform.wait_callbacks(1)

    assert sent.answer["MaLoi"] == "00"
    payment.refresh_from_db()
    attempt.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert attempt.status == AttemptStatus.SUCCEEDED


def test_a_success_for_a_payment_already_paid_is_refused_and_flagged(
    platform, due, receipts, make_citizen
):
    citizen, payment, first = due
    second = start_attempt(citizen, payment, reference="QG-TEST-2")
    second.refresh_from_db()
    press(second.redirect_url)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    before = snapshot(payment)

    press(first.redirect_url)  # the first page, left open, paid too

    assert platform.callbacks[-1].answer["MaLoi"] == "05"
    callback = assert_only_refusal_recorded(before, payment, Code.CALLBACK_ATTEMPT_CLOSED)
    assert "hoàn trả" in callback.reason
    assert Event.objects.filter(event_type="payment.paid").count() == 1


def test_a_duplicate_success_is_processed_once_and_answered_the_same(
    platform, due, receipts, live_server
):
    _citizen, payment, attempt = due
    platform.set_mode("duplicate")

    press(attempt.redirect_url)

    first, second = platform.callbacks
    assert first.message == second.message
    assert (
        first.answer == second.answer == {"MaLoi": "00", "MoTa": "Đã ghi nhận kết quả thanh toán."}
    )
    # Sent again much later, byte for byte: the same answer, nothing changes.
    before = snapshot(payment)
    status, answer = post_raw(callback_url(live_server), json.dumps(first.message).encode())
    assert (status, answer) == (200, first.answer)
    after = snapshot(payment)
    assert (after.payment, after.attempts, after.events, after.outbox) == (
        before.payment,
        before.attempts,
        before.events,
        before.outbox,
    )
    assert list(Callback.objects.order_by("pk").values_list("verdict", flat=True)) == [
        "accepted",
        "duplicate",
        "duplicate",
    ]
    assert Event.objects.filter(event_type="payment.paid").count() == 1
    assert OutboxMessage.objects.filter(idempotency_key=f"receipt-{payment.code}").count() == 1
    assert Receipt.objects.filter(payment=payment).count() == 1


def test_concurrent_copies_of_one_success_settle_once(platform, due, live_server):
    _citizen, payment, attempt = due
    platform.set_mode("no-callback")
    press(attempt.redirect_url)  # paid on the platform, no callback yet
    txn = platform.transactions[attempt.reference]
    message = platform.confirm(txn)
    body = json.dumps(message).encode()
    answers: list[tuple[int, object]] = []

    def send() -> None:
        answers.append(post_raw(callback_url(live_server), body))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert len(answers) == 4
    assert all(
        a == (200, {"MaLoi": "00", "MoTa": "Đã ghi nhận kết quả thanh toán."}) for a in answers
    )
    verdicts = sorted(Callback.objects.values_list("verdict", flat=True))
    assert verdicts == ["accepted", "duplicate", "duplicate", "duplicate"]
    assert Event.objects.filter(event_type="payment.paid").count() == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def test_a_callback_signed_with_the_secret_of_another_partner_is_refused(
    settings, due, live_server
):
    from egov.payments import national

    _citizen, payment, attempt = due
    before = snapshot(payment)
    message = national.confirm_message(
        partner="000.00.99.H99",
        secret=PARTNER_SECRET,
        reference=attempt.reference,
        code="00",
        transaction="GD-KHAC",
        amount=FEE,
        at=datetime.now(UTC),
    )
    _status, answer = post_raw(callback_url(live_server), json.dumps(message).encode())
    assert answer["MaLoi"] == "01"
    assert_only_refusal_recorded(before, payment, Code.CALLBACK_MALFORMED)
