"""Bank statement import: CSV, XLSX and CAMT.053 files match a citizen's VietQR transfer and
settle the payment (dossier paid, receipt queued); a line seen before is skipped, a file seen
before refused; an amount that differs or a reference nobody issued leaves the line unmatched
with a note; the accountant matches by hand or ignores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.dossiers.models import PaymentState
from egov.events.models import Event, OutboxMessage
from egov.payments.models import (
    Attempt,
    AttemptStatus,
    LineStatus,
    PaymentStatus,
    StatementImport,
    StatementLine,
)
from egov.payments.services.statements import (
    MatchInvalid,
    StatementDuplicate,
    import_statement,
    resolve_line,
)
from egov.payments.statement_files import StatementInvalid

from .conftest import FEE, actor, payment_of
from .vietqr_support import camt_file, csv_file, open_vietqr, xlsx_file

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 4, 9, 15, 0)  # local time, as the bank writes it


@pytest.fixture
def transfer(criminal_record, submit, make_citizen):  # type: ignore[no-untyped-def]
    """A citizen's dossier and its open VietQR attempt."""
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    attempt = open_vietqr(payment_of(dossier), "TT-K7Q2M9XW", by_user=citizen)
    return dossier, attempt


def _import(staff, agency, upload):  # type: ignore[no-untyped-def]
    return import_statement(actor=actor(staff.accountant), agency=agency, upload=upload)


def _assert_paid(dossier, attempt, line):  # type: ignore[no-untyped-def]
    payment = payment_of(dossier)
    assert payment.status == PaymentStatus.PAID
    assert payment.paid_provider == "vietqr"
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUCCEEDED
    assert attempt.provider_transaction == line.bank_reference
    dossier.refresh_from_db()
    assert (dossier.payment_state, dossier.amount_paid) == (PaymentState.PAID, FEE)
    paid = Event.objects.get(event_type="payment.paid")
    assert paid.payload["statement_line"] == line.pk
    assert paid.actor_label == "ketoan"
    assert OutboxMessage.objects.filter(idempotency_key=f"receipt-{payment.code}").count() == 1
    assert line.status == LineStatus.MATCHED and line.attempt_id == attempt.pk


@pytest.mark.parametrize("make_file", [csv_file, xlsx_file, camt_file])
def test_a_statement_matches_the_transfer(staff, agency, transfer, make_file):
    dossier, attempt = transfer
    rows = [
        # What a bank app makes of the purpose: lower case, the hyphen dropped, words around.
        (AT, FEE, "MBVCB.123.NGUYEN VAN A chuyen tien tt k7q2m9xw", "FT26338001", "NGUYEN VAN A"),
        (AT, 1_500_000, "Thanh toan hop dong 12", "FT26338002", "CONG TY B"),
    ]
    statement = _import(staff, agency, make_file(rows))
    assert (statement.line_count, statement.matched_count) == (2, 1)
    matched = StatementLine.objects.get(bank_reference="FT26338001")
    assert matched.booked_at == datetime(2026, 12, 4, 2, 15, tzinfo=UTC)
    assert matched.counterparty == "NGUYEN VAN A"
    _assert_paid(dossier, attempt, matched)
    other = StatementLine.objects.get(bank_reference="FT26338002")
    assert (other.status, other.note) == (LineStatus.UNMATCHED, "")
    event = Event.objects.get(event_type="bank_statement.imported")
    assert event.subject_id == str(statement.pk)
    assert (event.payload["lines"], event.payload["matched"], event.payload["skipped"]) == (2, 1, 0)
    assert event.payload["file_format"] == {csv_file: "csv", xlsx_file: "xlsx"}.get(
        make_file, "camt053"
    )


def test_lines_seen_before_are_skipped_and_a_file_seen_before_refused(staff, agency, transfer):
    dossier, attempt = transfer
    first = [(AT, 300_000, "Tien thue", "FT1", "A")]
    _import(staff, agency, csv_file(first))
    with pytest.raises(StatementDuplicate) as refused:
        _import(staff, agency, csv_file(first, name="lai-lan-nua.csv"))
    assert refused.value.code == "statement_duplicate"
    # The next day's statement repeats yesterday's line and brings the transfer.
    overlapping = [*first, (AT, FEE, "TT-K7Q2M9XW", "FT2", "NGUYEN VAN A")]
    statement = _import(staff, agency, csv_file(overlapping))
    assert (statement.line_count, statement.matched_count, statement.skipped) == (1, 1, 1)
    assert StatementLine.objects.filter(bank_reference="FT1").count() == 1
    event = Event.objects.filter(event_type="bank_statement.imported").latest("id")
    assert event.payload["skipped"] == 1
    assert StatementImport.objects.count() == 2
    _assert_paid(dossier, attempt, StatementLine.objects.get(bank_reference="FT2"))


