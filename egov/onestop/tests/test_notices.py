"""Forms 02, 03 and 04 issued as documents by their actions: the PDF read back with pdftotext
carries every field label of the form and the Vietnamese text intact, it is signed by the issuing
official when they hold a certificate, it is a dossier file the applicant downloads on the portal
(and nobody else), the applicant's notice links to it, and a rolled-back action leaves nothing."""

from __future__ import annotations

import subprocess
import unicodedata
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from egov.conftest import login_client
from egov.core.actors import SYSTEM
from egov.dossiers.models import ApplicantNotice, Dossier, DossierFile, Status
from egov.dossiers.tests.conftest import pdf_upload
from egov.events.models import OutboxMessage
from egov.onestop import notices, services
from egov.org.models import Position, Role
from egov.signing import services as signing
from egov.signing.models import SigningIdentity

from .conftest import act

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")

MOTTO = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def text_of(pdf: bytes, tmp_path: Path) -> str:
    """What a reader copies out of the PDF (poppler's pdftotext), NFC, one space per gap."""
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    return " ".join(unicodedata.normalize("NFC", out).split())


def stored(dossier: Dossier, kind: str) -> DossierFile:
    return DossierFile.objects.get(dossier=dossier, kind=kind)


def content(row: DossierFile) -> bytes:
    with row.file.open("rb") as handle:
        return bytes(handle.read())


def receive(staff, procedure) -> Dossier:  # type: ignore[no-untyped-def]
    dossier = services.receive_in_person(
        actor=act(staff.receiver),
        procedure_code=procedure.code,
        applicant=services.Applicant(
            "citizen", "Lê Thị Hoa", "022195001234", "0912345678", "hoa@example.vn"
        ),
        uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
    )
    if dossier.steps.get(status="active").assignee_id != staff.specialist.pk:
        services.assign(actor=act(staff.head), dossier=dossier, official_id=staff.specialist.pk)
    dossier.refresh_from_db()
    return dossier


def submit_online(procedure, owner) -> Dossier:  # type: ignore[no-untyped-def]
    from egov.dossiers.services import Submission
    from egov.dossiers.services import submit_online as submit

    return submit(
        user=owner,
        submission=Submission(
            procedure_code=procedure.code,
            agency_identifier=procedure.agencies.get().identifier,
            form_data={},
            uploads={"to-khai": [pdf_upload()]},
            result_delivery="online",
        ),
    )


# Certificates made "in January": valid on the dates the tests travel to.
ISSUED = datetime(2026, 1, 5, 9, 0, tzinfo=VN)


@pytest.fixture(scope="module")
def hierarchy() -> signing.DemoHierarchy:
    with time_machine.travel(ISSUED, tick=False):
        return signing.make_demo_hierarchy()


@pytest.fixture
def certificates(staff, hierarchy):  # type: ignore[no-untyped-def]
    """The demo CA, and a personal certificate for the specialist and the leader."""
    with time_machine.travel(ISSUED, tick=False):
        signing.ensure_demo_ca(actor=SYSTEM, hierarchy=hierarchy)
        for official in (staff.specialist, staff.leader):
            SigningIdentity.objects.filter(official=official).delete()
            signing.issue_demo_identity(actor=SYSTEM, official=official)


def signers(pdf: bytes) -> list[str]:
    report = signing.validate_pdf(pdf)
    assert report.valid, report.errors
    return [s.signer_subject for s in report.signatures]


# --- form 02 -------------------------------------------------------------------------------------


