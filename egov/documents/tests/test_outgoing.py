"""Outgoing documents: draft, review chain, the leader's signature, numbering and the agency's
signature by the clerk, delivery; who may do what."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from egov.core.errors import Conflict, DomainError, NotAllowed, NotFoundError
from egov.documents import event_types, services
from egov.documents.models import DocumentVersion, OutgoingStatus, Recipient, Review
from egov.documents.pdffields import issue_date_text
from egov.events.models import Event
from egov.org.models import Role

from .conftest import actor, docx_upload, pdf_upload, sign_as

pytestmark = pytest.mark.django_db

CONTENT = """Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05/3/2020 của Chính phủ về công tác văn thư;

Điều 1. Phê duyệt Kế hoạch chuyển đổi số năm 2026 của tỉnh.

Điều 2. Quyết định có hiệu lực kể từ ngày ký."""


def draft(people, vx_unit, **kwargs):  # type: ignore[no-untyped-def]
    data = services.DraftInput(
        doc_type=kwargs.pop("doc_type", "quyet-dinh"),
        subject=kwargs.pop("subject", "Về việc phê duyệt Kế hoạch chuyển đổi số năm 2026"),
        content=kwargs.pop("content", CONTENT),
        signing_authority=kwargs.pop("signing_authority", "tm"),
        internal_units=kwargs.pop("internal_units", [vx_unit]),
        **kwargs,
    )
    return services.create_draft(actor=actor(people["drafter"]), data=data)


def approve_chain(document, people):  # type: ignore[no-untyped-def]
    services.submit_for_review(
        actor=actor(people["drafter"]), document=document, reviewer=people["head"]
    )
    services.review(
        actor=actor(people["head"]),
        document=document,
        decision="approve",
        comment="Đồng ý, trình lãnh đạo.",
        forward_to=people["leader"],
    )
    services.review(
        actor=actor(people["leader"]), document=document, decision="approve", comment="Đồng ý."
    )
    document.refresh_from_db()
    return document


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


def pdftotext(content: bytes) -> str:
    """The text of a PDF as poppler's pdftotext reads it (form fields included)."""
    import subprocess

    done = subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True, timeout=60
    )
    return " ".join(done.stdout.decode().split())


def signature_reasons(content: bytes) -> list[str]:
    from pypdf import PdfReader

    fields = PdfReader(io.BytesIO(content)).get_fields() or {}
    return [str(f.value.get("/Reason", "")) for f in fields.values() if hasattr(f.value, "get")]


def read(version) -> bytes:  # type: ignore[no-untyped-def]
    with version.file.open("rb") as f:
        return f.read()


def test_written_draft_is_laid_out_in_the_decree_30_layout(people, vx_unit):
    document = draft(people, vx_unit)
    assert document.status == OutgoingStatus.DRAFT
    version = document.current_version
    assert (
        version.kind == DocumentVersion.Kind.RENDERED and version.content_type == "application/pdf"
    )
    text = pdf_text(read(version))
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ỦY BAN NHÂN DÂN TỈNH QUẢNG NINH",
        "/QĐ-UBND",
        "QUYẾT ĐỊNH",
        "chuyển đổi số",
        "Nơi nhận:",
        "Phòng Văn hóa - Xã hội",
        "Lưu: VT, VX",
        # The signer is not known before approval: the authority chosen in the draft only.
        "TM. ỦY BAN NHÂN DÂN",
    ):
        assert expected in text, expected
    assert "Quảng Ninh, ngày" in text
    assert Event.objects.filter(
        event_type=event_types.DRAFTED.name, subject_id=str(document.pk)
    ).exists()


