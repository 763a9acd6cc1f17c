"""The outgoing and incoming registers carry Decree 30's columns, in order, for the period."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from egov.documents import incoming as incoming_services
from egov.documents import registers, services

from .conftest import actor, sign_as
from .test_incoming import _data
from .test_outgoing import approve_chain, draft

pytestmark = pytest.mark.django_db


def test_outgoing_register_rows_pdf_and_xlsx(people, vx_unit, office_unit, agency, certificates):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    for subject in ("Về việc thứ nhất", "Về việc thứ hai"):
        document = approve_chain(
            draft(people, vx_unit, subject=subject, internal_units=[vx_unit, office_unit]), people
        )
        sign_as(people["leader"], document)
        services.issue(actor=actor(people["clerk"]), document=document)
    draft(people, vx_unit, subject="Dự thảo chưa ban hành")
    today = timezone.localdate()
    register = registers.build_register("di", agency, today - timedelta(days=1), today)
    assert register.columns == registers.OUTGOING_COLUMNS
    first, second = register.rows
    assert first[0] == "01/QĐ-UBND" and second[0] == "02/QĐ-UBND"
    assert first[1] == today.strftime("%d/%m/%Y")
    assert first[2] == "Quyết định: Về việc thứ nhất"
    assert first[3] == people["leader"].user.get_full_name()
    assert first[4] == "Phòng Văn hóa - Xã hội; Văn phòng"
    assert first[5] == "Phòng Văn hóa - Xã hội"  # file keeper: the drafting unit
    assert first[7] == today.strftime("%d/%m/%Y")  # sent the same day
    # Nothing outside the period.
    assert registers.build_register("di", agency, date(2020, 1, 1), date(2020, 12, 31)).rows == []

    pdf = registers.register_pdf(register)
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # A4 landscape
    text = " ".join(page.extract_text().split())
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐI" in text.upper() and "02/QĐ-UBND" in text
    sheet = load_workbook(io.BytesIO(registers.register_xlsx(register))).active
    assert [c.value for c in sheet[5]] == registers.OUTGOING_COLUMNS
    assert sheet["A6"].value == "01/QĐ-UBND" and sheet["A7"].value == "02/QĐ-UBND"


def test_incoming_register(people, agency, vx_unit):
    incoming = incoming_services.receive(agency=agency, data=_data(sender_organ_id=""))
    incoming_services.register_incoming(actor=actor(people["clerk"]), incoming=incoming)
    incoming_services.assign_units(
        actor=actor(people["leader"]),
        incoming=incoming,
        instruction="Giao VX",
        main_unit=vx_unit,
        working_days=3,
    )
    incoming_services.receive(
        agency=agency, data=_data(document_id="x,2026/01/01,1/X")
    )  # not registered
    today = timezone.localdate()
    register = registers.build_register("den", agency, today, today)
    assert register.columns == registers.INCOMING_COLUMNS
    (row,) = register.rows
    assert row[0] == today.strftime("%d/%m/%Y")
    assert row[1] == "01"
    assert row[2] == "Văn phòng Chính phủ"
    assert row[3] == "15/VPCP-KSTT"
    assert row[4] == "02/03/2026"
    assert row[5] == "Công văn: Về việc đôn đốc cung cấp dịch vụ công trực tuyến"
    assert row[6] == "Phòng Văn hóa - Xã hội (chủ trì)"
    assert row[7] == today.strftime("%d/%m/%Y")


def test_export_register_command(agency, people, tmp_path):
    from django.core.management import call_command

    incoming = incoming_services.receive(agency=agency, data=_data(sender_organ_id=""))
    incoming_services.register_incoming(actor=actor(people["clerk"]), incoming=incoming)
    target = tmp_path / "so-den.xlsx"
    call_command(
        "export_register", agency.identifier, "--kind", "den", "--format", "xlsx", "-o", str(target)
    )
    from openpyxl import load_workbook

    sheet = load_workbook(target).active
    assert sheet["B6"].value == "01"


def _printed(kind: str, rows: list[list[str]]) -> list[Any]:
    from egov.core.tests.pdftools import pdf_words
    from egov.org.models import Agency

    columns = registers.OUTGOING_COLUMNS if kind == "di" else registers.INCOMING_COLUMNS
    register = registers.Register(
        kind=kind,
        title=registers.KINDS[kind],
        agency=Agency(name="Ủy ban nhân dân tỉnh Quảng Ninh"),
        start=date(2026, 12, 1),
        end=date(2026, 12, 3),
        columns=columns,
        rows=rows,
    )
    return pdf_words(registers.register_pdf(register))


def _row_words(words: list[Any], first: str) -> list[Any]:
    """The words printed on the row whose first cell starts with `first`."""
    top = min((w for w in words if w.text.startswith(first)), key=lambda w: w.x_min)
    below = [w.y_min for w in words if w.y_min > top.y_max + 8 and w.x_min < top.x_min + 5]
    bottom = min(below, default=1e9)  # the next row, or the footer line under the table
    return [w for w in words if top.y_min - 1 <= w.y_min < bottom]


def test_outgoing_register_wraps_a_long_symbol_inside_its_column():
    symbol = "1234/QĐ-UBND-VPĐKĐĐQN"
    words = _printed(
        "di",
        [
            [
                symbol,
                "03/12/2026",
                "Quyết định: Về việc phê duyệt kế hoạch",
                "Nguyễn Văn An",
                "Sở Nội vụ",
                "Văn phòng",
                "2",
                "04/12/2026",
                "",
            ],
        ],
    )
    row = _row_words(words, "1234/")
    dates = [w for w in row if w.text == "03/12/2026"]
    assert len(dates) == 1  # the date is whole, on one line
    date_left = dates[0].x_min
    pieces = [w for w in row if w.x_max <= date_left and w.text not in ("03/12/2026",)]
    assert "".join(w.text for w in sorted(pieces, key=lambda w: (w.y_min, w.x_min))) == symbol
    assert all(w.x_max < date_left - 2 for w in row if w.x_min < date_left and w not in dates)
    assert any(w.text == "04/12/2026" for w in row)  # the sent date is not cut either


def test_incoming_register_keeps_a_long_receiving_unit_out_of_the_date_column():
    unit = "Phòng Kinh tế, Hạ tầng và Đô thị (chủ trì); Phòng Tài chính - Kế hoạch (phối hợp)"
    words = _printed(
        "den",
        [
            [
                "03/12/2026",
                "07",
                "Văn phòng Chính phủ",
                "1234/VPCP-KSTT-ĐMNQ",
                "02/12/2026",
                "Công văn: Về việc đôn đốc",
                unit,
                "04/12/2026",
                "",
            ],
        ],
    )
    row = _row_words(words, "03/12/2026")
    handed = next(w for w in row if w.text == "04/12/2026")
    unit_words = [w for w in row if w.text in unit.split()]
    assert unit_words and all(w.x_max < handed.x_min - 2 for w in unit_words)