def test_supplement_request_issues_form_02_signed_by_the_official(
    staff, procedure, certificates, tmp_path
):
    dossier = receive(staff, procedure)
    with time_machine.travel(at(2026, 11, 25, 9, 30), tick=False):
        services.request_supplement(
            actor=act(staff.specialist),
            dossier=dossier,
            reason="Bản sao Giấy khai sinh có chứng thực\nẢnh chân dung 4×6 chụp không quá 6 tháng",
        )
    row = stored(dossier, DossierFile.Kind.FORM_02)
    assert row.content_type == "application/pdf" and row.page_count == 1
    assert row.original_name == f"mau-02-phieu-yeu-cau-bo-sung-{dossier.code}.pdf"
    pdf = content(row)
    text = text_of(pdf, tmp_path)
    for label in [
        *MOTTO,
        "ỦY BAN NHÂN DÂN TỈNH QUẢNG NINH",
        "Phòng Hộ tịch",
        f"Số: {dossier.code}/YCBS",
        "Quảng Ninh, ngày 25 tháng 11 năm 2026",
        "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
        "(Mẫu số 02)",
        "tiếp nhận hồ sơ của: Lê Thị Hoa",
        f"Mã hồ sơ: {dossier.code}",
        "Nội dung yêu cầu giải quyết: Cấp giấy xác nhận tình trạng hôn nhân",
        "Địa chỉ:",
        f"Số điện thoại: {dossier.applicant_phone}",
        "Email: hoa@example.vn",
        "Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:",
        "1. Bản sao Giấy khai sinh có chứng thực",
        "2. Ảnh chân dung 4×6 chụp không quá 6 tháng",
        "Lý do: Hồ sơ chưa đầy đủ hoặc chưa chính xác",
        "Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, ông/bà liên hệ với",
        "NGƯỜI HƯỚNG DẪN",
        "CHUYÊN VIÊN",  # the signature box: the official's position and name
        staff.specialist.user.get_full_name(),
    ]:
        assert label in text, label
    # The specialist's personal signature (PAdES), checked by pyHanko and by poppler's pdfsig.
    assert signers(pdf) == [staff.specialist.user.get_full_name()]
    assert "Signature is Valid" in signing.pdfsig_report(pdf, use_trust_list=False)


def test_a_second_supplement_request_is_a_second_form_and_notice(staff, procedure, make_citizen):
    owner = make_citizen()
    dossier = submit_online(procedure, owner)
    first = services.request_supplement(actor=act(staff.receiver), dossier=dossier, reason="A")
    services.provide_supplement(user=owner, dossier=dossier, uploads=[pdf_upload("bo-sung.pdf")])
    second = services.request_supplement(actor=act(staff.receiver), dossier=dossier, reason="B")
    rows = list(dossier.files.filter(kind=DossierFile.Kind.FORM_02).order_by("pk"))
    assert [r.original_name for r in rows] == [
        f"mau-02-phieu-yeu-cau-bo-sung-{dossier.code}.pdf",
        f"mau-02-phieu-yeu-cau-bo-sung-{dossier.code}-2.pdf",
    ]
    for request, row in zip((first, second), rows, strict=True):
        key = f"dossier:{dossier.code}:supplement-{request.pk}:sms"
        sms = OutboxMessage.objects.get(idempotency_key=key)
        # The SMS ends with the dossier's page; the e-mail carries the whole notice, form too.
        assert sms.payload["text"].endswith(f" Xem hồ sơ: /ho-so-cua-toi/{dossier.code}/")
        inbox = ApplicantNotice.objects.get(dossier=dossier, what=f"supplement-{request.pk}")
        assert f"/ho-so-cua-toi/{dossier.code}/phieu/{row.pk}/" in inbox.text


def test_without_a_certificate_the_form_is_issued_unsigned_with_the_printed_name(
    staff, procedure, tmp_path
):
    dossier = receive(staff, procedure)
    services.request_supplement(actor=act(staff.specialist), dossier=dossier, reason="Tờ khai")
    pdf = content(stored(dossier, DossierFile.Kind.FORM_02))
    assert signing.validate_pdf(pdf).signatures == []
    text = text_of(pdf, tmp_path)
    assert "NGƯỜI HƯỚNG DẪN (Ký và ghi rõ họ tên) " + staff.specialist.user.get_full_name() in text


# --- form 03 -------------------------------------------------------------------------------------


