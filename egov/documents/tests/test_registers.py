"""The outgoing and incoming registers carry Decree 30's columns, in order, for the period."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.utils import timezone

from egov.documents import incoming as incoming_services
from egov.documents import registers, services

from .conftest import actor
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
        services.sign(actor=actor(people["leader"]), document=document)
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
