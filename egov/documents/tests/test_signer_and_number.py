"""Issue #15: the issued document shows its number and date in the body (not only in a signature
box), the signer's lines come from the position and the signing authority, "Kính gửi" is
printed once, signing is confirmed by a fresh authenticator code, and the clerk's workspace
counts the documents waiting for them."""

from __future__ import annotations

import subprocess

import pytest
from django.core.cache import cache
from django.utils import timezone

from egov.core.errors import DomainError
from egov.documents import authority, services
from egov.documents.models import (
    NumberCounter,
    OutgoingStatus,
    SigningAuthority,
)
from egov.documents.pdffields import issue_date_text
from egov.org.models import Agency, Position, Role, Unit

from .conftest import actor, sign_as

pytestmark = pytest.mark.django_db


def pdftotext(content: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True, timeout=60
    )
    return " ".join(done.stdout.decode().split())


def read(field) -> bytes:  # type: ignore[no-untyped-def]
    with field.open("rb") as handle:
        return bytes(handle.read())


def position(code: str, name: str) -> Position:
    return Position.objects.get_or_create(code=code, defaults={"name": name, "is_leader": True})[0]


@pytest.fixture
def department(other_agency, make_official):  # type: ignore[no-untyped-def]
    """The Department of Justice: a director, a deputy director, the head of its office, a
    specialist of the civil-status section and the clerk."""
    section = Unit.objects.create(
        agency=other_agency,
        code="HCTP",
        name="Phòng Hành chính tư pháp",
        abbreviation="HCTP",
        kind=Unit.Kind.PROFESSIONAL,
    )
    office = Unit.objects.create(
        agency=other_agency, code="VP", name="Văn phòng Sở", abbreviation="VP", kind="office"
    )
    people = {
        "director": make_official(other_agency, roles=[Role.LEADER], username="stp.giamdoc"),
        "deputy": make_official(other_agency, roles=[Role.LEADER], username="stp.phogiamdoc"),
        "office_head": make_official(
            other_agency, roles=[Role.LEADER], unit=office, username="stp.chanhvanphong"
        ),
        "drafter": make_official(
            other_agency, roles=[Role.SPECIALIST], unit=section, username="stp.chuyenvien"
        ),
        "clerk": make_official(other_agency, roles=[Role.CLERK], unit=office, username="stp.vt"),
    }
    for key, code, name in (
        ("director", "giam-doc", "Giám đốc"),
        ("deputy", "pho-giam-doc", "Phó Giám đốc"),
        ("office_head", "chanh-van-phong", "Chánh Văn phòng"),
    ):
        people[key].position = position(code, name)
        people[key].save()
    people["section"] = section
    return people


# --- the lines above the signature (Decree 30, art. 13; Appendix I, item 7a) -------------------