def test_full_chain_draft_review_sign_issue_send(people, vx_unit, office_unit, certificates):
    from egov.signing.services import validate_pdf

    document = draft(people, vx_unit, internal_units=[vx_unit, office_unit])
    document = approve_chain(document, people)
    assert document.status == OutgoingStatus.APPROVED
    assert document.signer == people["leader"]
    assert [r.role for r in Review.objects.filter(document=document)] == ["unit_head", "leader"]

    # The lines above the signature come from the authority and the leader's position.
    assert document.signer_title == "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"
    copy = document.current_version
    assert copy.for_signing and copy.note == "Bản trình ký"
    version = sign_as(people["leader"], document)
    document.refresh_from_db()
    assert document.status == OutgoingStatus.SIGNED
    result = validate_pdf(read(version))
    assert result.valid, result.errors
    assert len(result.signatures) == 1
    # Signed before numbering: the body shows the blanks of a draft.
    text = pdftotext(read(version))
    assert "/QĐ-UBND" in text and "01/QĐ-UBND" not in text

    document = services.issue(actor=actor(people["clerk"]), document=document)
    assert document.status == OutgoingStatus.SENT  # internal units only: delivered at once
    assert document.symbol == "01/QĐ-UBND" and document.number == 1
    assert document.document_id.startswith("000.00.00.H41,") and document.document_id.endswith(
        ",01/QĐ-UBND"
    )
    issued = document.current_version
    assert issued.kind == DocumentVersion.Kind.ISSUED
    result = validate_pdf(read(issued))
    assert result.valid, result.errors
    # The leader's signature, then the agency's seal over it; the number and date were filled
    # in between (form filling, which the leader's signature allows).
    assert len(result.signatures) == 2
    assert result.signatures[0].modification_level == "FORM_FILLING"
    assert result.signatures[1].signer_organisation == people["clerk"].agency.name
    assert any("01/QĐ-UBND" in reason for reason in signature_reasons(read(issued)))
    # The body shows the number and the date of issue where Decree 30 puts them.
    text = pdftotext(read(issued))
    assert "Số: 01/QĐ-UBND" in text
    assert f"Quảng Ninh, {issue_date_text(timezone.localdate(document.issued_at))}" in text
    assert re.search(r"ngày \d\d tháng \d{1,2} năm 20\d\d", text)
    # Every version is kept: draft, signing copy, signed, issued.
    kinds = list(document.versions.order_by("seq").values_list("kind", flat=True))
    assert kinds[0] == "rendered" and kinds[-2:] == ["signed", "issued"]
    # Internal units find it in their inbox the same day.
    delivered = Recipient.objects.filter(document=document, kind=Recipient.Kind.INTERNAL)
    assert {r.delivery for r in delivered} == {Recipient.Delivery.DELIVERED}
    assert Event.objects.filter(
        event_type=event_types.ISSUED.name, subject_id=str(document.pk)
    ).exists()


def test_official_letter_symbol_uses_the_drafting_unit(people, vx_unit, certificates):
    document = draft(people, vx_unit, doc_type="cong-van", subject="Về việc rà soát thủ tục")
    document = approve_chain(document, people)
    sign_as(people["leader"], document)
    document = services.issue(actor=actor(people["clerk"]), document=document)
    assert document.symbol == "01/UBND-VX"


def test_only_the_approving_leader_signs_and_only_the_clerk_numbers(
    people, vx_unit, agency, make_official, certificates
):
    document = approve_chain(draft(people, vx_unit), people)
    for who in ("drafter", "head", "clerk"):
        with pytest.raises(NotAllowed):
            sign_as(people[who], document)
    deputy = make_official(agency, roles=[Role.LEADER], username="phochutich")
    with pytest.raises(NotAllowed, match="lãnh đạo khác"):
        sign_as(deputy, document)
    with pytest.raises(Conflict) as refused:
        services.issue(actor=actor(people["clerk"]), document=document)  # not signed yet
    assert refused.value.code == "invalid_transition"
    sign_as(people["leader"], document)
    for who in ("drafter", "head", "leader"):
        with pytest.raises(NotAllowed, match="văn thư"):
            services.issue(actor=actor(people[who]), document=document)
    document.refresh_from_db()
    assert document.status == OutgoingStatus.SIGNED and document.number is None


