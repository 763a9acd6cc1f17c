"""Reading statement files (no database): amounts and dates as Vietnamese banks write them,
headers found below the title lines under their usual names, the delimiter and the encoding
of older exports, CAMT.053 entries that are not booked credits passed over."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest

from egov.payments.services.statements import Matcher, squash
from egov.payments.statement_files import (
    CellError,
    StatementInvalid,
    parse_amount,
    read,
)


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        (200000, 200000),
        (200000.0, 200000),
        ("200000", 200000),
        ("200.000", 200000),
        ("200,000", 200000),
        ("1.234.567", 1234567),
        ("1,234,567.00", 1234567),
        ("1.234.567,00", 1234567),
        ("200000.00", 200000),
        ("200 000 VND", 200000),
        ("200.000đ", 200000),
        ("-50.000", -50000),
        ("(50,000)", -50000),
        ("", None),
        (None, None),
    ],
)
def test_amounts(raw, amount):
    assert parse_amount(raw) == amount


@pytest.mark.parametrize("raw", ["200.000,50", "1.5", "12.34.56", "1234.567", "abc", 1.5, True])
def test_amounts_refused(raw):
    with pytest.raises(CellError):
        parse_amount(raw)


TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def _csv(text: str, encoding: str = "utf-8") -> bytes:
    if encoding != "cp1258":
        return text.encode(encoding)
    # Windows-1258 has the vowels with their hat or horn precomposed and the five tone marks
    # as combining characters, as the old Vietnamese Windows exports write them.
    out = []
    for ch in text:
        decomposed = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in decomposed if c in TONE_MARKS)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
        out.append(base + tones)
    return "".join(out).encode("cp1258")


def test_a_semicolon_export_in_windows_1258_with_a_separate_time_column():
    text = (
        "Ngân hàng TMCP Ngoại thương Việt Nam;;;;;\r\n"
        "Từ ngày 01/12/2026 đến ngày 04/12/2026;;;;;\r\n"
        "Ngày GD;Giờ GD;Số CT;Diễn giải;Phát sinh Có;Phát sinh Nợ\r\n"
        "04/12/2026;09:15;5321;Nộp phí TT-K7Q2M9XW;200.000;\r\n"
        "04/12/2026;10:00;5322;Phí SMS;;11.000\r\n"
        ";;;Cộng phát sinh;200.000;11.000\r\n"
    )
    statement = read(_csv(text, "cp1258"), max_lines=100)
    assert statement.file_format == "csv"
    (line,) = statement.lines
    assert line.description == "Nộp phí TT-K7Q2M9XW"
    assert line.bank_reference == "5321"
    assert (line.amount, line.booked_at) == (200_000, datetime(2026, 12, 4, 2, 15, tzinfo=UTC))


def test_a_signed_amount_column_and_english_titles():
    text = (
        "Transaction date,Amount,Description,Reference number,Counterparty\n"
        "2026-12-04 09:15:00,200000,TT-K7Q2M9XW,R1,NGUYEN VAN A\n"
        "2026-12-04 09:20:00,-30000,fee,R2,\n"
    )
    (line,) = read(_csv(text), max_lines=100).lines
    assert (line.bank_reference, line.counterparty) == ("R1", "NGUYEN VAN A")


def test_row_errors_are_listed_with_their_row():
    text = (
        "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu\n"
        "04/12/2026,200.000,a,R1\n"
        "hôm qua,200.000,b,R2\n"
        "04/12/2026,-5,c,R3\n"
        f"04/12/2026,1,d,{'R' * 65}\n"
    )
    with pytest.raises(StatementInvalid) as refused:
        read(_csv(text), max_lines=100)
    problems = refused.value.fields["file"]
    assert [p.split(":")[0] for p in problems] == ["Dòng 3", "Dòng 4", "Dòng 5"]
    assert "“hôm qua” không phải ngày giao dịch" in problems[0]


CAMT = """<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt>
<Acct><Id><Othr><Id>113000012345</Id></Othr></Id></Acct>
<Ntry><NtryRef>N1</NtryRef><Amt Ccy="VND">200000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
 <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-04</Dt></BookgDt>
 <NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>Nguyễn Văn A</Nm></Pty></Dbtr></RltdPties>
 <RmtInf><Ustrd>TT K7Q2M9XW</Ustrd><Ustrd>nop phi</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
<Ntry><AcctSvcrRef>P1</AcctSvcrRef><Amt Ccy="VND">5</Amt><CdtDbtInd>CRDT</CdtDbtInd>
 <Sts><Cd>PDNG</Cd></Sts></Ntry>
<Ntry><AcctSvcrRef>V1</AcctSvcrRef><Amt Ccy="VND">5</Amt><CdtDbtInd>CRDT</CdtDbtInd>
 <RvslInd>true</RvslInd><Sts><Cd>BOOK</Cd></Sts></Ntry>
</Stmt></BkToCstmrStmt></Document>"""


def test_camt053_booked_credits_only():
    statement = read(CAMT.encode(), max_lines=100)
    assert (statement.file_format, statement.account) == ("camt053", "113000012345")
    (line,) = statement.lines
    assert (line.bank_reference, line.amount) == ("N1", 200_000)
    assert (line.description, line.counterparty) == ("TT K7Q2M9XW nop phi", "Nguyễn Văn A")
    assert line.booked_at == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)


def test_camt053_in_another_currency_is_refused():
    with pytest.raises(StatementInvalid) as refused:
        read(CAMT.replace('Ccy="VND">200000.00', 'Ccy="USD">8.00').encode(), max_lines=100)
    assert "USD" in refused.value.fields["file"][0]


def test_an_entity_bomb_is_refused_unexpanded():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&c;</Document>'
    )
    with pytest.raises(StatementInvalid):
        read(bomb.encode(), max_lines=100)


def test_squash_ignores_case_spaces_separators_and_accents():
    assert squash("tt k7q2-m9xw") == squash("TT-K7Q2M9XW") == "TTK7Q2M9XW"
    assert squash("Nộp phí: HS.001") == "NOPPHIHS001"


@pytest.mark.django_db
def test_the_matcher_prefers_the_longest_reference_and_refuses_ties(
    criminal_record, submit, make_citizen
):
    from egov.payments.models import Attempt

    from .conftest import payment_of

    citizen = make_citizen()
    payment = payment_of(submit(citizen, criminal_record))
    for reference in ("TT-AB1", "TT-AB12", "TT-AB1-2"):
        Attempt.objects.create(
            payment=payment, provider="vietqr", reference=reference, amount=1, status="open"
        )
    matcher = Matcher(payment.agency_id)
    assert matcher.find("chuyen tien tt ab 1 xin cam on")[0].reference == "TT-AB1"
    attempt, why = matcher.find("chuyen tien TTAB12")
    assert attempt is None and "TT-AB1-2" in why and "TT-AB12" in why
    assert matcher.find("khong co ma") == (None, "")
