"""Helpers of the VietQR and bank statement tests: an open VietQR attempt made the way the
checkout does it (the start_attempt action of the PAYMENT kernel, the provider's start inside
it), and statement files in the three formats."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from egov.cases import perform
from egov.core.actors import actor_for_user
from egov.payments import event_types as E
from egov.payments.cases import PAYMENT
from egov.payments.models import Attempt, Payment
from egov.payments.providers.vietqr import VietQR


def open_vietqr(payment: Payment, reference: str, *, by_user) -> Attempt:  # type: ignore[no-untyped-def]
    """The applicant `by_user` starts paying `payment` by VietQR with `reference`."""
    with perform(PAYMENT, "start_attempt", actor=actor_for_user(by_user), case=payment.code) as act:
        attempt = Attempt.objects.create(
            payment=act.case,
            provider="vietqr",
            reference=reference,
            amount=act.case.amount,
            started_by=by_user,
        )
        act.record(E.ATTEMPT_STARTED, attempt=reference, provider="vietqr")
        VietQR().start(act, attempt)
    attempt.refresh_from_db()
    return attempt


# A row: (moment, credit amount, description, bank reference, counterparty).
Row = tuple[datetime | str, int | str, str, str, str]

HEADERS = ["STT", "Ngày giao dịch", "Số tiền ghi nợ", "Số tiền ghi có", "Nội dung", "Số tham chiếu",
           "Tên tài khoản đối ứng"]  # fmt: skip


def csv_file(
    rows: Sequence[Row], *, name: str = "saoke.csv", title: bool = True
) -> SimpleUploadedFile:
    """A statement as a Vietnamese bank's CSV export: title lines, then the header (UTF-8 with
    BOM, as Excel-friendly exports are)."""
    out = io.StringIO()
    writer = csv.writer(out)
    if title:
        writer.writerow(["NGÂN HÀNG TMCP CÔNG THƯƠNG VIỆT NAM"])
        writer.writerow(["SAO KÊ TÀI KHOẢN", "113000012345"])
        writer.writerow([])
    writer.writerow(HEADERS)
    for i, (moment, amount, description, reference, who) in enumerate(rows, 1):
        when = moment.strftime("%d/%m/%Y %H:%M:%S") if isinstance(moment, datetime) else moment
        writer.writerow([i, when, "", amount, description, reference, who])
    writer.writerow(["", "Tổng cộng", "0", "", "", "", ""])
    return SimpleUploadedFile(name, ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv")


def xlsx_file(rows: Sequence[Row], *, name: str = "saoke.xlsx") -> SimpleUploadedFile:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Sao kê tài khoản 113000012345"])
    sheet.append(["Ngày GD", "Mã giao dịch", "Diễn giải", "Ghi có (VND)", "Ghi nợ (VND)",
                  "Đối tác"])  # fmt: skip
    for moment, amount, description, reference, who in rows:
        sheet.append([moment, reference, description, amount, None, who])
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(
        name,
        buffer.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def camt_file(
    rows: Sequence[Row], *, account: str = "113000012345", name: str = "saoke.xml", extra: str = ""
) -> SimpleUploadedFile:
    entries = []
    for moment, amount, description, reference, who in rows:
        when = moment.isoformat() if isinstance(moment, datetime) else moment
        entries.append(
            f"""<Ntry><Amt Ccy="VND">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><DtTm>{when}</DtTm></BookgDt><AcctSvcrRef>{reference}</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>{who}</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>{description}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""
        )
    # A debit, which is not imported.
    entries.append(
        """<Ntry><Amt Ccy="VND">50000</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-12-04</Dt></BookgDt><AcctSvcrRef>DEBIT-1</AcctSvcrRef></Ntry>"""
    )
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>{extra}
<Document xmlns="{CAMT_NS}"><BkToCstmrStmt><GrpHdr><MsgId>STMT-1</MsgId>
<CreDtTm>2026-12-05T08:00:00+07:00</CreDtTm></GrpHdr><Stmt><Id>S1</Id>
<Acct><Id><Othr><Id>{account}</Id></Othr></Id><Ccy>VND</Ccy></Acct>
{"".join(entries)}</Stmt></BkToCstmrStmt></Document>"""
    return SimpleUploadedFile(name, xml.encode("utf-8"), "application/xml")