def test_the_same_transfer_twice_settles_once(staff, agency, transfer):
    dossier, attempt = transfer
    rows = [
        (AT, FEE, "TT-K7Q2M9XW", "FT1", "A"),
        (AT, FEE, "TT K7Q2M9XW", "FT2", "A"),
    ]
    _import(staff, agency, csv_file(rows))
    second = StatementLine.objects.get(bank_reference="FT2")
    assert second.status == LineStatus.UNMATCHED
    assert "đã được ghi nhận trước đó" in second.note
    assert Event.objects.filter(event_type="payment.paid").count() == 1
    _assert_paid(dossier, attempt, StatementLine.objects.get(bank_reference="FT1"))


def test_another_amount_stays_unmatched_with_a_note(staff, agency, transfer):
    dossier, attempt = transfer
    _import(staff, agency, csv_file([(AT, "199.000", "tt-k7q2m9xw", "FT1", "A")]))
    line = StatementLine.objects.get()
    assert line.status == LineStatus.UNMATCHED
    assert line.note == (
        "Số tiền 199.000 đồng khác số tiền phải nộp 200.000 đồng của lần thanh toán TT-K7Q2M9XW."
    )
    assert payment_of(dossier).status == PaymentStatus.DUE
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.OPEN
    assert not Event.objects.filter(event_type="payment.paid").exists()


def test_an_abandoned_qr_paid_anyway_is_settled(staff, agency, transfer):
    dossier, attempt = transfer
    Attempt.objects.filter(pk=attempt.pk).update(status=AttemptStatus.ABANDONED)
    _import(staff, agency, csv_file([(AT, FEE, "TTK7Q2M9XW", "FT1", "A")]))
    _assert_paid(dossier, attempt, StatementLine.objects.get())


def test_another_agencys_attempt_is_not_matched(
    staff, agency, other_agency, transfer, make_official
):
    """The other agency's accountant imports a line carrying this agency's reference: it is
    not theirs to settle."""
    from egov.payments.models import Collector

    Collector.objects.create(
        agency=other_agency,
        name=other_agency.name,
        tax_code="5700100257",
        receipt_template="01BLP0-001",
        receipt_series="XD-26E",
        bank_bin="970436",
        bank_account="0011000999",
    )
    dossier, _attempt = transfer
    stranger = make_official(other_agency, ["accountant"], username="ketoan-khac")
    import_statement(
        actor=actor(stranger),
        agency=other_agency,
        upload=csv_file([(AT, FEE, "TT-K7Q2M9XW", "FT1", "A")]),
    )
    assert StatementLine.objects.get().status == LineStatus.UNMATCHED
    assert payment_of(dossier).status == PaymentStatus.DUE