def test_another_agency_cannot_touch_the_document(people, vx_unit, other_agency, make_official):
    document = draft(people, vx_unit)
    stranger = make_official(other_agency, roles=[Role.LEADER, Role.CLERK], username="stp.gd")
    with pytest.raises(NotFoundError):
        services.submit_for_review(
            actor=actor(stranger), document=document, reviewer=people["head"]
        )
    with pytest.raises(NotFoundError):
        services.issue(actor=actor(stranger), document=document)


def test_return_for_revision_then_new_version(people, vx_unit):
    document = draft(people, vx_unit)
    services.submit_for_review(
        actor=actor(people["drafter"]), document=document, reviewer=people["head"]
    )
    with pytest.raises(DomainError, match="nội dung cần chỉnh sửa"):
        services.review(actor=actor(people["head"]), document=document, decision="return")
    services.review(
        actor=actor(people["head"]),
        document=document,
        decision="return",
        comment="Bổ sung căn cứ pháp lý.",
    )
    document.refresh_from_db()
    assert document.status == OutgoingStatus.DRAFT and document.current_reviewer is None
    first = document.current_version
    version = services.upload_version(
        actor=actor(people["drafter"]), document=document, upload=pdf_upload(text="Bản sửa")
    )
    document.refresh_from_db()
    assert version.seq == first.seq + 1 and document.current_version == version
    assert read(first)  # the earlier version is still there
    # A specialist (not a leader) cannot approve for signature.
    services.submit_for_review(
        actor=actor(people["drafter"]), document=document, reviewer=people["head"]
    )
    with pytest.raises(DomainError, match="Chỉ lãnh đạo cơ quan duyệt để ký"):
        services.review(actor=actor(people["head"]), document=document, decision="approve")
    # Only the current reviewer gives an opinion.
    with pytest.raises(NotAllowed):
        services.review(actor=actor(people["leader"]), document=document, decision="approve")


def test_stale_page_is_refused(people, vx_unit):
    document = draft(people, vx_unit)
    stale = document.version
    services.submit_for_review(
        actor=actor(people["drafter"]), document=document, reviewer=people["head"]
    )
    with pytest.raises(Conflict) as refused:
        services.review(
            actor=actor(people["head"]),
            document=document,
            decision="return",
            comment="x",
            expected_version=stale,
        )
    assert refused.value.code == "stale_version"


def test_docx_draft_needs_a_pdf_to_be_signed(people, vx_unit, certificates, settings):
    settings.DOCUMENTS_SOFFICE = "/nonexistent/soffice"  # as on a server without LibreOffice
    document = services.create_draft(
        actor=actor(people["drafter"]),
        data=services.DraftInput(doc_type="ke-hoach", subject="Kế hoạch cải cách hành chính"),
        upload=docx_upload(text="Kế hoạch cải cách hành chính năm 2026"),
    )
    assert document.current_version.content_type.endswith("wordprocessingml.document")
    assert "cai cach hanh chinh" in document.search_text
    services.submit_for_review(
        actor=actor(people["drafter"]), document=document, reviewer=people["leader"]
    )
    with pytest.raises(DomainError, match="tệp Word sang PDF") as excinfo:
        services.review(actor=actor(people["leader"]), document=document, decision="approve")
    assert excinfo.value.code == "pdf_required"
    # The leader (who has the draft) uploads the PDF, then approves and signs.
    services.upload_version(
        actor=actor(people["leader"]), document=document, upload=pdf_upload(text="Kế hoạch")
    )
    services.review(actor=actor(people["leader"]), document=document, decision="approve")
    sign_as(people["leader"], document)
    document.refresh_from_db()
    assert document.status == OutgoingStatus.SIGNED
    assert document.versions.filter(content_type__endswith="document").exists()  # DOCX kept


