"""Incoming documents between two agencies on one platform, through the exchange hub: arrival,
registration with an arrival number, instruction and assignment, processing and report, and
the status answers (01, 03, 04, 05, 06) the sender sees; revoke, update, replace; deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.utils import timezone

from egov.core.errors import Conflict, DomainError, NotAllowed, NotFoundError
from egov.documents import incoming as incoming_services
from egov.documents import services
from egov.documents.incoming import (
    BusinessType,
    IncomingData,
    IncomingFileData,
    overdue_filter,
    paper_document_id,
)
from egov.documents.models import (
    IncomingAssignment,
    IncomingDocument,
    IncomingStatus,
    OutgoingStatus,
    Recipient,
)
from egov.events.services import dispatch_due
from egov.org.models import Position, Role

from .conftest import actor, make_pdf, sign_as
from .test_outgoing import approve_chain, draft

pytestmark = pytest.mark.django_db


def deliver() -> None:
    """Run the outbox (the worker's job) until nothing is due."""
    for _ in range(10):
        if not dispatch_due().claimed:
            return


@pytest.fixture
def receivers(other_agency, other_unit, make_official):  # type: ignore[no-untyped-def]
    director, _ = Position.objects.get_or_create(
        code="giam-doc", defaults={"name": "Giám đốc", "is_leader": True}
    )
    clerk = make_official(other_agency, roles=[Role.CLERK], username="stp.vanthu")
    leader = make_official(other_agency, roles=[Role.LEADER], username="stp.giamdoc")
    leader.position = director
    leader.save()
    specialist = make_official(
        other_agency, roles=[Role.SPECIALIST], unit=other_unit, username="stp.chuyenvien"
    )
    return {"clerk": clerk, "leader": leader, "specialist": specialist}


@pytest.fixture
def sent(people, receivers, vx_unit, other_agency, certificates):  # type: ignore[no-untyped-def]
    """A decision of the provincial committee issued to the Department of Justice."""
    document = draft(
        people,
        vx_unit,
        doc_type="cong-van",
        subject="Về việc rà soát thủ tục hành chính lĩnh vực hộ tịch",
        internal_units=[],
        platform_agencies=[other_agency],
    )
    document = approve_chain(document, people)
    sign_as(people["leader"], document)
    document = services.issue(actor=actor(people["clerk"]), document=document)
    deliver()
    return document


def test_round_trip_between_two_agencies_with_status_answers(
    sent, people, receivers, other_agency, other_unit
):
    from egov.exchange.services import statuses_for

    assert sent.status == OutgoingStatus.SENT
    recipient = Recipient.objects.get(document=sent)
    assert recipient.kind == Recipient.Kind.PLATFORM and recipient.delivery == "queued"

    incoming = IncomingDocument.objects.get(agency=other_agency)
    assert incoming.status == IncomingStatus.RECEIVED  # "chờ vào sổ"
    assert incoming.document_id == sent.document_id
    assert incoming.symbol == "01/UBND-VX"
    assert incoming.sender_name == sent.agency.name and incoming.sender_agency == sent.agency
    assert incoming.signer_name == sent.signer_name
    assert incoming.files.count() == 1
    assert "ho tich" in incoming.search_text
    recipient.refresh_from_db()
    assert recipient.edxml_status == "01"

    clerk, leader, specialist = receivers["clerk"], receivers["leader"], receivers["specialist"]
    incoming = incoming_services.register_incoming(actor=actor(clerk), incoming=incoming)
    assert (incoming.arrival_number, incoming.status) == (1, IncomingStatus.REGISTERED)
    deliver()
    recipient.refresh_from_db()
    assert recipient.edxml_status == "03"

    incoming_services.assign_units(
        actor=actor(leader),
        incoming=incoming,
        instruction="Giao Phòng Hành chính tư pháp chủ trì, báo cáo trước hạn.",
        main_unit=other_unit,
        working_days=5,
    )
    deliver()
    assignment = IncomingAssignment.objects.get(incoming=incoming)
    incoming_services.start_assignment(actor=actor(specialist), assignment=assignment)
    deliver()
    recipient.refresh_from_db()
    assert recipient.edxml_status == "05"
    incoming_services.report_assignment(
        actor=actor(specialist), assignment=assignment, report="Đã rà soát 12 thủ tục."
    )
    deliver()
    incoming.refresh_from_db()
    assert incoming.status == IncomingStatus.COMPLETED
    (status,) = statuses_for(sent.document_id)
    assert status.status_code == "06"
    assert [h.status_code for h in status.history] == ["01", "03", "04", "05", "06"]
    recipient.refresh_from_db()
    assert recipient.edxml_status == "06"


def test_steps_need_the_right_role(sent, receivers, other_agency, other_unit, people, agency):
    incoming = IncomingDocument.objects.get(agency=other_agency)
    with pytest.raises(NotAllowed, match="văn thư"):
        incoming_services.register_incoming(actor=actor(receivers["leader"]), incoming=incoming)
    with pytest.raises(NotFoundError):  # another agency's clerk
        incoming_services.register_incoming(actor=actor(people["clerk"]), incoming=incoming)
    incoming_services.register_incoming(actor=actor(receivers["clerk"]), incoming=incoming)
    with pytest.raises(NotAllowed, match="lãnh đạo"):
        incoming_services.assign_units(
            actor=actor(receivers["clerk"]),
            incoming=incoming,
            instruction="x",
            main_unit=other_unit,
        )
    with pytest.raises(DomainError) as excinfo:
        incoming_services.assign_units(
            actor=actor(receivers["leader"]), incoming=incoming, instruction="", main_unit=None
        )
    assert {"instruction", "main_unit"} <= set(excinfo.value.fields)
    incoming_services.assign_units(
        actor=actor(receivers["leader"]),
        incoming=incoming,
        instruction="Xử lý",
        main_unit=other_unit,
        working_days=2,
    )
    assignment = IncomingAssignment.objects.get(incoming=incoming)
    with pytest.raises(NotAllowed, match="đơn vị được giao"):
        incoming_services.report_assignment(
            actor=actor(receivers["clerk"]), assignment=assignment, report="xong"
        )


def test_clerk_rejects_a_document_sent_by_mistake(sent, receivers, other_agency):
    from egov.exchange.services import statuses_for

    incoming = IncomingDocument.objects.get(agency=other_agency)
    with pytest.raises(DomainError, match="lý do"):
        incoming_services.reject_incoming(
            actor=actor(receivers["clerk"]), incoming=incoming, reason=" "
        )
    incoming_services.reject_incoming(
        actor=actor(receivers["clerk"]), incoming=incoming, reason="Gửi nhầm cơ quan."
    )
    deliver()
    incoming.refresh_from_db()
    assert incoming.status == IncomingStatus.REJECTED and incoming.arrival_number is None
    (status,) = statuses_for(sent.document_id)
    assert status.status_code == "02"


def _data(**kwargs):  # type: ignore[no-untyped-def]
    values = {
        "document_id": "000.00.00.G22,2026/03/02,15/VPCP-KSTT",
        "sender_organ_id": "000.00.00.G22",
        "sender_name": "Văn phòng Chính phủ",
        "code_number": "15",
        "code_notation": "VPCP-KSTT",
        "issued_date": date(2026, 3, 2),
        "type_name": "Công văn",
        "subject": "Về việc đôn đốc cung cấp dịch vụ công trực tuyến",
        "files": [IncomingFileData("cv.pdf", "application/pdf", make_pdf("Đôn đốc dịch vụ công"))],
    }
    values.update(kwargs)
    return IncomingData(**values)


def test_a_package_received_twice_is_registered_once(agency):
    first = incoming_services.receive(agency=agency, data=_data())
    again = incoming_services.receive(agency=agency, data=_data())
    assert first.pk == again.pk
    assert IncomingDocument.objects.count() == 1
    assert first.doc_type.code == "cong-van"
    assert "don doc dich vu cong" in first.search_text  # text of the PDF, without accents


def test_revoke_update_and_replace(agency):
    original = incoming_services.receive(agency=agency, data=_data())
    updated = incoming_services.receive(
        agency=agency,
        data=_data(
            business_type=BusinessType.UPDATE,
            subject="Về việc đôn đốc cung cấp dịch vụ công trực tuyến (cập nhật)",
            business_reason="Sửa trích yếu",
            files=[IncomingFileData("cv-2.pdf", "application/pdf", make_pdf("Bản cập nhật"))],
        ),
    )
    assert updated.pk == original.pk
    assert updated.subject.endswith("(cập nhật)")
    assert [f.superseded for f in updated.files.order_by("pk")] == [True, False]

    replacement = incoming_services.receive(
        agency=agency,
        data=_data(
            document_id="000.00.00.G22,2026/03/05,18/VPCP-KSTT",
            code_number="18",
            business_type=BusinessType.REPLACE,
            replaces_document_ids=[original.document_id],
        ),
    )
    original.refresh_from_db()
    assert original.status == IncomingStatus.REPLACED and replacement.replaces == original

    revoked = incoming_services.receive(
        agency=agency,
        data=_data(
            document_id=replacement.document_id,
            business_type=BusinessType.REVOKE,
            business_reason="Ban hành nhầm",
        ),
    )
    assert revoked.pk == replacement.pk
    assert revoked.status == IncomingStatus.REVOKED and revoked.status_note == "Ban hành nhầm"
    with pytest.raises(DomainError, match="Không tìm thấy"):
        incoming_services.receive(
            agency=agency,
            data=_data(
                document_id="000.00.00.G22,2026/01/01,1/X", business_type=BusinessType.REVOKE
            ),
        )


def test_due_date_on_the_working_calendar_and_overdue(agency, people, vx_unit):
    clerk, leader, drafter = people["clerk"], people["leader"], people["drafter"]
    # Friday 6 March 2026, 10:00 in Hà Nội.
    with time_machine.travel(datetime(2026, 3, 6, 3, 0, tzinfo=UTC), tick=False):
        incoming = incoming_services.receive(agency=agency, data=_data(), source="paper")
        incoming_services.register_incoming(actor=actor(clerk), incoming=incoming)
        incoming_services.assign_units(
            actor=actor(leader),
            incoming=incoming,
            instruction="Phòng VX chủ trì.",
            main_unit=vx_unit,
            working_days=1,
        )
        incoming.refresh_from_db()
        # One working day after Friday is Monday, due at the end of its afternoon.
        due = timezone.localtime(incoming.due_at)
        assert (due.date(), due.hour) == (date(2026, 3, 9), 17)
        assert not IncomingDocument.objects.filter(overdue_filter()).exists()
    with time_machine.travel(datetime(2026, 3, 10, 3, 0, tzinfo=UTC), tick=False):
        assert IncomingDocument.objects.filter(overdue_filter()).get() == incoming
        assignment = IncomingAssignment.objects.get(incoming=incoming)
        incoming_services.report_assignment(
            actor=actor(drafter), assignment=assignment, report="Xong"
        )
        assert not IncomingDocument.objects.filter(overdue_filter()).exists()


def test_paper_document_is_registered_without_status_answers(agency, people):
    from egov.exchange.models import StatusRecord

    incoming = incoming_services.receive(
        agency=agency,
        data=_data(document_id=paper_document_id(agency), sender_organ_id="", files=[]),
        source=IncomingDocument.Source.PAPER,
    )
    incoming_services.register_incoming(actor=actor(people["clerk"]), incoming=incoming)
    assert not StatusRecord.objects.exists()


def test_arrival_numbers_run_through_the_year(agency, people):
    numbers = []
    for n in range(3):
        incoming = incoming_services.receive(
            agency=agency, data=_data(document_id=f"x,2026/01/0{n + 1},{n}/X", sender_organ_id="")
        )
        numbers.append(
            incoming_services.register_incoming(
                actor=actor(people["clerk"]), incoming=incoming
            ).arrival_number
        )
    assert numbers == [1, 2, 3]
    with pytest.raises(Conflict) as refused:
        incoming_services.register_incoming(actor=actor(people["clerk"]), incoming=incoming)
    assert refused.value.code == "invalid_transition"


def test_sender_revokes_through_the_exchange(sent, people, receivers, other_agency):
    import dataclasses

    from django.db import transaction

    from egov.documents.exchange_bridge import build_edxml
    from egov.exchange.services import send, statuses_for

    incoming = IncomingDocument.objects.get(agency=other_agency)
    incoming_services.register_incoming(actor=actor(receivers["clerk"]), incoming=incoming)
    deliver()
    revoke = dataclasses.replace(
        build_edxml(sent, list(sent.recipients.all())),
        business_doc_type=BusinessType.REVOKE,
        business_doc_reason="Ban hành nhầm đối tượng",
    )
    with transaction.atomic():
        send(revoke, actor=actor(people["clerk"]), sender_agency=sent.agency)
    deliver()
    incoming.refresh_from_db()
    assert incoming.status == IncomingStatus.REVOKED
    assert incoming.status_note == "Ban hành nhầm đối tượng"
    (status,) = statuses_for(sent.document_id)
    assert status.status_code == "03"  # revoke agreed


def test_pdf_attachments_are_signed_by_the_agency_and_travel_with_the_document(
    people, receivers, vx_unit, other_agency, certificates
):
    from egov.signing.services import validate_pdf

    from .conftest import pdf_upload
    from .test_outgoing import signature_reasons

    document = draft(
        people, vx_unit, doc_type="ke-hoach", internal_units=[], platform_agencies=[other_agency]
    )
    attachment = services.add_attachment(
        actor=actor(people["drafter"]),
        document=document,
        upload=pdf_upload("phu-luc.pdf", "Phụ lục danh mục thủ tục"),
    )
    document = approve_chain(document, people)
    sign_as(people["leader"], document)
    document = services.issue(actor=actor(people["clerk"]), document=document)
    attachment.refresh_from_db()
    with attachment.signed_file.open("rb") as handle:
        signed = handle.read()
    result = validate_pdf(signed)
    assert result.valid and len(result.signatures) == 1
    assert any("01/KH-UBND" in r for r in signature_reasons(signed))
    deliver()
    incoming = IncomingDocument.objects.get(agency=other_agency)
    assert sorted(f.original_name for f in incoming.files.all()) == [
        "01-KH-UBND.pdf",
        "phu-luc.pdf",
    ]
    assert "phu luc danh muc thu tuc" in incoming.search_text


def test_unknown_external_recipient_leaves_the_document_issued_with_the_error(
    people, vx_unit, certificates
):
    document = draft(
        people,
        vx_unit,
        internal_units=[vx_unit],
        external=[("000.00.00.G22", "Văn phòng Chính phủ")],
    )
    document = approve_chain(document, people)
    sign_as(people["leader"], document)
    document = services.issue(actor=actor(people["clerk"]), document=document)
    assert document.status == OutgoingStatus.ISSUED and document.symbol == "01/QĐ-UBND"
    assert "000.00.00.G22" in document.send_error
    rows = {r.kind: r for r in Recipient.objects.filter(document=document)}
    assert rows["internal"].delivery == "delivered"  # the internal unit still has it
    assert rows["external"].delivery == "failed"
    # Retrying changes nothing until the operator declares the endpoint.
    document = services.send(actor=actor(people["clerk"]), document=document)
    assert document.status == OutgoingStatus.ISSUED