def test_signer_lines_follow_the_position_and_the_authority(agency, other_agency, department):
    lines = authority.signer_lines
    # A department (run by its head): the deputy signs for the director, the director himself.
    assert lines(other_agency, SigningAuthority.KT, "Phó Giám đốc") == [
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
    ]
    assert lines(other_agency, SigningAuthority.AUTO, "Phó Giám đốc") == [
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
    ]
    assert lines(other_agency, SigningAuthority.AUTO, "Giám đốc") == ["GIÁM ĐỐC"]
    assert lines(other_agency, SigningAuthority.KT, "Giám đốc") == ["GIÁM ĐỐC"]  # no "KT." self
    assert lines(other_agency, SigningAuthority.TL, "Chánh Văn phòng") == [
        "TL. GIÁM ĐỐC",
        "CHÁNH VĂN PHÒNG",
    ]
    assert lines(other_agency, SigningAuthority.TUQ, "Chánh Văn phòng") == [
        "TUQ. GIÁM ĐỐC",
        "CHÁNH VĂN PHÒNG",
    ]
    # A People's Committee (a collective body): TM., and KT. too for a vice-chairman.
    assert lines(agency, SigningAuthority.AUTO, "Chủ tịch") == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    assert lines(agency, SigningAuthority.TM, "Phó Chủ tịch") == [
        "TM. ỦY BAN NHÂN DÂN",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
    ]
    # Before approval the signer is unknown: the authority line only.
    assert lines(other_agency, SigningAuthority.TL, None) == ["TL. GIÁM ĐỐC"]
    assert authority.split(["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]) == ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")


def test_issue_date_text_follows_decree_30():
    from datetime import date

    assert issue_date_text(date(2026, 1, 5)) == "ngày 05 tháng 01 năm 2026"
    assert issue_date_text(date(2026, 2, 28)) == "ngày 28 tháng 02 năm 2026"
    assert issue_date_text(date(2026, 3, 9)) == "ngày 09 tháng 3 năm 2026"
    assert issue_date_text(date(2026, 12, 3)) == "ngày 03 tháng 12 năm 2026"


# --- the whole chain in the department ----------------------------------------------------------


def _decision(department, **kwargs):  # type: ignore[no-untyped-def]
    return services.create_draft(
        actor=actor(department["drafter"]),
        data=services.DraftInput(
            doc_type=kwargs.pop("doc_type", "quyet-dinh"),
            subject=kwargs.pop("subject", "Về việc kiện toàn Tổ công tác cải cách hành chính"),
            content=kwargs.pop(
                "content", "Điều 1. Kiện toàn Tổ công tác.\n\nĐiều 2. Quyết định có hiệu lực."
            ),
            signing_authority=kwargs.pop("signing_authority", SigningAuthority.KT),
            internal_units=[department["section"]],
            **kwargs,
        ),
    )


def _approved(department, document, signer="deputy"):  # type: ignore[no-untyped-def]
    services.submit_for_review(
        actor=actor(department["drafter"]), document=document, reviewer=department[signer]
    )
    services.review(actor=actor(department[signer]), document=document, decision="approve")
    document.refresh_from_db()
    return document


def test_deputy_signs_kt_and_the_issued_pdf_shows_number_date_and_lines(
    department, request, other_agency
):
    from egov.signing.services import validate_pdf

    request.getfixturevalue("certificates")
    document = _approved(department, _decision(department))
    assert document.signer_title == "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"
    sign_as(department["deputy"], document)
    document = services.issue(actor=actor(department["clerk"]), document=document)
    assert document.symbol == "01/QĐ-STP"
    issued = read(document.current_version.file)
    text = pdftotext(issued)
    assert "Số: 01/QĐ-STP" in text
    today = issue_date_text(timezone.localdate(document.issued_at))
    assert f"Quảng Ninh, {today}" in text
    # The personal signature's appearance carries the lines derived from the position.
    assert "KT. GIÁM ĐỐC" in text and "PHÓ GIÁM ĐỐC" in text
    result = validate_pdf(issued)
    assert result.valid, result.errors
    assert result.signatures[0].modification_level == "FORM_FILLING"
    # pdfsig (poppler), an independent validator, finds both signatures unaltered.
    from egov.signing.services import pdfsig_report

    report = pdfsig_report(issued)
    assert report.count("Signature Validation: Signature is Valid.") == 2, report


def test_edxml_carries_the_same_lines_and_the_receiver_shows_them(
    department, request, agency, make_official
):
    from egov.documents.exchange_bridge import build_edxml

    request.getfixturevalue("certificates")
    document = _decision(department, doc_type="cong-van", subject="Về việc rà soát hộ tịch")
    document.recipients.create(
        kind="platform", agency=agency, organ_id=agency.identifier, name=agency.name
    )
    document = _approved(department, document)
    sign_as(department["deputy"], document)
    document = services.issue(actor=actor(department["clerk"]), document=document)
    edxml = build_edxml(document, list(document.recipients.all()))
    assert (edxml.signer.competence, edxml.signer.position) == ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")

    from egov.documents.incoming import incoming_data

    assert incoming_data(edxml).signer_position == "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"


def test_a_wrong_code_signs_nothing_and_takes_no_number(department, request, give_totp):
    request.getfixturevalue("certificates")
    document = _approved(department, _decision(department))
    give_totp(department["deputy"].user)
    before = (document.version, document.current_version_id, document.versions.count())
    cache.clear()
    with pytest.raises(DomainError) as refused:
        services.sign(actor=actor(department["deputy"]), document=document, second_factor="123")
    assert refused.value.code == "second_factor_invalid"
    document.refresh_from_db()
    assert document.status == OutgoingStatus.APPROVED and document.signed_at is None
    assert (document.version, document.current_version_id, document.versions.count()) == before
    assert not NumberCounter.objects.filter(agency=document.agency).exists()
    # The copy previewed has changed since (a stale preview): refused, not signed unseen.
    from egov.core.errors import Conflict

    with pytest.raises(Conflict):
        sign_as(department["deputy"], document, previewed_version=1)


def test_kinh_gui_is_printed_once(department):
    from egov.documents.render import render_pdf

    letter = _decision(
        department,
        doc_type="cong-van",
        subject="Về việc rà soát hộ tịch",
        content="Kính gửi: Ủy ban nhân dân các xã.\n\nSở Tư pháp đề nghị rà soát.",
    )
    text = pdftotext(render_pdf(letter).content)
    assert text.count("Kính gửi") == 1 and "Kính gửi: Ủy ban nhân dân các xã." in text
    plain = _decision(
        department, doc_type="cong-van", subject="Về việc khác", content="Đề nghị rà soát."
    )
    text = pdftotext(render_pdf(plain).content)
    assert text.count("Kính gửi") == 1 and "Kính gửi: Phòng Hành chính tư pháp." in text


def test_the_clerks_workspace_counts_documents_to_number(
    department, request, client, login_with_mfa
):
    request.getfixturevalue("certificates")
    document = _approved(department, _decision(department))
    sign_as(department["deputy"], document)
    login_with_mfa(department["clerk"].user)
    page = client.get("/lam-viec/").content.decode()
    assert "1</span> văn bản chờ cấp số" in page
    assert "/van-ban/?tab=cho-cap-so" in page
    assert "0</span> văn bản đến chờ vào sổ" in page
    assert "hồ sơ cần tôi xử lý" not in page  # a clerk's work is documents, not dossiers


def test_agency_kinds_have_a_head_title(province):  # type: ignore[no-untyped-def]
    committee = Agency.objects.create(
        identifier="000.01.50.H41",
        name="Ủy ban nhân dân phường Hạ Long",
        abbreviation="UBND",
        kind=Agency.Kind.PEOPLES_COMMITTEE,
        admin_unit=province,
    )
    assert authority.head_title(committee) == "Chủ tịch"
    assert authority.collective_name(committee) == "Ủy ban nhân dân"
    assert authority.signer_lines(committee, SigningAuthority.AUTO, "Phó Chủ tịch") == [
        "TM. ỦY BAN NHÂN DÂN",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
    ]
