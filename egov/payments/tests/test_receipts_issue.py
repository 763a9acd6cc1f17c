"""A paid payment gets one electronic receipt, numbered gap-free per template, series and year;
issuing again changes nothing; the outbox message issues it, and an agency without a seal
certificate keeps the message retrying (logged) instead of losing it."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from egov.core.errors import DomainError
from egov.events.models import Event, OutboxMessage
from egov.events.services import dispatch_due
from egov.payments.models import Collector, Receipt, ReceiptCounter
from egov.payments.services import receipts
from egov.payments.services.settle import RECEIPT_TOPIC

from .conftest import FEE, payment_of
from .receipts_helpers import pay, read, seal_fixture, seal_hierarchy_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_two_payments_get_numbers_one_and_two_with_the_printed_fields(
    criminal_record, submit, make_citizen, seal, collector
):
    first = pay(submit(make_citizen(), criminal_record))
    second = pay(submit(make_citizen(), criminal_record))
    a = receipts.issue(first.code)
    b = receipts.issue(second.code)
    assert (a.number, b.number) == (1, 2)
    assert (a.template, a.series, a.year) == ("01BLP0-001", "TP-26E", timezone.localdate().year)
    assert ReceiptCounter.objects.get().last == 2
    f = a.fields
    assert f["name"] == "BIÊN LAI THU PHÍ, LỆ PHÍ"
    assert f["number"] == "0000001"
    assert f["total"] == FEE
    assert f["total_words"] == "Hai trăm nghìn đồng"
    assert f["collector"] == {
        "name": collector.name,
        "tax_code": "5700100256",
        "address": "Phường Hồng Gai, tỉnh Quảng Ninh",
    }
    dossier = first.dossier
    assert f["payer"] == {
        "name": dossier.applicant_name,
        "address": dossier.applicant_address,
        "id_number": dossier.applicant_id_number,
    }
    assert f["lines"] == [
        {
            "no": 1,
            "name": "Phí cung cấp thông tin lý lịch tư pháp",
            "kind": "fee",
            "kind_label": "Phí",
            "quantity": 1,
            "unit": "",
            "unit_amount": FEE,
            "amount": FEE,
        }
    ]
    assert f["method"]["provider"] == "national"
    assert f["method"]["transaction"] == first.settled_attempt.provider_transaction
    assert f["dossier"]["code"] == dossier.code
    assert f["dossier"]["procedure"] == criminal_record.name
    assert f["signer"]["serial"] == seal.serial_hex
    assert len(a.lookup_code) == 12 and a.lookup_code != b.lookup_code
    # Both files are stored with the digests the event recorded.
    assert hashlib.sha256(read(a.pdf)).hexdigest() == a.pdf_sha256
    assert hashlib.sha256(read(a.xml)).hexdigest() == a.xml_sha256
    event = Event.objects.get(event_type="payment.receipt_issued", subject_id=first.code)
    assert event.payload["receipt"] == "TP-26E 0000001"
    assert (event.payload["pdf_sha256"], event.payload["xml_sha256"]) == (
        a.pdf_sha256,
        a.xml_sha256,
    )
    assert (event.payload["number"], event.payload["year"]) == (1, a.year)


def test_a_new_year_restarts_the_numbers_and_another_series_counts_apart(
    criminal_record, submit, make_citizen, seal, agency
):
    payments = [pay(submit(make_citizen(), criminal_record)) for _ in range(4)]
    december = datetime(2026, 12, 31, 23, 50, tzinfo=HCM)
    january = datetime(2027, 1, 1, 0, 10, tzinfo=HCM)  # still 2026 in UTC: the local year counts
    assert receipts.issue(payments[0].code, now=december).number == 1
    assert receipts.issue(payments[1].code, now=december).number == 2
    restarted = receipts.issue(payments[2].code, now=january)
    assert (restarted.year, restarted.number) == (2027, 1)
    Collector.objects.filter(agency=agency).update(receipt_series="TP-27E")
    other = receipts.issue(payments[3].code, now=january)
    assert (other.series, other.year, other.number) == ("TP-27E", 2027, 1)


def test_issuing_twice_gives_one_receipt_and_one_event(criminal_record, submit, make_citizen, seal):
    payment = pay(submit(make_citizen(), criminal_record))
    first = receipts.issue(payment.code)
    again = receipts.issue(payment.code)
    assert again.pk == first.pk and again.pdf_sha256 == first.pdf_sha256
    assert Receipt.objects.count() == 1
    assert Event.objects.filter(event_type="payment.receipt_issued").count() == 1
    assert ReceiptCounter.objects.get().last == 1


def test_an_unpaid_payment_gets_no_receipt(criminal_record, submit, make_citizen, seal):
    payment = payment_of(submit(make_citizen(), criminal_record))
    with pytest.raises(DomainError):
        receipts.issue(payment.code)
    assert not Receipt.objects.exists()
    assert not ReceiptCounter.objects.exists()


def test_the_outbox_message_of_settling_issues_the_receipt_once(
    criminal_record, submit, make_citizen, seal
):
    payment = pay(submit(make_citizen(), criminal_record))
    message = OutboxMessage.objects.get(topic=RECEIPT_TOPIC)
    assert message.payload == {"payment": payment.code}
    dispatch_due()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DELIVERED
    receipt = Receipt.objects.get(payment=payment)
    assert receipt.number == 1
    # Delivered again (a worker killed after issuing, before recording delivery): the same one.
    receipts.deliver_receipt(message)
    assert Receipt.objects.count() == 1
    assert Event.objects.filter(event_type="payment.receipt_issued").count() == 1


def test_without_a_seal_the_receipt_waits_logged_and_is_issued_once_certified(
    criminal_record, submit, make_citizen, seal_hierarchy, agency, caplog
):
    from egov.core.actors import SYSTEM
    from egov.signing.services import ensure_demo_ca

    payment = pay(submit(make_citizen(), criminal_record))
    with caplog.at_level(logging.ERROR, logger="egov.payments.receipts"):
        dispatch_due()
    message = OutboxMessage.objects.get(topic=RECEIPT_TOPIC)
    assert message.status == OutboxMessage.Status.FAILED  # kept, retried later
    assert "chưa có chứng thư số" in message.last_error
    assert any(payment.code in r.getMessage() for r in caplog.records)
    assert not Receipt.objects.exists()
    assert not ReceiptCounter.objects.filter(last__gt=0).exists()  # no number used up
    assert not Event.objects.filter(event_type="payment.receipt_issued").exists()

    ensure_demo_ca(actor=SYSTEM, hierarchy=seal_hierarchy)
    dispatch_due(now=timezone.now() + timedelta(days=1))
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DELIVERED
    assert Receipt.objects.get(payment=payment).number == 1


def test_without_a_collector_the_receipt_waits_too(
    criminal_record, submit, make_citizen, seal, agency
):
    payment = pay(submit(make_citizen(), criminal_record))
    Collector.objects.filter(agency=agency).delete()
    with pytest.raises(receipts.ReceiptNotIssued) as refused:
        receipts.issue(payment.code)
    assert "chưa khai báo đơn vị thu phí" in refused.value.message
    dispatch_due()
    message = OutboxMessage.objects.get(topic=RECEIPT_TOPIC)
    assert message.status == OutboxMessage.Status.FAILED
    assert not Receipt.objects.exists()
