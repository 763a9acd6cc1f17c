"""Fixtures for dossiers: a small online procedure with a form and a required PDF."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from egov.catalog import services
from egov.catalog.models import OnlineMode, Procedure
from egov.core.actors import SYSTEM


def make_pdf(pages: int = 1, text: str = "Giay to") -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_upload(name: str = "giay-chung-sinh.pdf", pages: int = 1) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_pdf(pages), content_type="application/pdf")


@pytest.fixture
def birth_procedure(agency) -> Procedure:  # type: ignore[no-untyped-def]
    sector = services.create_sector(actor=SYSTEM, code="HT", name="Hộ tịch")
    return services.create_procedure(
        actor=SYSTEM,
        code="1.001193.000.00.00.H41",
        name="Đăng ký khai sinh",
        sector=sector,
        level="commune",
        processing_time=Decimal("1"),
        online_mode=OnlineMode.FULL,
        agencies=[agency],
        is_published=True,
        components=[
            services.ComponentSpec(
                code="to-khai",
                name="Tờ khai đăng ký khai sinh",
                form_schema={
                    "fields": [
                        {
                            "name": "child_name",
                            "label": "Họ, chữ đệm, tên của trẻ",
                            "type": "text",
                            "required": True,
                            "max_length": 100,
                        },
                        {
                            "name": "birth_date",
                            "label": "Ngày sinh",
                            "type": "date",
                            "required": True,
                        },
                        {
                            "name": "gender",
                            "label": "Giới tính",
                            "type": "select",
                            "choices": ["Nam", "Nữ"],
                            "required": True,
                        },
                    ]
                },
            ),
            services.ComponentSpec(code="giay-chung-sinh", name="Giấy chứng sinh"),
            services.ComponentSpec(code="uy-quyen", name="Văn bản ủy quyền", required=False),
        ],
        fees=[
            services.FeeSpec(
                kind="charge",
                name="Lệ phí đăng ký khai sinh",
                amount=0,
                rule="Miễn lệ phí khi đăng ký đúng hạn",
            )
        ],
        steps=[
            services.StepSpec("Tiếp nhận", "receiver", "0.25"),
            services.StepSpec("Xử lý", "specialist", "0.5"),
            services.StepSpec("Ký duyệt", "leader", "0.25"),
        ],
    )


@pytest.fixture
def offline_procedure(agency) -> Procedure:  # type: ignore[no-untyped-def]
    sector = services.create_sector(actor=SYSTEM, code="DD", name="Đất đai")
    return services.create_procedure(
        actor=SYSTEM,
        code="1.004227.000.00.00.H41",
        name="Đăng ký biến động đất đai",
        sector=sector,
        level="province",
        processing_time=Decimal("10"),
        online_mode=OnlineMode.NONE,
        agencies=[agency],
        is_published=True,
        steps=[services.StepSpec("Xử lý", "specialist", "10")],
    )


VALID_FORM = {
    "to-khai": {"child_name": "Nguyễn Minh An", "birth_date": "2026-11-01", "gender": "Nam"}
}
