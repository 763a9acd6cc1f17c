# ruff: noqa: F811  (the fixtures `sent` and `receivers` are imported from test_incoming)
"""Revoke, update and replace after sending (edXML BussinessDocType 1, 2, 3) between two
agencies on one platform: the clerk's action with a reason, the package through the hub, the
receiving side's incoming document marked, and the answers (03, 15) shown to the sender; the
refusals a clerk or an intruder meets."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from egov.core.errors import Conflict, DomainError, NotAllowed, NotFoundError
from egov.documents import incoming as incoming_services
from egov.documents import services
from egov.documents.models import (
    Attachment,
    IncomingDocument,
    IncomingStatus,
    OutgoingStatus,
    Recipient,
)
from egov.events.models import Event

from .conftest import actor, make_pdf, sign_as
from .test_incoming import deliver, receivers, sent  # noqa: F401 (fixtures)
from .test_outgoing import approve_chain, draft

pytestmark = pytest.mark.django_db


def _events(document) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        Event.objects.filter(subject_type="outgoing_document", subject_id=str(document.pk))
        .order_by("id")
        .values_list("event_type", flat=True)
    )


def test_revoke_reaches_the_recipient_and_its_agreement_comes_back(
    sent, people, receivers, other_agency
):
    incoming = IncomingDocument.objects.get(agency=other_agency)
    incoming_services.register_incoming(actor=actor(receivers["clerk"]), incoming=incoming)
    deliver()

    document = services.revoke(
        actor=actor(people["clerk"]), document=sent, reason="Ban hành nhầm đối tượng"
    )
    assert document.status == OutgoingStatus.REVOKED
    assert document.revoke_reason == "Ban hành nhầm đối tượng"
    deliver()

    incoming.refresh_from_db()
    assert incoming.status == IncomingStatus.REVOKED
    assert incoming.status_note == "Ban hành nhầm đối tượng"
    row = Recipient.objects.get(document=sent)
    assert row.revoke_status == "03"  # agreed
    assert row.edxml_status == "03"  # the document's own "registered" is kept apart
    assert "document.revoked" in _events(sent)

    with pytest.raises(Conflict) as twice:
        services.revoke(actor=actor(people["clerk"]), document=document, reason="Lần nữa")
    assert twice.value.code == "already_revoked"


def test_update_sends_a_corrected_file_and_the_recipient_agrees(
    sent, people, receivers, other_agency
):
    first = Attachment.objects.create(
        document=sent,
        original_name="phu-luc.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
    )
    corrected = SimpleUploadedFile(
        "phu-luc-sua.pdf", make_pdf("Phụ lục đã sửa"), content_type="application/pdf"
    )
    services.send_update(
        actor=actor(people["clerk"]),
        document=sent,
        reason="Bổ sung phụ lục bị thiếu trang",
        uploads=[corrected],
        supersede=[first],
    )
    deliver()

    sent.refresh_from_db()
    assert sent.status == OutgoingStatus.SENT  # an update changes no state
    first.refresh_from_db()
    assert first.superseded_at is not None  # kept, no longer sent
    added = Attachment.objects.get(document=sent, added_by_update=True)
    assert added.signed_file  # signed by the agency like any attachment at issue

    incoming = IncomingDocument.objects.get(agency=other_agency)
    assert incoming.status_note == "Bổ sung phụ lục bị thiếu trang"
    names = set(incoming.files.filter(superseded=False).values_list("original_name", flat=True))
    assert "phu-luc-sua.pdf" in names and "phu-luc.pdf" not in names
    row = Recipient.objects.get(document=sent)
    assert row.update_status == "15"
    assert "document.update_sent" in _events(sent)

    with pytest.raises(Conflict) as again:
        services.send_update(
            actor=actor(people["clerk"]),
            document=sent,
            reason="Lần hai",
            uploads=[SimpleUploadedFile("b.pdf", make_pdf("b"), content_type="application/pdf")],
        )
    assert again.value.code == "already_updated"


def test_replace_marks_the_old_document_on_both_sides(
    sent, people, receivers, vx_unit, other_agency
):
    new = draft(
        people,
        vx_unit,
        doc_type="cong-van",
        subject="Về việc rà soát thủ tục hành chính lĩnh vực hộ tịch (thay thế)",
        internal_units=[],
        platform_agencies=[other_agency],
        replaces=sent,
        replace_reason="Sai thời hạn báo cáo",
    )
    assert new.replaces == sent
    new = approve_chain(new, people)
    sign_as(people["leader"], new)
    new = services.issue(actor=actor(people["clerk"]), document=new)
    deliver()

    sent.refresh_from_db()
    assert sent.status == OutgoingStatus.REPLACED
    assert list(sent.replaced_by.all()) == [new]
    assert "document.replaced" in _events(sent)
    assert "document.replacing" in _events(new)

    old_in = IncomingDocument.objects.get(agency=other_agency, document_id=sent.document_id)
    new_in = IncomingDocument.objects.get(agency=other_agency, document_id=new.document_id)
    assert old_in.status == IncomingStatus.REPLACED
    assert new_in.replaces == old_in

    with pytest.raises(Conflict) as gone:
        services.revoke(actor=actor(people["clerk"]), document=sent, reason="Thu hồi")
    assert gone.value.code == "document_no_longer_current"


def test_replace_needs_an_issued_document_of_the_same_agency_and_a_reason(
    sent, people, vx_unit, receivers, other_agency
):
    with pytest.raises(DomainError) as no_reason:
        draft(people, vx_unit, replaces=sent, replace_reason="")
    assert "replace_reason" in no_reason.value.fields
    a_draft = draft(people, vx_unit)
    with pytest.raises(DomainError) as not_issued:
        draft(people, vx_unit, replaces=a_draft, replace_reason="x")
    assert "replaces" in not_issued.value.fields


def test_who_may_revoke_and_when(sent, people, receivers, vx_unit):
    # Another agency's clerk does not see the document at all.
    with pytest.raises(NotFoundError):
        services.revoke(actor=actor(receivers["clerk"]), document=sent, reason="Không phải của tôi")
    # The specialist who drafted it is not the clerk.
    with pytest.raises(NotAllowed):
        services.revoke(actor=actor(people["drafter"]), document=sent, reason="Tôi soạn")
    with pytest.raises(NotAllowed):
        services.send_update(actor=actor(people["leader"]), document=sent, reason="x", supersede=[])
    # A reason is required.
    with pytest.raises(DomainError) as empty:
        services.revoke(actor=actor(people["clerk"]), document=sent, reason="  ")
    assert empty.value.code == "reason_required"
    # A document not sent yet cannot be revoked.
    unsent = draft(people, vx_unit)
    with pytest.raises(Conflict) as early:
        services.revoke(actor=actor(people["clerk"]), document=unsent, reason="Sớm")
    assert early.value.code == "document_not_sent"
    # Nothing changed.
    sent.refresh_from_db()
    assert sent.status == OutgoingStatus.SENT
    assert "document.revoked" not in _events(sent)


def test_update_needs_a_file_change(sent, people, receivers):
    with pytest.raises(DomainError) as nothing:
        services.send_update(actor=actor(people["clerk"]), document=sent, reason="Sửa")
    assert nothing.value.code == "nothing_to_update"


# --- the pages ---------------------------------------------------------------------------------


@pytest.fixture
def as_official(client, login_with_mfa):  # type: ignore[no-untyped-def]
    def login(official):  # type: ignore[no-untyped-def]
        client.logout()
        login_with_mfa(official.user)
        return client

    return login


def test_clerk_revokes_from_the_page_and_both_sides_see_it(
    sent, people, receivers, other_agency, as_official
):
    url = f"/van-ban/di/{sent.pk}/"
    # Only the clerk is offered the actions after sending.
    page = as_official(people["drafter"]).get(url).content.decode()
    assert "Thu hồi" not in page and "Xác nhận gửi cập nhật" not in page
    client = as_official(people["clerk"])
    page = client.get(url).content.decode()
    assert "Xác nhận thu hồi" in page and "Xác nhận gửi cập nhật" in page
    assert "Soạn văn bản thay thế" in page

    # No reason: the form says so and nothing changes.
    refused = client.post(
        f"/van-ban/di/{sent.pk}/thao-tac/thu-hoi/", {"version": sent.version, "reason": ""}
    )
    assert refused.status_code == 400
    assert "Chưa thực hiện được" in refused.content.decode()
    sent.refresh_from_db()
    assert sent.status == OutgoingStatus.SENT

    done = client.post(
        f"/van-ban/di/{sent.pk}/thao-tac/thu-hoi/",
        {"version": sent.version, "reason": "Ban hành nhầm đối tượng"},
        follow=True,
    )
    page = done.content.decode()
    assert "Đã thu hồi văn bản" in page
    assert "Lý do: Ban hành nhầm đối tượng" in page
    assert "Xác nhận thu hồi" not in page  # once
    deliver()
    page = client.get(url).content.decode()
    assert "03 Đồng ý thu hồi" in page

    incoming = IncomingDocument.objects.get(agency=other_agency)
    receiver = as_official(receivers["clerk"])
    page = receiver.get(f"/van-ban/den/{incoming.pk}/").content.decode()
    assert "Văn bản đã bị cơ quan gửi thu hồi" in page
    assert "lý do: Ban hành nhầm đối tượng" in page
    assert "Cơ quan gửi thu hồi" in page  # the history


def test_another_agency_clerk_cannot_post_a_revoke(sent, people, receivers, as_official):
    response = as_official(receivers["clerk"]).post(
        f"/van-ban/di/{sent.pk}/thao-tac/thu-hoi/", {"version": sent.version, "reason": "x"}
    )
    assert response.status_code == 404
    sent.refresh_from_db()
    assert sent.status == OutgoingStatus.SENT


def test_update_and_replace_on_the_pages(
    sent, people, receivers, other_agency, vx_unit, as_official
):
    client = as_official(people["clerk"])
    upload = SimpleUploadedFile("phu-luc.pdf", make_pdf("Phụ lục"), content_type="application/pdf")
    client.post(
        f"/van-ban/di/{sent.pk}/thao-tac/cap-nhat/",
        {"version": sent.version, "reason": "Bổ sung phụ lục", "file": upload},
    )
    deliver()
    page = client.get(f"/van-ban/di/{sent.pk}/").content.decode()
    assert "15 Đồng ý cập nhật" in page
    assert "bổ sung khi cập nhật" in page
    incoming = IncomingDocument.objects.get(agency=other_agency)
    receiver = as_official(receivers["clerk"])
    page = receiver.get(f"/van-ban/den/{incoming.pk}/").content.decode()
    assert "Đã cập nhật" in page and "lý do: Bổ sung phụ lục" in page
    listing = receiver.get("/van-ban/?tab=den-cho-vao-so").content.decode()
    assert "Đã được cập nhật" in listing

    # The drafter's form offers the issued document to replace.
    drafter = as_official(people["drafter"])
    form = drafter.get(f"/van-ban/soan-thao/?thay-the={sent.pk}").content.decode()
    assert "Thay thế văn bản số" in form and sent.symbol in form
    new = draft(
        people,
        vx_unit,
        doc_type="cong-van",
        subject="Văn bản thay thế",
        internal_units=[],
        platform_agencies=[other_agency],
        replaces=sent,
        replace_reason="Sai thời hạn",
    )
    new = approve_chain(new, people)
    sign_as(people["leader"], new)
    new = services.issue(actor=actor(people["clerk"]), document=new)
    deliver()
    page = as_official(people["clerk"]).get(f"/van-ban/di/{sent.pk}/").content.decode()
    assert "Đã bị thay thế bởi" in page and new.symbol in page
    assert "Xác nhận thu hồi" not in page
    old_in = IncomingDocument.objects.get(agency=other_agency, document_id=sent.document_id)
    page = as_official(receivers["clerk"]).get(f"/van-ban/den/{old_in.pk}/").content.decode()
    assert "Đã được thay thế" in page and new.symbol in page
