"""The outgoing and incoming registers (sổ đăng ký văn bản đi / đến, Decree 30/2020/NĐ-CP) of an
agency for a period, as rows, as a PDF (A4 landscape, Noto Serif) and as an XLSX workbook.

Outgoing: number/symbol, date, type and summary, signer, recipients, file keeper, quantity,
sent date, notes — issued documents in order of issue.
Incoming: received date, arrival number, author, number/symbol, date, type and summary,
receiving unit/person, handed-over date, notes — registered documents by arrival number.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from egov.core import xlsx
from egov.core.pdfrender import render_pdf
from egov.org.models import Agency

from .models import IncomingDocument, OutgoingDocument

OUTGOING = "di"
INCOMING = "den"
KINDS = {OUTGOING: "Sổ đăng ký văn bản đi", INCOMING: "Sổ đăng ký văn bản đến"}

OUTGOING_COLUMNS = [
    "Số, ký hiệu văn bản",
    "Ngày tháng văn bản",
    "Tên loại và trích yếu nội dung văn bản",
    "Người ký",
    "Nơi nhận văn bản",
    "Đơn vị, người nhận bản lưu",
    "Số lượng bản",
    "Ngày chuyển",
    "Ghi chú",
]
INCOMING_COLUMNS = [
    "Ngày đến",
    "Số đến",
    "Tác giả",
    "Số, ký hiệu",
    "Ngày tháng",
    "Tên loại và trích yếu nội dung",
    "Đơn vị hoặc người nhận",
    "Ngày chuyển",
    "Ghi chú",
]

# Printed column widths in percent of the A4 landscape table. A date (dd/mm/yyyy at 10 pt) needs
# about 8% with its padding, so date columns get 9% and never wrap; every other cell wraps inside
# its column (a long number/symbol such as 1234/QĐ-UBND-VPĐKĐĐ breaks after a hyphen or, if it
# must, anywhere) instead of running into the next one.
OUTGOING_WIDTHS = [14, 9, 23, 10, 14, 9, 5, 9, 7]
INCOMING_WIDTHS = [9, 5, 13, 12, 9, 23, 13, 9, 7]
# The columns (0-based) kept on one line: dates, arrival numbers, quantities.
OUTGOING_NOWRAP = frozenset({1, 6, 7})
INCOMING_NOWRAP = frozenset({0, 1, 4, 7})


def _d(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return value.strftime("%d/%m/%Y")


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


@dataclass(frozen=True)
class Register:
    kind: str
    title: str
    agency: Agency
    start: date
    end: date
    columns: list[str]
    rows: list[list[str]]

    @property
    def widths(self) -> list[int]:
        """Column widths in percent for the printed register."""
        return OUTGOING_WIDTHS if self.kind == OUTGOING else INCOMING_WIDTHS

    @property
    def cells(self) -> list[list[tuple[str, bool]]]:
        """The rows for the printed register: each cell's text and whether it stays on one line."""
        nowrap = OUTGOING_NOWRAP if self.kind == OUTGOING else INCOMING_NOWRAP
        return [[(text, i in nowrap) for i, text in enumerate(row)] for row in self.rows]


SYSTEM_ISSUER = "Hệ thống (tự động)"


def _notes(doc: OutgoingDocument) -> str:
    """The notes column; a document numbered by the system (no clerk) says so."""
    if doc.issued_by_id is None:
        return "; ".join(filter(None, [f"Cấp số: {SYSTEM_ISSUER}", doc.notes]))
    return doc.notes


def outgoing_rows(agency: Agency, start: date, end: date) -> list[list[str]]:
    lo, hi = _bounds(start, end)
    docs = (
        OutgoingDocument.objects.filter(
            agency=agency, issued_at__gte=lo, issued_at__lt=hi, number__isnull=False
        )
        .select_related("doc_type", "drafting_unit")
        .prefetch_related("recipients")
        .order_by("issued_at", "pk")
    )
    rows = []
    for doc in docs:
        recipients = "; ".join(r.name for r in doc.recipients.all())
        rows.append(
            [
                doc.symbol,
                _d(doc.issued_at),
                f"{doc.doc_type.name}: {doc.subject}",
                doc.signer_name,
                recipients,
                doc.file_keeper or (doc.drafting_unit.name if doc.drafting_unit else ""),
                str(doc.copies),
                _d(doc.sent_at),
                _notes(doc),
            ]
        )
    return rows


def incoming_rows(agency: Agency, start: date, end: date) -> list[list[str]]:
    lo, hi = _bounds(start, end)
    docs = (
        IncomingDocument.objects.filter(
            agency=agency, registered_at__gte=lo, registered_at__lt=hi, arrival_number__isnull=False
        )
        .prefetch_related("assignments__unit")
        .order_by("arrival_year", "arrival_number")
    )
    rows = []
    for doc in docs:
        receivers = "; ".join(
            f"{a.unit.name} ({a.get_role_display().lower()})" for a in doc.assignments.all()
        )
        notes = "; ".join(
            p
            for p in (
                doc.notes,
                doc.get_status_display() if doc.status in ("revoked", "replaced") else "",
            )
            if p
        )
        rows.append(
            [
                _d(doc.received_at),
                f"{doc.arrival_number:02d}" if doc.arrival_number else "",
                doc.sender_name,
                doc.symbol,
                _d(doc.issued_date),
                f"{doc.type_name}: {doc.subject}" if doc.type_name else doc.subject,
                receivers,
                _d(doc.handed_over_at),
                notes,
            ]
        )
    return rows


def build_register(kind: str, agency: Agency, start: date, end: date) -> Register:
    if kind not in KINDS:
        raise ValueError(f"unknown register {kind!r}")
    if end < start:
        start, end = end, start
    if kind == OUTGOING:
        columns, rows = OUTGOING_COLUMNS, outgoing_rows(agency, start, end)
    else:
        columns, rows = INCOMING_COLUMNS, incoming_rows(agency, start, end)
    return Register(
        kind=kind,
        title=KINDS[kind],
        agency=agency,
        start=start,
        end=end,
        columns=columns,
        rows=rows,
    )


def register_pdf(register: Register) -> bytes:
    return render_pdf(
        "documents/pdf/register.html",
        {
            "register": register,
            "start": _d(register.start),
            "end": _d(register.end),
            "printed_at": timezone.localtime(),
        },
    )


def register_xlsx(register: Register) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet: Any = workbook.active
    sheet.title = "So van ban " + register.kind
    for values in (
        [register.agency.name.upper()],
        [register.title.upper()],
        [f"Từ ngày {_d(register.start)} đến ngày {_d(register.end)}"],
        [],
        register.columns,
        *register.rows,
    ):
        sheet.append(xlsx.row(sheet, values))
    bold = Font(bold=True)
    thin = Side(style="thin")
    for cell in sheet[1] + sheet[2]:
        cell.font = bold
    header_row = 5
    for cell in sheet[header_row]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for row in sheet.iter_rows(min_row=header_row, max_row=sheet.max_row):
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            if cell.row > header_row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [18, 12, 50, 22, 40, 24, 10, 12, 24]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
