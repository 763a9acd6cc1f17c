"""The daily reconciliation: per provider what was started, confirmed, matched by the provider's
evidence and refunded; the unmatched bank lines and the refused callbacks of the day; the day
cut at midnight in Vietnam's time; the XLSX workbook an accountant opens."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from egov.cases import perform
from egov.core.actors import SYSTEM
from egov.payments import event_types as E
from egov.payments import reconciliation
from egov.payments.cases import PAYMENT
from egov.payments.models import (
    Attempt,
    AttemptStatus,
    Callback,
    LineStatus,
    Payment,
    StatementImport,
    StatementLine,
    Verdict,
)
from egov.payments.services import refunds

from .accounting_support import pay, rules
from .conftest import FEE, actor, payment_of

pytestmark = pytest.mark.django_db

VN = reconciliation.VIETNAM


def local(day, hour: int, minute: int = 0, second: int = 0) -> datetime:  # type: ignore[no-untyped-def]
    return datetime.combine(day, time(hour, minute, second), tzinfo=VN)


def refuse_callback(payment: Payment, claimed: int) -> Callback:
    """What the national platform's handler keeps for a callback whose amount differs."""
    attempt = Attempt.objects.create(
        payment=payment,
        provider="national",
        reference=f"{payment.code}-SAI",
        amount=payment.amount,
        status=AttemptStatus.OPEN,
    )
    body = f'{{"MaThamChieu": "{attempt.reference}", "SoTien": "{claimed}"}}'
    callback = Callback.objects.create(
        provider="national",
        body=body,
        sha256=hashlib.sha256(body.encode()).hexdigest(),
        attempt=attempt,
        verdict=Verdict.REFUSED,
        reason_code="callback_amount_mismatch",
        reason="Số tiền không khớp",
    )
    with perform(PAYMENT, "refuse_callback", actor=SYSTEM, case=payment.code) as act:
        act.record(
            E.CALLBACK_REFUSED,
            provider="national",
            callback=callback.pk,
            reason_code="callback_amount_mismatch",
            reason="Số tiền không khớp",
            attempt=attempt.reference,
            claimed_amount=claimed,
        )
    return callback


@pytest.fixture
def day_of_payments(criminal_record, submit, make_citizen, staff, other_agency):  # type: ignore[no-untyped-def]
    """Today at the agency: paid by the national platform (one backed by its callback, one not),
    by VietQR (matched on the statement), in cash; one attempt still open; a refused callback
    claiming less; an unmatched bank line; one refund paid out. Around midnight: one payment
    just inside the day and two just outside."""
    rules(("withdrawn", True, 100, True))
    today = timezone.localdate()
    made = [submit(make_citizen(), criminal_record) for _ in range(9)]
    p = [payment_of(d) for d in made]
    pay(p[0], "national", paid_at=local(today, 9))
    pay(p[1], "national", paid_at=local(today, 10), evidence=False)
    pay(p[2], "vietqr", paid_at=local(today, 11))
    pay(p[3], "cash", paid_at=local(today, 14))
    Attempt.objects.create(
        payment=p[4], provider="vietqr", reference="CHO-1", amount=FEE, status=AttemptStatus.OPEN
    )
    refused = refuse_callback(p[5], claimed=FEE - 1000)
    pay(p[6], "national", paid_at=local(today, 0, 0, 0))  # the first moment of the day: in
    pay(p[7], "national", paid_at=local(today, 0) - timedelta(seconds=1))  # yesterday
    pay(p[8], "national", paid_at=local(today + timedelta(days=1), 0))  # tomorrow
    statement = StatementImport.objects.create(
        agency=p[0].agency,
        uploaded_by=staff.accountant.user,
        filename="saoke-ngay.csv",
        file_format="csv",
        sha256="f" * 64,
        line_count=1,
    )
    StatementLine.objects.create(
        statement=statement,
        agency=p[0].agency,
        booked_at=local(today, 15, 30),
        amount=150_000,
        description="NGUYEN VAN A CHUYEN TIEN",
        counterparty="NGUYEN VAN A",
        bank_reference="FT999",
        status=LineStatus.UNMATCHED,
    )
    # The cash payment's dossier withdrawn after paying: asked back, approved, paid out today.
    from egov.onestop import services as onestop

    onestop.withdraw_by_applicant(user=made[3].applicant, dossier=made[3].code, reason="Nộp nhầm")
    refund = p[3].refunds.get()
    refunds.approve(actor=actor(staff.leader), refund=refund)
    refunds.complete(actor=actor(staff.accountant), refund=refund, reference="PC-01")
    return today, p, refused