def test_upload_types_are_checked(people, vx_unit):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile(
        "van-ban.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    with pytest.raises(DomainError, match="không phải PDF, DOCX"):
        services.create_draft(
            actor=actor(people["drafter"]),
            data=services.DraftInput(doc_type="quyet-dinh", subject="x"),
            upload=fake,
        )
    renamed = pdf_upload(name="van-ban.docx")
    with pytest.raises(DomainError, match="không khớp"):
        services.create_draft(
            actor=actor(people["drafter"]),
            data=services.DraftInput(doc_type="quyet-dinh", subject="x"),
            upload=renamed,
        )
    with pytest.raises(DomainError) as excinfo:
        services.create_draft(
            actor=actor(people["drafter"]),
            data=services.DraftInput(doc_type="quyet-dinh", subject="x" * 501, content="y"),
        )
    assert "subject" in excinfo.value.fields


def test_expired_certificate_is_refused_at_signing(people, vx_unit, certificates):
    from egov.core.actors import SYSTEM
    from egov.signing import services as signing
    from egov.signing.models import SigningIdentity

    document = approve_chain(draft(people, vx_unit), people)
    SigningIdentity.objects.filter(official=people["leader"]).delete()
    now = timezone.now()
    signing.issue_demo_identity(
        actor=SYSTEM,
        official=people["leader"],
        not_before=now - timedelta(days=400),
        not_after=now - timedelta(days=1),
    )
    with pytest.raises(DomainError, match="hết hạn") as excinfo:
        sign_as(people["leader"], document)
    assert excinfo.value.code == "certificate_expired"
    document.refresh_from_db()
    assert document.status == OutgoingStatus.APPROVED
    assert not document.versions.filter(kind="signed").exists()


def test_revoked_agency_certificate_refuses_issue_and_keeps_the_number(
    people, vx_unit, agency, certificates
):
    from egov.core.actors import SYSTEM
    from egov.signing import services as signing
    from egov.signing.models import SigningIdentity

    document = approve_chain(draft(people, vx_unit), people)
    sign_as(people["leader"], document)
    identity = SigningIdentity.objects.get(agency=agency)
    signing.revoke_identity(actor=SYSTEM, identity=identity, reason="Mất khóa")
    with pytest.raises(DomainError, match="thu hồi"):
        services.issue(actor=actor(people["clerk"]), document=document)
    document.refresh_from_db()
    assert document.status == OutgoingStatus.SIGNED and document.symbol == ""
    # A new certificate: the number the failed attempt took was given back.
    signing.issue_demo_identity(actor=SYSTEM, agency=agency)
    document = services.issue(actor=actor(people["clerk"]), document=document)
    assert document.symbol == "01/QĐ-UBND"


def test_numbers_restart_when_the_year_turns_in_hanoi(people, vx_unit, certificates):
    import time_machine

    def issue_at(moment, subject):  # type: ignore[no-untyped-def]
        document = approve_chain(draft(people, vx_unit, subject=subject), people)
        sign_as(people["leader"], document)
        with time_machine.travel(moment, tick=False):
            return services.issue(actor=actor(people["clerk"]), document=document)

    from datetime import UTC, datetime

    # 23:50 on 31 December and 00:10 on 1 January, Hà Nội time (UTC+7).
    last = issue_at(datetime(2026, 12, 31, 16, 50, tzinfo=UTC), "Cuối năm")
    again = issue_at(datetime(2026, 12, 31, 16, 55, tzinfo=UTC), "Cuối năm nữa")
    first = issue_at(datetime(2026, 12, 31, 17, 10, tzinfo=UTC), "Đầu năm")
    assert (last.symbol, last.number_year) == ("01/QĐ-UBND", 2026)
    assert (again.symbol, again.number_year) == ("02/QĐ-UBND", 2026)
    assert (first.symbol, first.number_year) == ("01/QĐ-UBND", 2027)
    assert ",2026/12/31," in last.document_id and ",2027/01/01," in first.document_id