def test_refusal_issues_form_03_and_the_notice_links_it(
    client, staff, procedure, make_citizen, settings, tmp_path
):
    settings.PUBLIC_BASE_URL = "https://dichvucong.quangninh.gov.vn"
    owner = make_citizen()
    dossier = submit_online(procedure, owner)
    with time_machine.travel(at(2026, 12, 1, 14, 0), tick=False):
        services.refuse(
            actor=act(staff.receiver),
            dossier=dossier,
            reason="Thủ tục không thuộc thẩm quyền giải quyết của Ủy ban nhân dân tỉnh.",
        )
    row = stored(dossier, DossierFile.Kind.FORM_03)
    text = text_of(content(row), tmp_path)
    for label in [
        *MOTTO,
        "ỦY BAN NHÂN DÂN TỈNH QUẢNG NINH",
        "Bộ phận Một cửa",
        f"Số: {dossier.code}/TCTN",
        "Quảng Ninh, ngày 01 tháng 12 năm 2026",
        "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
        "(Mẫu số 03)",
        f"tiếp nhận hồ sơ của: {owner.get_full_name()}",
        f"Mã hồ sơ: {dossier.code}",
        "Nội dung yêu cầu giải quyết: Cấp giấy xác nhận tình trạng hôn nhân",
        "Địa chỉ:",
        f"Số điện thoại: {owner.phone}",
        "Email:",
        "thông báo không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:",
        "Thủ tục không thuộc thẩm quyền giải quyết của Ủy ban nhân dân tỉnh.",
        "Xin thông báo cho ông/bà được biết và thực hiện./.",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "(Ký và ghi rõ họ tên)",
        staff.receiver.user.get_full_name(),
    ]:
        assert label in text, label
    link = f"https://dichvucong.quangninh.gov.vn/ho-so-cua-toi/{dossier.code}/phieu/{row.pk}/"
    sms = OutboxMessage.objects.get(idempotency_key=f"dossier:{dossier.code}:refused:sms")
    assert sms.payload["text"] == (
        f"Hồ sơ {dossier.code} không được tiếp nhận. Lý do: Thủ tục không thuộc thẩm quyền giải "
        f"quyết của Ủy ban nhân dân tỉnh. Phiếu từ chối tiếp nhận (mẫu 03): {link} Xem hồ sơ: "
        f"https://dichvucong.quangninh.gov.vn/ho-so-cua-toi/{dossier.code}/"
    )
    # The applicant follows the link (signed in) and gets the very file.
    client.force_login(owner)
    page = client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert "Phiếu từ chối tiếp nhận giải quyết hồ sơ (mẫu 03)" in page
    assert f"/ho-so-cua-toi/{dossier.code}/phieu/{row.pk}/" in page
    response = client.get(f"/ho-so-cua-toi/{dossier.code}/phieu/{row.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content(row)
    assert response["Content-Disposition"].startswith("attachment")


def test_only_the_applicant_and_officials_who_see_the_dossier_get_the_form(
    client, staff, procedure, make_citizen, make_official, other_agency
):
    owner = make_citizen()
    dossier = submit_online(procedure, owner)
    services.refuse(actor=act(staff.receiver), dossier=dossier, reason="Sai thẩm quyền")
    row = stored(dossier, DossierFile.Kind.FORM_03)
    portal_url = f"/ho-so-cua-toi/{dossier.code}/phieu/{row.pk}/"
    # Another citizen: not found, on the page and on the file.
    client.force_login(make_citizen())
    assert client.get(f"/ho-so-cua-toi/{dossier.code}/").status_code == 404
    assert client.get(portal_url).status_code == 404
    # Another agency's official: not found in the workspace either.
    stranger = login_client(make_official(other_agency, [Role.RECEIVER]).user)
    assert stranger.get(f"/mot-cua/ho-so/{dossier.code}/tep/{row.pk}/").status_code == 404
    # The receiving agency's official downloads it from the workspace dossier page.
    own = login_client(staff.specialist.user)
    page = own.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert f"/mot-cua/ho-so/{dossier.code}/tep/{row.pk}/" in page
    assert "Phiếu từ chối tiếp nhận giải quyết hồ sơ (mẫu 03)" in page
    response = own.get(f"/mot-cua/ho-so/{dossier.code}/tep/{row.pk}/")
    assert b"".join(response.streaming_content)[:5] == b"%PDF-"
    # The portal route serves issued forms only, not the applicant's other files.
    client.force_login(owner)
    paper = dossier.files.get(kind=DossierFile.Kind.COMPONENT)
    assert client.get(f"/ho-so-cua-toi/{dossier.code}/phieu/{paper.pk}/").status_code == 404


# --- form 04 -------------------------------------------------------------------------------------


def test_approved_apology_issues_form_04_signed_by_the_leader(
    staff, procedure, certificates, tmp_path
):
    position = Position.objects.create(code="pho-chu-tich", name="Phó Chủ tịch", is_leader=True)
    staff.leader.position = position
    staff.leader.save(update_fields=["position"])
    with time_machine.travel(at(2026, 11, 23, 8, 0), tick=False):
        dossier = receive(staff, procedure)
    with time_machine.travel(at(2026, 11, 26, 9, 0), tick=False):
        letter = services.draft_apology(
            actor=act(staff.specialist),
            dossier=dossier,
            reason="Chờ kết quả xác minh của Sở Tư pháp",
            new_appointment_at=at(2026, 12, 2, 17, 0),
        )
        assert not dossier.files.filter(kind=DossierFile.Kind.FORM_04).exists()  # a draft
        services.decide_apology(actor=act(staff.leader), letter_id=letter.pk, approve=True)
    pdf = content(stored(dossier, DossierFile.Kind.FORM_04))
    text = text_of(pdf, tmp_path)
    for label in [
        *MOTTO,
        "ỦY BAN NHÂN DÂN TỈNH QUẢNG NINH",
        f"Số: {dossier.code}/PXL",
        "Quảng Ninh, ngày 26 tháng 11 năm 2026",
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "(Mẫu số 04)",
        "Kính gửi: Lê Thị Hoa",
        "Ngày 23/11/2026, Ủy ban nhân dân tỉnh Quảng Ninh tiếp nhận giải quyết hồ sơ",
        f"Mã hồ sơ: {dossier.code}",
        "Nội dung giải quyết: Cấp giấy xác nhận tình trạng hôn nhân",
        "Theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả, thời gian trả kết quả giải quyết hồ sơ: "
        "17 giờ 00 phút, ngày 30/11/2026",
        "Lý do: Chờ kết quả xác minh của Sở Tư pháp",
        "xin lỗi ông/bà/tổ chức và hẹn lại thời gian trả kết quả vào ngày 02 tháng 12 năm 2026",
        "Xin trân trọng cảm ơn!",
        "PHÓ CHỦ TỊCH",  # the signature box: the leader's position and name
        staff.leader.user.get_full_name(),
    ]:
        assert label in text, label
    assert signers(pdf) == [staff.leader.user.get_full_name()]
    sms = OutboxMessage.objects.get(
        idempotency_key=f"dossier:{dossier.code}:apology-{letter.pk}:sms"
    )
    assert "Ngày hẹn trả mới: 02/12/2026" in sms.payload["text"]
    # Received at the desk, without a portal account: no link to the form (the paper is at the
    # desk), the public lookup of the dossier instead.
    assert sms.payload["text"].endswith(
        f"Ngày hẹn trả mới: 02/12/2026. Xem hồ sơ: /tra-cuu/?code={dossier.code}"
    )


def test_rejected_apology_issues_nothing(staff, procedure):
    with time_machine.travel(at(2026, 11, 23, 8, 0), tick=False):
        dossier = receive(staff, procedure)
    with time_machine.travel(at(2026, 11, 26, 9, 0), tick=False):
        letter = services.draft_apology(
            actor=act(staff.specialist),
            dossier=dossier,
            reason="Chờ xác minh",
            new_appointment_at=at(2026, 12, 2, 17, 0),
        )
        services.decide_apology(actor=act(staff.leader), letter_id=letter.pk, approve=False)
    assert not dossier.files.filter(kind=DossierFile.Kind.FORM_04).exists()


# --- a rolled-back action ------------------------------------------------------------------------


def test_a_rolled_back_action_leaves_no_file_row_or_message(
    staff, procedure, settings, monkeypatch
):
    dossier = receive(staff, procedure)
    before = {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}

    def fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(notices, "notify_applicant", fail)  # after the PDF is stored
    with pytest.raises(RuntimeError):
        services.request_supplement(actor=act(staff.specialist), dossier=dossier, reason="X")
    assert not DossierFile.objects.filter(kind=DossierFile.Kind.FORM_02).exists()
    assert {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()} == before
    assert Dossier.objects.get(pk=dossier.pk).status == Status.PROCESSING
    assert not OutboxMessage.objects.filter(idempotency_key__contains="supplement").exists()
