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

from .conftest import actor, make_pdf
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
    services.sign(actor=actor(people["leader"]), document=new)
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
        services.send_update(
            actor=actor(people["leader"]), document=sent, reason="x", supersede=[]
        )
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
