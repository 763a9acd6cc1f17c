"""Form 01 (Giấy tiếp nhận hồ sơ và hẹn trả kết quả) shows the payment status as it is now: not
paid before, paid with the amount and day right after settling (before any receipt), and the
receipt's number once issued — on every download, never a stale copy (Open Forms' users got the
unpaid receipt after paying)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from egov.conftest import login_client
from egov.dossiers.models import PaymentState
from egov.dossiers.pdf import receipt_pdf
from egov.payments.services import receipts

from .receipts_helpers import pay, pdftotext, seal_fixture, seal_hierarchy_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def _form01(client, dossier) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse("portal:receipt", args=[dossier.code]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    return pdftotext(response.content)


def test_form01_shows_paid_right_after_settling_then_the_receipt_number(
    criminal_record, submit, make_citizen, seal
):
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    client = login_client(citizen, with_mfa=False)
    before = _form01(client, dossier)
    assert "Chưa nộp phí, lệ phí (số tiền phải nộp: 200.000 đồng)" in before
    assert "Đã nộp phí" not in before

    payment = pay(dossier)
    today = timezone.localdate().strftime("%d/%m/%Y")
    paid = _form01(client, dossier)
    assert f"Đã nộp phí, lệ phí: 200.000 đồng ngày {today}" in paid
    assert "Chưa nộp" not in paid
    assert "biên lai số" not in paid  # the receipt is issued by the worker, a moment later

    receipts.issue(payment.code)
    with_receipt = _form01(client, dossier)
    assert (
        f"Đã nộp phí, lệ phí: 200.000 đồng ngày {today} — biên lai số 0000001, ký hiệu TP-26E"
        in with_receipt
    )


def test_the_desk_and_the_api_print_the_same_status(
    criminal_record, submit, make_citizen, staff, seal
):
    dossier = submit(make_citizen(), criminal_record)
    pay(dossier)
    dossier.refresh_from_db()
    assert dossier.payment_state == PaymentState.PAID
    desk = login_client(staff.receiver.user)
    response = desk.get(reverse("onestop:receipt", args=[dossier.code]))
    assert response.status_code == 200
    assert "Đã nộp phí, lệ phí: 200.000 đồng" in pdftotext(response.content)
    api = desk.get(reverse("api-dossier-receipt", args=[dossier.code]))
    assert api.status_code == 200 and api["Cache-Control"] == "private, no-store"
    assert "Đã nộp phí, lệ phí: 200.000 đồng" in pdftotext(api.content)


def test_exempt_and_refunded_dossiers_say_so(criminal_record, submit, make_citizen):
    dossier = submit(make_citizen(), criminal_record)
    dossier.payment_state = PaymentState.EXEMPT
    assert "Được miễn phí, lệ phí" in pdftotext(receipt_pdf(dossier, tracking_url="http://x/"))
    dossier.payment_state = PaymentState.REFUNDED
    assert "Đã hoàn trả phí, lệ phí" in pdftotext(receipt_pdf(dossier, tracking_url="http://x/"))
