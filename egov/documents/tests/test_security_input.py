"""Issue #11, findings 6, 7 and 12 on the documents app: non-numeric or oversized numbers and ids,
dates beyond Python's range, formula injection in the register, active content in uploaded PDFs,
and the platform's own signed PDFs still accepted."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from egov.core.errors import DomainError
from egov.documents import files, services
from egov.documents.models import Attachment, OutgoingDocument
from egov.dossiers.tests import attack_pdfs
from egov.events.models import Event

from .conftest import actor, sign_as
from .test_outgoing import approve_chain, draft

pytestmark = pytest.mark.django_db
HUGE = "9" * 20
OUTGOING = "/api/v1/documents/outgoing/"


@pytest.fixture
def drafter_client(client, login_with_mfa, people):  # type: ignore[no-untyped-def]
    login_with_mfa(people["drafter"].user)
    return client


def counts() -> tuple[int, int]:
    return OutgoingDocument.objects.count(), Event.objects.count()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"priority": "abc"}, "priority"),
        ({"priority": "99"}, "priority"),
        ({"internal_units": [HUGE]}, "internal_units"),
        ({"internal_units": ["abc"]}, "internal_units"),
        ({"due_date": "9999-12-31"}, "due_date"),
        ({"due_date": "2026-02-30"}, "due_date"),
    ],
)
def test_draft_api_refuses_bad_numbers_and_dates_with_field_errors(
    drafter_client, vx_unit, change, field
):
    before = counts()
    response = drafter_client.post(
        OUTGOING,
        {"doc_type": "thong-bao", "subject": "Thông báo", "content": "Nội dung.", **change},
    )
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"]
    assert counts() == before


def test_draft_page_refuses_bad_priority_and_unit_id_with_form_errors(drafter_client, vx_unit):
    before = counts()
    page = drafter_client.post(
        "/van-ban/soan-thao/",
        {
            "doc_type": "thong-bao",
            "subject": "Thông báo",
            "content": "Nội dung.",
            "priority": "abc",
            "drafting_unit": HUGE,
            "internal_units": [HUGE],
            "platform_agencies": [HUGE],
            "due_date": "9999-12-31",
            "copies": "1e30",
        },
    )
    assert page.status_code == 200
    form = page.context["form"]
    assert {"priority", "drafting_unit", "internal_units", "platform_agencies"} <= set(form.errors)
    assert "01/01/1900" in " ".join(form.errors["due_date"])
    assert "copies" in form.errors
    assert counts() == before


def test_huge_ids_in_paths_and_actions_are_not_found_or_field_errors(
    drafter_client, people, vx_unit
):
    document = draft(people, vx_unit)
    assert drafter_client.get(f"{OUTGOING}{HUGE}/").status_code == 404
    assert drafter_client.get(f"{OUTGOING}{document.pk}/versions/{HUGE}/file/").status_code == 404
    before = counts()
    response = drafter_client.post(
        f"{OUTGOING}{document.pk}/submit/",
        {"reviewer": HUGE, "version": document.version},
        content_type="application/json",
    )
    assert response.status_code == 400 and "reviewer" in response.json()["fields"]
    response = drafter_client.post(
        f"{OUTGOING}{document.pk}/submit/",
        {"reviewer": people["leader"].pk, "version": HUGE},
        content_type="application/json",
    )
    assert response.status_code == 400 and "version" in response.json()["fields"]
    page = drafter_client.post(
        f"/van-ban/di/{document.pk}/thao-tac/bo-dinh-kem/", {"id": "abc", "version": HUGE}
    )
    assert page.status_code == 404
    assert counts() == before


def test_document_register_writes_a_formula_note_as_text(people, vx_unit, certificates):
    from openpyxl import load_workbook

    from egov.documents import registers

    note = '=HYPERLINK("http://x.example","click")'
    document = approve_chain(draft(people, vx_unit, notes=note), people)
    sign_as(people["leader"], document)
    services.issue(actor=actor(people["clerk"]), document=document)
    document.refresh_from_db()
    assert document.issued_at is not None
    day = timezone.localdate(document.issued_at)  # the register's days are local days
    register = registers.build_register(registers.OUTGOING, document.agency, day, day)
    sheet = load_workbook(io.BytesIO(registers.register_xlsx(register))).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == note]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)


@pytest.mark.parametrize("kind", sorted(attack_pdfs.ACTIVE))
def test_attachment_with_active_content_is_refused(people, vx_unit, kind):
    document = draft(people, vx_unit)
    before = (Attachment.objects.count(), Event.objects.count())
    upload = SimpleUploadedFile("phu-luc.pdf", attack_pdfs.active_content(kind))
    with pytest.raises(DomainError) as exc:
        services.add_attachment(actor=actor(people["drafter"]), document=document, upload=upload)
    assert exc.value.code == "active_content" and "in lại tài liệu ra PDF" in exc.value.message
    assert (Attachment.objects.count(), Event.objects.count()) == before


def test_pdfs_the_platform_signs_pass_the_upload_checks(people, vx_unit, certificates):
    """A PAdES-signed PDF (pyHanko, demo CA) is no active content: officials may upload it as a
    paper scan or an attachment, and a one-stop desk as a result."""
    from egov.dossiers.uploads import check_paper

    document = approve_chain(draft(people, vx_unit), people)
    version = sign_as(people["leader"], document)
    with version.file.open("rb") as handle:
        signed = handle.read()
    checked = files.check_bytes(signed, "ban-ky.pdf", allowed=(files.PDF,))
    assert checked.page_count and checked.page_count >= 1
    result = check_paper(SimpleUploadedFile("ket-qua.pdf", signed), label="kết quả")
    assert result.sha256 == checked.sha256