def test_manual_match_and_ignore(staff, agency, transfer):
    dossier, attempt = transfer
    rows = [
        (AT, FEE, "chuyen tien ho so ly lich tu phap", "FT1", "NGUYEN VAN A"),
        (AT, 75_000, "Lai tien gui thang 11", "FT2", ""),
    ]
    _import(staff, agency, csv_file(rows))
    garbled, interest = StatementLine.objects.order_by("bank_reference")
    assert garbled.status == LineStatus.UNMATCHED
    accountant = actor(staff.accountant)
    with pytest.raises(MatchInvalid):  # the amount must be the attempt's
        resolve_line(actor=accountant, line_id=interest.pk, attempt_reference="TT-K7Q2M9XW")
    with pytest.raises(MatchInvalid):  # nobody's reference
        resolve_line(actor=accountant, line_id=garbled.pk, attempt_reference="TT-KHONGCO")
    with pytest.raises(MatchInvalid):  # ignoring needs a reason
        resolve_line(actor=accountant, line_id=interest.pk, attempt_reference=None, note=" ")
    assert payment_of(dossier).status == PaymentStatus.DUE
    # Typed as read on the statement: case and separators do not matter.
    line = resolve_line(
        actor=accountant,
        line_id=garbled.pk,
        attempt_reference="tt k7q2m9xw",
        note="Người nộp ghi thiếu mã, đã gọi điện xác nhận.",
    )
    _assert_paid(dossier, attempt, line)
    ignored = resolve_line(
        actor=accountant, line_id=interest.pk, attempt_reference=None, note="Lãi tiền gửi"
    )
    assert (ignored.status, ignored.note) == (LineStatus.IGNORED, "Lãi tiền gửi")
    outcomes = [
        (e.payload["line"], e.payload["outcome"], e.payload["attempt"])
        for e in Event.objects.filter(event_type="bank_statement.line_resolved").order_by("id")
    ]
    assert outcomes == [(garbled.pk, "matched", "TT-K7Q2M9XW"), (interest.pk, "ignored", "")]
    assert StatementImport.objects.get().matched_count == 1
    with pytest.raises(DomainError) as again:  # resolved lines stay as they are
        resolve_line(actor=accountant, line_id=interest.pk, attempt_reference=None, note="x")
    assert again.value.code == "match_invalid"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "trống"),
        (b"a,b,c\n1,2,3\n", "dòng tiêu đề"),
        ("Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu\n31/02/2026,200.000,x,FT1\n"
         .encode(), "Dòng 2"),
        ("Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu\n04/12/2026,\"200.000,50\",x,FT1\n"
         .encode(), "lẻ"),
        ("Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu\n04/12/2026,200.000,x,\n"
         .encode(), "thiếu số tham chiếu"),
        (b"\xd0\xcf\x11\xe0rest", ".xls"),
        (b"%PDF-1.7", "PDF"),
        (b"PK\x03\x04notazip", "Excel"),
        (b"<Document xmlns='urn:other'/>", "CAMT.053"),
        (b"<?xml version='1.0'?><!DOCTYPE d [<!ENTITY a 'aaaa'>]><Document/>", "DOCTYPE"),
        (b"<Document", "XML"),
    ],
)  # fmt: skip
def test_unreadable_files_are_refused_whole(staff, agency, collector, content, needle):
    with pytest.raises(StatementInvalid) as refused:
        _import(staff, agency, SimpleUploadedFile("saoke.csv", content))
    assert refused.value.code == "statement_invalid"
    assert needle in refused.value.message + " ".join(refused.value.fields["file"])
    assert not StatementImport.objects.exists() and not StatementLine.objects.exists()
    assert not Event.objects.filter(event_type__startswith="bank_statement").exists()


def test_a_statement_of_another_account_is_refused(staff, agency, transfer):
    with pytest.raises(StatementInvalid) as refused:
        _import(staff, agency, camt_file([(AT, FEE, "TT-K7Q2M9XW", "FT1", "A")], account="999"))
    assert "999" in refused.value.message
    assert not StatementLine.objects.exists()


def test_bounds(staff, agency, collector, settings):
    settings.PAYMENT_STATEMENT_MAX_LINES = 3
    rows = [(AT, 1000 + i, "x", f"FT{i}", "") for i in range(4)]
    with pytest.raises(StatementInvalid) as refused:
        _import(staff, agency, csv_file(rows))
    assert "quá 3 dòng" in refused.value.message
    settings.PAYMENT_STATEMENT_MAX_BYTES = 200
    with pytest.raises(StatementInvalid) as refused:
        _import(staff, agency, csv_file(rows[:1]))
    assert "dung lượng" in refused.value.message
    assert not StatementImport.objects.exists()


def test_only_the_agencys_accountant_imports_and_resolves(
    staff, agency, other_agency, transfer, make_official, make_citizen
):
    """Attacks on the services: the leader (sees, does not import), the receiver, another
    agency's accountant, a citizen — refused, nothing written."""
    from egov.core.actors import actor_for_user

    rows = [(AT, FEE, "xx", "FT1", "A")]
    stranger = make_official(other_agency, ["accountant"], username="ketoan-khac")
    for who in (
        actor(staff.leader),
        actor(staff.receiver),
        actor(stranger),
        actor_for_user(make_citizen()),
    ):
        with pytest.raises(NotAllowed):
            import_statement(actor=who, agency=agency, upload=csv_file(rows))
    assert not StatementImport.objects.exists()
    _import(staff, agency, csv_file(rows))
    line = StatementLine.objects.get()
    with pytest.raises(NotAllowed):  # sees the line, may not resolve it
        resolve_line(actor=actor(staff.leader), line_id=line.pk, attempt_reference="TT-K7Q2M9XW")
    for who in (actor(stranger), actor(staff.receiver)):
        with pytest.raises(NotFoundError):
            resolve_line(actor=who, line_id=line.pk, attempt_reference="TT-K7Q2M9XW")
    line.refresh_from_db()
    assert line.status == LineStatus.UNMATCHED
    assert payment_of(transfer[0]).status == PaymentStatus.DUE