def test_the_day_per_provider(day_of_payments):
    today, p, refused = day_of_payments
    report = reconciliation.daily(agency=p[0].agency, day=today)
    lines = {line.provider: line for line in report.providers}
    assert list(lines) == ["national", "vietqr", "cash"]

    national = lines["national"]
    # Confirmed today: p0, p1, p6 (not p7 yesterday, not p8 tomorrow); p1 has no callback.
    assert (national.confirmed.count, national.confirmed.amount) == (3, 3 * FEE)
    assert national.matched is not None and national.matched.count == 2
    assert (national.unmatched.count, national.unmatched.amount) == (1, FEE)
    # Started today: the five national attempts paid plus the one whose callback was refused.
    assert national.started.count == 6 and national.waiting.count == 1

    vietqr = lines["vietqr"]
    assert vietqr.confirmed.count == 1 and vietqr.matched.count == 1  # type: ignore[union-attr]
    assert (vietqr.waiting.count, vietqr.waiting.amount) == (1, FEE)

    cash = lines["cash"]
    assert cash.matched is None and cash.unmatched.count == 0
    assert (cash.refunds.count, cash.refunds.amount) == (1, FEE)
    assert cash.net_amount == 0

    assert report.opened.count == 9 and report.opened.amount == 9 * FEE
    assert [u.bank_reference for u in report.unmatched_lines] == ["FT999"]
    assert report.unmatched_lines_total.amount == 150_000
    [flag] = report.refused_callbacks
    assert (flag.id, flag.claimed_amount, flag.expected_amount) == (refused.pk, FEE - 1000, FEE)
    assert flag.amount_mismatch and report.amount_mismatches == [flag]
    assert report.has_differences
    totals = report.totals
    assert totals.confirmed.count == 5 and totals.refunds.amount == FEE
    by_code = {c.code: c for c in report.confirmed}
    assert set(by_code) == {p[0].code, p[1].code, p[2].code, p[3].code, p[6].code}
    assert by_code[p[2].code].evidence == "statement"
    assert by_code[p[1].code].matched is False and by_code[p[3].code].matched is None


def test_yesterday_and_one_provider(day_of_payments):
    today, p, _refused = day_of_payments
    yesterday = reconciliation.daily(agency=p[0].agency, day=today - timedelta(days=1))
    assert [c.code for c in yesterday.confirmed] == [p[7].code]
    assert not yesterday.unmatched_lines and not yesterday.refused_callbacks

    only_cash = reconciliation.daily(agency=p[0].agency, day=today, provider="cash")
    assert [line.provider for line in only_cash.providers] == ["cash"]
    assert [c.code for c in only_cash.confirmed] == [p[3].code]
    assert not only_cash.unmatched_lines and not only_cash.refused_callbacks


def test_another_agency_sees_none_of_it(day_of_payments, other_agency):
    today, _p, _refused = day_of_payments
    report = reconciliation.daily(agency=other_agency, day=today)
    assert report.providers == [] and report.confirmed == [] and report.opened.count == 0
    assert not report.unmatched_lines and not report.refused_callbacks and not report.refunds


def test_the_workbook(day_of_payments):
    today, p, _refused = day_of_payments
    data = reconciliation.xlsx(reconciliation.daily(agency=p[0].agency, day=today))
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == [
        "Tổng hợp",
        "Đã thu",
        "Sao kê chưa khớp",
        "Thông báo bị từ chối",
        "Hoàn trả",
    ]
    summary = [row for row in book["Tổng hợp"].iter_rows(values_only=True) if row[0]]
    assert summary[0][0].startswith("Đối soát thanh toán ngày")
    total = next(r for r in summary if r[0] == "Tổng cộng")
    assert total[5:7] == (5, 5 * FEE)  # confirmed
    paid = list(book["Đã thu"].iter_rows(min_row=4, values_only=True))
    assert {r[0] for r in paid} == {p[i].code for i in (0, 1, 2, 3, 6)}
    lines = list(book["Sao kê chưa khớp"].iter_rows(min_row=4, values_only=True))
    assert lines[0][1:3] == (150_000, "NGUYEN VAN A CHUYEN TIEN")


def test_a_formula_in_a_bank_line_stays_text(day_of_payments):
    today, p, _refused = day_of_payments
    StatementLine.objects.filter(bank_reference="FT999").update(
        description='=HYPERLINK("http://example.invalid","x")'
    )
    data = reconciliation.xlsx(reconciliation.daily(agency=p[0].agency, day=today))
    book = load_workbook(io.BytesIO(data))
    cell = book["Sao kê chưa khớp"]["C4"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
