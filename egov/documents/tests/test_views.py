"""The documents pages as officials use them: lists per role, drafting, actions, downloads,
registers and search; another agency's documents do not exist for them."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.test import Client

from egov.conftest import fresh_totp
from egov.documents import incoming as incoming_services
from egov.documents import services
from egov.documents.models import (
    IncomingDocument,
    NumberCounter,
    OutgoingDocument,
    OutgoingStatus,
)

from .conftest import actor, pdf_upload, sign_as
from .test_incoming import _data
from .test_outgoing import approve_chain, draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_official(client, login_with_mfa):  # type: ignore[no-untyped-def]
    def login(official) -> Client:  # type: ignore[no-untyped-def]
        client.logout()
        login_with_mfa(official.user)
        return client

    return login


def test_drafter_writes_submits_and_sees_the_draft(as_official, people, vx_unit):
    client = as_official(people["drafter"])
    page = client.get("/van-ban/")
    assert page.status_code == 200
    assert "Soạn văn bản mới" in page.content.decode()
    page = client.get("/van-ban/soan-thao/")
    assert "Trích yếu nội dung" in page.content.decode()
    response = client.post(
        "/van-ban/soan-thao/",
        {
            "doc_type": "ke-hoach",
            "subject": "Kế hoạch tuyên truyền cải cách hành chính",
            "content": "Mục đích.\n\nNội dung.",
            "priority": "0",
            "copies": "2",
            "internal_units": [str(vx_unit.pk)],
        },
    )
    document = OutgoingDocument.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/van-ban/di/{document.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Kế hoạch tuyên truyền cải cách hành chính" in page
    assert "Trình duyệt" in page
    response = client.post(
        f"/van-ban/di/{document.pk}/thao-tac/trinh/",
        {"version": document.version, "reviewer": people["head"].pk},
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == OutgoingStatus.IN_REVIEW
    # The file of the current version downloads as a PDF.
    response = client.get(f"/van-ban/di/{document.pk}/phien-ban/1/")
    assert response.status_code == 200 and b"".join(response.streaming_content)[:5] == b"%PDF-"


def test_form_errors_come_back_on_the_form(as_official, people):
    client = as_official(people["drafter"])
    response = client.post(
        "/van-ban/soan-thao/",
        {"doc_type": "quyet-dinh", "subject": "x", "priority": "0", "copies": "1"},
    )
    assert response.status_code == 200
    assert "Nhập nội dung hoặc chọn tệp văn bản" in response.content.decode()
    assert not OutgoingDocument.objects.exists()


def test_leader_signs_and_clerk_issues_through_the_pages(
    as_official, people, vx_unit, certificates
):
    document = approve_chain(draft(people, vx_unit), people)
    client = as_official(people["leader"])
    page = client.get("/van-ban/?tab=cho-ky").content.decode()
    assert document.subject in page
    page = client.get(f"/van-ban/di/{document.pk}/").content.decode()
    assert "Xem trước và ký số" in page
    # The preview: what will be signed, page by page, the number and date it will show.
    page = client.get(f"/van-ban/di/{document.pk}/ky-so/").content.decode()
    assert "01/QĐ-UBND" in page and "TM. ỦY BAN NHÂN DÂN" in page
    image = client.get(f"/van-ban/di/{document.pk}/ky-so/trang-1.png")
    assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"
    seq = document.current_version.seq
    # A wrong code: a clear error, nothing signed, no number taken.
    response = client.post(
        f"/van-ban/di/{document.pk}/ky-so/",
        {"version": document.version, "previewed": seq, "code": "000000"},
    )
    assert response.status_code == 200  # the page again, with the error summary
    assert "Mã xác thực không đúng" in response.content.decode()
    document.refresh_from_db()
    assert document.status == OutgoingStatus.APPROVED and document.signed_at is None
    assert not NumberCounter.objects.exists()
    cache.clear()
    response = client.post(
        f"/van-ban/di/{document.pk}/ky-so/",
        {"version": document.version, "previewed": seq, "code": fresh_totp(margin=3)},
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == OutgoingStatus.SIGNED
    # The leader has no numbering action.
    response = client.post(
        f"/van-ban/di/{document.pk}/thao-tac/ban-hanh/", {"version": document.version}
    )
    document.refresh_from_db()
    assert document.status == OutgoingStatus.SIGNED

    client = as_official(people["clerk"])
    page = client.get("/van-ban/?tab=cho-cap-so").content.decode()
    assert document.subject in page
    response = client.post(
        f"/van-ban/di/{document.pk}/thao-tac/ban-hanh/", {"version": document.version}
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.symbol == "01/QĐ-UBND"
    page = client.get(f"/van-ban/di/{document.pk}/").content.decode()
    assert "Tải văn bản đã ký số (PDF)" in page
    response = client.get(f"/van-ban/di/{document.pk}/phien-ban/{document.current_version.seq}/")
    assert 'filename="01-qd-ubnd.pdf"' in response["Content-Disposition"]

    # The drafting unit finds it in its internal inbox.
    client = as_official(people["head"])
    page = client.get("/van-ban/?tab=hop-thu-phong").content.decode()
    assert "01/QĐ-UBND" in page and "Chưa xem" in page
    client.get(f"/van-ban/di/{document.pk}/")
    assert "Chưa xem" not in client.get("/van-ban/?tab=hop-thu-phong").content.decode()


def test_stale_action_shows_the_conflict(as_official, people, vx_unit):
    document = draft(people, vx_unit)
    services.submit_for_review(
        actor=actor(people["drafter"]), document=document, reviewer=people["head"]
    )
    client = as_official(people["head"])
    response = client.post(
        f"/van-ban/di/{document.pk}/thao-tac/y-kien/",
        {"version": 1, "decision": "return", "comment": "Sửa lại"},
    )
    assert response.status_code == 400
    assert "vừa được người khác thay đổi" in response.content.decode()


def test_another_agency_gets_404(as_official, people, vx_unit, other_agency, make_official):
    from egov.org.models import Role

    document = draft(people, vx_unit)
    incoming = incoming_services.receive(agency=people["clerk"].agency, data=_data())
    stranger = make_official(other_agency, roles=[Role.CLERK, Role.LEADER], username="stp.x")
    client = as_official(stranger)
    assert client.get(f"/van-ban/di/{document.pk}/").status_code == 404
    assert client.get(f"/van-ban/di/{document.pk}/phien-ban/1/").status_code == 404
    assert client.get(f"/van-ban/den/{incoming.pk}/").status_code == 404
    assert (
        client.post(f"/van-ban/den/{incoming.pk}/thao-tac/vao-so/", {"version": 1}).status_code
        == 404
    )


def test_citizens_are_refused(client, make_citizen):
    citizen = make_citizen()
    client.force_login(citizen)
    assert client.get("/van-ban/").status_code == 403


def test_incoming_pages_clerk_registers_leader_assigns_unit_reports(as_official, people, vx_unit):
    incoming = incoming_services.receive(
        agency=people["clerk"].agency, data=_data(sender_organ_id="")
    )
    client = as_official(people["clerk"])
    page = client.get("/van-ban/?tab=den-cho-vao-so").content.decode()
    assert "đôn đốc cung cấp dịch vụ công" in page
    response = client.post(
        f"/van-ban/den/{incoming.pk}/thao-tac/vao-so/", {"version": incoming.version}
    )
    assert response.status_code == 302
    incoming.refresh_from_db()
    assert incoming.arrival_number == 1

    client = as_official(people["leader"])
    assert "đôn đốc" in client.get("/van-ban/?tab=den-cho-but-phe").content.decode()
    response = client.post(
        f"/van-ban/den/{incoming.pk}/thao-tac/giao/",
        {
            "version": incoming.version,
            "instruction": "Phòng VX chủ trì tham mưu.",
            "main_unit": vx_unit.pk,
            "working_days": "3",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]

    client = as_official(people["drafter"])
    page = client.get("/van-ban/?tab=den-cua-phong").content.decode()
    assert "đôn đốc" in page and "Chủ trì" in page
    assignment = incoming.assignments.get()
    client.post(f"/van-ban/den/{incoming.pk}/thao-tac/nhan-xu-ly/", {"assignment": assignment.pk})
    response = client.post(
        f"/van-ban/den/{incoming.pk}/thao-tac/bao-cao/",
        {"assignment": assignment.pk, "report": "Đã tham mưu văn bản trả lời."},
    )
    assert response.status_code == 302
    incoming.refresh_from_db()
    assert incoming.status == "completed"
    response = client.get(f"/van-ban/den/{incoming.pk}/tep/{incoming.files.get().pk}/")
    assert response.status_code == 200


def test_clerk_registers_a_paper_document(as_official, people):
    client = as_official(people["clerk"])
    response = client.post(
        "/van-ban/den/vao-so-van-ban-giay/",
        {
            "sender_name": "Sở Nội vụ",
            "code_number": "120",
            "code_notation": "SNV-CCVC",
            "issued_date": "2026-03-02",
            "doc_type": "cong-van",
            "subject": "Về việc cử cán bộ dự tập huấn",
            "priority": "0",
            "file": pdf_upload("scan.pdf", "Cử cán bộ dự tập huấn"),
        },
    )
    incoming = IncomingDocument.objects.get()
    assert response.status_code == 302 and incoming.arrival_number == 1
    assert incoming.source == "paper" and incoming.symbol == "120/SNV-CCVC"
    drafter = as_official(people["drafter"])
    assert drafter.get("/van-ban/den/vao-so-van-ban-giay/").status_code == 403


def test_registers_page_and_downloads(as_official, people, vx_unit, certificates):
    from openpyxl import load_workbook

    document = approve_chain(draft(people, vx_unit), people)
    sign_as(people["leader"], document)
    services.issue(actor=actor(people["clerk"]), document=document)
    client = as_official(people["clerk"])
    page = client.get("/van-ban/so-dang-ky/?kind=di").content.decode()
    assert "Sổ đăng ký văn bản đi" in page and "01/QĐ-UBND" in page
    pdf = client.get("/van-ban/so-dang-ky/tai.pdf?kind=di")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    xlsx = client.get("/van-ban/so-dang-ky/tai.xlsx?kind=di")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "01/QĐ-UBND" in values


def test_search_page_finds_without_accents(as_official, people, vx_unit):
    draft(people, vx_unit, subject="Về việc phê duyệt Kế hoạch chuyển đổi số năm 2026")
    client = as_official(people["drafter"])
    page = client.get("/van-ban/tim-kiem/?q=chuyen+doi+so").content.decode()
    assert "Kế hoạch chuyển đổi số" in page
    page = client.get("/van-ban/tim-kiem/?q=xay+dung+nong+thon").content.decode()
    assert "Không tìm thấy" in page
