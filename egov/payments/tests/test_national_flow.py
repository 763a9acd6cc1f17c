"""Paying through the national platform, end to end against the stand-in platform (a real HTTP
server in a thread) calling back this process's live server: the INIT, the payment page, the
signed callback, the payment settled at once and its receipt issued once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from egov.conftest import login_client
from egov.dossiers.models import PaymentState
from egov.events.models import Event, OutboxMessage
from egov.payments.models import (
    AttemptStatus,
    Callback,
    PaymentStatus,
    Receipt,
)

from . import national_support
from .conftest import FEE, payment_of
from .national_support import get_text, press, start_attempt
from .receipts_helpers import seal_fixture, seal_hierarchy_fixture  # noqa: F401

# Fixtures shared by the national platform's tests.
platform = national_support.platform
receipts = national_support.receipts

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_citizen_pays_and_the_dossier_is_paid_at_once(
    platform, receipts, criminal_record, submit, make_citizen, live_server
):
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    payment = payment_of(dossier)

    attempt = start_attempt(citizen, payment)

    # The INIT went out after the commit: the platform's page is on the attempt.
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.OPEN
    assert attempt.redirect_url.startswith(f"{platform.base}/thanh-toan/")
    init = platform.inits[0]
    assert init["MaThamChieu"] == attempt.reference
    assert init["SoTien"] == str(FEE)
    assert init["ThongTinBienLai"]["MaHoSo"] == dossier.code
    assert init["ThongTinBienLai"]["MaTTHC"] == criminal_record.code
    assert init["UrlThongBao"] == live_server.url + reverse("payments:national_callback")
    opened = Event.objects.get(event_type="payment.attempt_opened")
    assert opened.payload["redirect_url"] == attempt.redirect_url

    page = get_text(attempt.redirect_url)
    assert "200.000 đồng" in page and "Thanh toán" in page and "Hủy" in page

    back = press(attempt.redirect_url)

    assert back == live_server.url + reverse("payments:national_return", args=[attempt.reference])
    [sent] = platform.callbacks
    assert sent.status == 200 and sent.answer == {
        "MaLoi": "00",
        "MoTa": "Đã ghi nhận kết quả thanh toán.",
    }
    payment.refresh_from_db()
    attempt.refresh_from_db()
    dossier.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert (payment.paid_provider, payment.settled_attempt_id) == ("national", attempt.pk)
    assert attempt.status == AttemptStatus.SUCCEEDED
    assert attempt.provider_transaction == sent.message["MaGiaoDich"]
    assert (dossier.payment_state, dossier.amount_paid) == (PaymentState.PAID, FEE)
    callback = Callback.objects.get()
    assert (callback.verdict, callback.attempt_id) == ("accepted", attempt.pk)
    assert callback.answer == sent.answer
    assert callback.remote_addr == "127.0.0.1"
    paid = Event.objects.get(event_type="payment.paid")
    assert paid.payload["callback"] == callback.pk
    assert paid.payload["provider_transaction"] == attempt.provider_transaction
    # The receipt was issued from the outbox message, once.
    message = OutboxMessage.objects.get(idempotency_key=f"receipt-{payment.code}")
    assert message.status == "delivered"
    receipt = Receipt.objects.get(payment=payment)
    assert receipt.pdf and receipt.xml and receipt.pdf_sha256 and receipt.xml_sha256
    assert receipt.fields["method"]["provider"] == "national"
    assert receipt.fields["method"]["transaction"] == attempt.provider_transaction
    assert Event.objects.filter(event_type="payment.receipt_issued").count() == 1

    # Back on our site, the applicant reads that it is paid.
    client = login_client(citizen, with_mfa=False)
    response = client.get(back)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Đã thanh toán thành công" in text and "200.000 đồng" in text
    assert reverse("portal:my_dossier", args=[dossier.code]) in text
    assert "hx-trigger" not in text
    other = login_client(make_citizen(), with_mfa=False)
    assert other.get(back).status_code == 404


def test_cancelling_on_the_page_fails_the_attempt(platform, criminal_record, submit, make_citizen):
    citizen = make_citizen()
    payment = payment_of(submit(citizen, criminal_record))
    attempt = start_attempt(citizen, payment)
    attempt.refresh_from_db()

    press(attempt.redirect_url, "cancel")

    attempt.refresh_from_db()
    payment.refresh_from_db()
    assert attempt.status == AttemptStatus.FAILED
    assert payment.status == PaymentStatus.DUE
    callback = Callback.objects.get()
    assert callback.verdict == "accepted"
    failed = Event.objects.get(event_type="payment.attempt_failed")
    assert failed.payload["provider_code"] == "02"
    assert failed.payload["callback"] == callback.pk
    client = login_client(citizen, with_mfa=False)
    text = client.get(reverse("payments:national_return", args=[attempt.reference])).content
    assert "Thanh toán không thành công" in text.decode()


def test_init_refused_fails_the_attempt(platform, criminal_record, submit, make_citizen):
    citizen = make_citizen()
    payment = payment_of(submit(citizen, criminal_record))
    platform.set_mode("init-fail")

    attempt = start_attempt(citizen, payment)

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.FAILED
    assert "không khởi tạo được" in attempt.failure
    assert Event.objects.get(event_type="payment.attempt_failed").payload["provider_code"] == "03"
    message = OutboxMessage.objects.get(idempotency_key=f"payment-init-{attempt.reference}")
    assert message.status == "delivered"  # a definitive answer: not sent again


@pytest.mark.parametrize("mode", ["init-error", "init-timeout"])
def test_init_errors_and_timeouts_are_retried_by_the_outbox(
    mode, platform, settings, criminal_record, submit, make_citizen
):
    settings.PAYMENT_PLATFORM_TIMEOUT_SECONDS = 0.3
    citizen = make_citizen()
    payment = payment_of(submit(citizen, criminal_record))
    platform.set_mode(mode, delay=1.5)

    attempt = start_attempt(citizen, payment)

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.CREATED
    message = OutboxMessage.objects.get(idempotency_key=f"payment-init-{attempt.reference}")
    assert message.status == "failed" and message.attempts == 1
    assert not Event.objects.filter(event_type__in=["payment.attempt_failed"]).exists()

    # The platform is back: the retry (same MaThamChieu) opens the attempt.
    platform.set_mode("success")
    from egov.events.services import dispatch_message

    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    dispatch_message(message.pk)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.OPEN
    assert len(platform.transactions) == 1
