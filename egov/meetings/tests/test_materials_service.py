"""Meeting materials through their service: what is accepted and refused (nothing stored on a
refusal), versions, withdrawal, official documents as materials, bounds, and who hears of a
new material."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from egov.cases.kernel import TransitionRefused
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.core.scoping import visible_to
from egov.core.uploads import DOCX, ODP, ODS, ODT, PPTX, XLSX
from egov.documents.files import search_text
from egov.documents.models import (
    DocumentType,
    DocumentVersion,
    IncomingDocument,
    IncomingFile,
    IncomingStatus,
    OutgoingDocument,
    OutgoingStatus,
)
from egov.events.models import Event, OutboxMessage
from egov.meetings.error_codes import MeetingErrorCode
from egov.meetings.models import AgendaItem, Material, MaterialVersion, MeetingStatus
from egov.meetings.services import materials as service

from .conftest import actor
from .material_files import (
    EXE,
    EXTENSION,
    HTML_PAGE,
    ZIP,
    make_office,
    make_pdf,
    media,  # noqa: F401 - fixture
    pdf_upload,
    stored_files,
    upload,
)

pytestmark = pytest.mark.django_db


def events(kind: str) -> list[Event]:
    return list(Event.objects.filter(event_type=f"meeting.{kind}").order_by("id"))


def add(board: Any, meeting: Any, **kwargs: Any) -> Material:
    kwargs.setdefault("title", "Báo cáo tình hình kinh tế - xã hội")
    if not any(k in kwargs for k in ("upload", "outgoing_document", "incoming_document")):
        kwargs["upload"] = pdf_upload()
    return service.add_material(actor=actor(board.secretariat), meeting=meeting, **kwargs)


# --- accepted ------------------------------------------------------------------------------------


def test_a_pdf_becomes_version_one_with_its_hash(board, make_meeting, tmp_path) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    content = make_pdf(pages=3)
    material = add(board, meeting, upload=upload("bao-cao-quy-4.pdf", content))
    version = material.current_version
    assert version is not None and version.seq == 1
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    assert version.size == len(content) and version.page_count == 3
    assert (
        version.original_name == "bao-cao-quy-4.pdf" and version.content_type == "application/pdf"
    )
    with version.file.open("rb") as stored:
        assert stored.read() == content
    [event] = events("material_added")
    assert event.payload["material"] == material.pk and event.payload["version"] == 1
    assert event.payload["material_title"] == "Báo cáo tình hình kinh tế - xã hội"
    # A meeting still in preparation: its papers go out with the invitation, not one by one.
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize("content_type", [DOCX, XLSX, PPTX, ODT, ODS, ODP])
def test_office_documents_are_accepted(board, make_meeting, content_type) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    name = "tai-lieu" + EXTENSION[content_type]
    material = add(board, meeting, upload=upload(name, make_office(content_type), content_type))
    assert material.current_version.content_type == content_type


def test_the_title_defaults_to_the_file_name(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    material = add(board, make_meeting(), title="  ", upload=pdf_upload("To trinh so 12.pdf"))
    assert material.title == "To trinh so 12.pdf"


# --- refused: nothing stored ---------------------------------------------------------------------


REFUSED = [
    ("chuong-trinh.pdf", EXE, "không phải"),
    ("giay-moi.pdf", HTML_PAGE, "không phải"),
    ("tai-lieu.pdf", ZIP, "không phải"),
    ("bao-cao.docx", make_office(DOCX, macro=True), "macro"),
    ("bao-cao.odt", make_office(ODT, macro=True), "macro"),
    ("anh.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "không phải"),
    ("trong.pdf", b"", "rỗng"),
]


@pytest.mark.parametrize(("name", "content", "says"), REFUSED)
def test_what_is_not_a_pdf_or_office_document_is_refused(  # type: ignore[no-untyped-def]
    board, make_meeting, tmp_path, name, content, says
) -> None:
    meeting = make_meeting()
    with pytest.raises(service.MaterialRejected) as refused:
        add(board, meeting, upload=upload(name, content))
    assert refused.value.code == MeetingErrorCode.MATERIAL_REJECTED == "material_rejected"
    assert says in refused.value.message and name in refused.value.message
    assert refused.value.fields == {"file": [refused.value.message]}
    assert not Material.objects.exists() and not MaterialVersion.objects.exists()
    assert not events("material_added") and not stored_files(tmp_path)


def test_a_pdf_named_docx_is_refused(board, make_meeting, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(service.MaterialRejected, match="không khớp"):
        add(board, make_meeting(), upload=upload("to-trinh.docx", make_pdf()))
    assert not stored_files(tmp_path)


def test_a_pdf_with_javascript_is_refused(board, make_meeting, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('x');"),
        }
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(service.MaterialRejected, match="JavaScript"):
        add(board, make_meeting(), upload=upload("bao-cao.pdf", buffer.getvalue()))
    assert not stored_files(tmp_path)


def test_a_file_over_the_bound_is_refused(board, make_meeting, tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MEETINGS_MAX_MATERIAL_BYTES = 1024
    with pytest.raises(service.MaterialRejected, match="vượt quá dung lượng"):
        add(board, make_meeting())
    assert not stored_files(tmp_path) and not Material.objects.exists()


def test_the_meeting_total_is_bounded(board, make_meeting, tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    first = add(board, meeting)
    settings.MEETINGS_MAX_MEETING_MATERIALS_BYTES = first.current_version.size + 100
    before = stored_files(tmp_path)
    with pytest.raises(service.MaterialRejected, match="Tổng dung lượng tài liệu"):
        add(board, meeting, title="Phụ lục")
    # A new version counts too (the earlier ones are kept).
    with pytest.raises(service.MaterialRejected, match="Tổng dung lượng tài liệu"):
        service.add_version(actor=actor(board.secretariat), material=first, upload=pdf_upload())
    assert stored_files(tmp_path) == before
    assert Material.objects.count() == 1 and MaterialVersion.objects.count() == 1


def test_only_organisers_add_and_only_while_the_meeting_is_open(  # type: ignore[no-untyped-def]
    board, make_meeting, tmp_path
) -> None:
    meeting = make_meeting()
    with pytest.raises(NotAllowed):
        service.add_material(
            actor=actor(board.members[0]), meeting=meeting, title="X", upload=pdf_upload()
        )
    with pytest.raises(NotFoundError):
        service.add_material(
            actor=actor(board.outsider), meeting=meeting, title="X", upload=pdf_upload()
        )
    closed = make_meeting(MeetingStatus.CLOSED)
    with pytest.raises(TransitionRefused):
        add(board, closed)
    # The secretary organises too.
    service.add_material(
        actor=actor(board.secretary), meeting=meeting, title="Dự thảo", upload=pdf_upload()
    )
    assert Material.objects.count() == 1 and len(stored_files(tmp_path)) == 1


def test_an_item_of_another_meeting_and_readers_not_invited_are_refused(  # type: ignore[no-untyped-def]
    board, make_meeting, make_official
) -> None:
    meeting, other = make_meeting(), make_meeting()
    with pytest.raises(DomainError) as wrong_item:
        add(board, meeting, item=AgendaItem.objects.filter(meeting=other).first())
    assert wrong_item.value.fields.keys() == {"item"}
    with pytest.raises(DomainError) as wrong_reader:
        add(board, meeting, confidential=True, readers=[board.outsider])
    assert wrong_reader.value.code == MeetingErrorCode.MEETING_INVALID
    assert wrong_reader.value.fields.keys() == {"readers"}
    assert not Material.objects.exists()


# --- versions and withdrawal ---------------------------------------------------------------------


def test_a_new_version_keeps_the_old_ones(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    material = add(board, make_meeting())
    first = material.current_version
    second_content = make_pdf("Bản sửa đổi", pages=2)
    material = service.add_version(
        actor=actor(board.secretariat),
        material=material,
        upload=upload("bao-cao-v2.pdf", second_content),
        note="Cập nhật số liệu quý 4",
    )
    versions = list(material.versions.order_by("seq"))
    assert [v.seq for v in versions] == [1, 2]
    assert material.current_version == versions[1] and versions[1].note == "Cập nhật số liệu quý 4"
    assert versions[1].sha256 == hashlib.sha256(second_content).hexdigest()
    assert first.file.storage.exists(first.file.name)  # the first version's file is kept
    [event] = events("material_version_added")
    assert event.payload["version"] == 2


def test_withdrawing_keeps_versions_and_hides_the_material(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    material = add(board, meeting)
    service.withdraw_material(actor=actor(board.secretariat), material=material)
    material.refresh_from_db()
    assert material.withdrawn and material.versions.count() == 1
    assert material.current_version.file.storage.exists(material.current_version.file.name)
    assert events("material_withdrawn")[0].payload["material"] == material.pk
    member_sees = visible_to(actor(board.members[0]), Material.objects.all())
    assert not member_sees.exists()
    assert visible_to(actor(board.secretariat), Material.objects.all()).get() == material
    with pytest.raises(DomainError, match="đã được rút"):
        service.withdraw_material(actor=actor(board.secretariat), material=material)
    with pytest.raises(DomainError, match="đã rút"):
        service.add_version(actor=actor(board.secretariat), material=material, upload=pdf_upload())
    assert material.versions.count() == 1


def test_a_member_cannot_withdraw(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    material = add(board, make_meeting())
    with pytest.raises(NotAllowed):
        service.withdraw_material(actor=actor(board.members[0]), material=material)
    material.refresh_from_db()
    assert not material.withdrawn


def test_a_confidential_title_stays_out_of_the_log(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    add(board, make_meeting(), title="Phương án nhân sự", confidential=True)
    [event] = events("material_added")
    assert event.payload["material_title"] == "Tài liệu mật" and event.payload["confidential"]
    assert "nhân sự" not in str(event.payload)


# --- official documents --------------------------------------------------------------------------


def issued_document(board: Any, agency: Any = None, status: str = OutgoingStatus.ISSUED) -> Any:
    content = make_pdf("Quyết định ban hành kế hoạch", pages=2)
    number = 15 + OutgoingDocument.objects.count()
    subject = "Quyết định ban hành kế hoạch phát triển kinh tế năm 2026"
    document = OutgoingDocument.objects.create(
        agency=agency or board.agency,
        drafted_by=board.secretariat,
        doc_type=DocumentType.objects.get(code="quyet-dinh"),
        subject=subject,
        search_text=search_text(subject, f"{number}/QĐ-UBND"),
        status=status,
        number=number,
        number_year=2026,
        symbol=f"{number}/QĐ-UBND",
        issued_at=timezone.now(),
    )
    version = DocumentVersion(
        document=document,
        seq=1,
        kind=DocumentVersion.Kind.ISSUED,
        original_name="qd-15.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        page_count=2,
    )
    version.file.save("qd.pdf", ContentFile(content), save=False)
    version.save()
    document.current_version = version
    document.save(update_fields=["current_version"])
    return document


def incoming_document(agency: Any) -> Any:
    content = make_pdf("Công văn của Bộ", pages=1)
    incoming = IncomingDocument.objects.create(
        agency=agency,
        status=IncomingStatus.REGISTERED,
        received_at=timezone.now(),
        sender_name="Bộ Kế hoạch và Đầu tư",
        code_number="88",
        code_notation="BKHĐT-TH",
        issued_date=date(2026, 1, 5),
        subject="Hướng dẫn xây dựng kế hoạch năm 2026",
        document_id=f"000.00.00.G06,2026/01/05,{agency.pk}",
    )
    row = IncomingFile(
        incoming=incoming,
        original_name="cv-88.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    row.file.save("cv.pdf", ContentFile(content), save=False)
    row.save()
    return incoming


def test_an_issued_document_is_linked_as_version_one(board, make_meeting, tmp_path) -> None:  # type: ignore[no-untyped-def]
    document = issued_document(board)
    files_before = stored_files(tmp_path)
    material = add(board, make_meeting(), title="", outgoing_document=document)
    version = material.current_version
    assert material.outgoing_document == document and material.title == document.subject
    assert version.file.name == document.current_version.file.name  # linked, not copied
    assert version.sha256 == document.current_version.sha256 and version.page_count == 2
    assert version.original_name == "15-qd-ubnd.pdf"
    assert stored_files(tmp_path) == files_before
    with pytest.raises(DomainError, match="văn bản chính thức"):
        service.add_version(actor=actor(board.secretariat), material=material, upload=pdf_upload())


def test_an_incoming_document_is_linked(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    incoming = incoming_document(board.agency)
    material = add(board, make_meeting(), title="", incoming_document=incoming)
    assert material.title == incoming.subject
    assert material.current_version.file.name == incoming.files.get().file.name
    assert material.current_version.page_count == 1


def test_documents_that_may_not_be_attached(board, make_meeting, other_agency) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    draft = issued_document(board, status=OutgoingStatus.DRAFT)
    foreign = issued_document(board, agency=other_agency)
    foreign_incoming = incoming_document(other_agency)
    for kwargs in (
        {"outgoing_document": draft},
        {"outgoing_document": foreign},
        {"incoming_document": foreign_incoming},
    ):
        with pytest.raises(DomainError) as refused:
            add(board, meeting, **kwargs)
        assert refused.value.code == MeetingErrorCode.MEETING_INVALID
    with pytest.raises(DomainError, match="một tệp"):
        add(board, meeting, upload=pdf_upload(), outgoing_document=issued_document(board))
    assert not Material.objects.exists()


# --- who hears of it -----------------------------------------------------------------------------


def notified() -> dict[int, list[str]]:
    """Official id → the topics they were sent (in-app, e-mail, SMS)."""
    found: dict[int, list[str]] = {}
    for message in OutboxMessage.objects.filter(topic="meeting_notice"):
        found.setdefault(message.payload["official"], []).append(message.topic)
    return found


def test_a_published_meeting_tells_those_who_may_read_it_in_app_only(  # type: ignore[no-untyped-def]
    board, make_meeting
) -> None:
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    item1, item2, _item3 = meeting.items.order_by("position")
    material = add(board, meeting, title="Tờ trình", item=item1)
    everyone_but_guest = {board.chair.pk, board.secretary.pk, *(m.pk for m in board.members)}
    assert set(notified()) == everyone_but_guest
    assert set(OutboxMessage.objects.values_list("topic", flat=True)) == {"meeting_notice"}
    notice = OutboxMessage.objects.filter(payload__official=board.chair.pk).get()
    assert notice.payload["link"] == f"/hop/{meeting.pk}/tai-lieu/{material.pk}/"
    assert "Tờ trình" in notice.payload["title"]

    OutboxMessage.objects.all().delete()
    add(board, meeting, title="Báo cáo thẩm định", item=item2)
    assert board.guest.pk in notified()

    OutboxMessage.objects.all().delete()
    add(board, meeting, title="Phương án", confidential=True, readers=[board.members[2]])
    assert set(notified()) == {board.chair.pk, board.secretary.pk, board.members[2].pk}


def test_the_audience_is_who_the_scope_lets_read(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    """material_audience (who is told) and scopes.material_visible (who may read) agree for
    every participant on every kind of material."""
    meeting = make_meeting()
    item1, item2, _ = meeting.items.order_by("position")
    member = meeting.participants.get(official=board.members[5])
    member.delegate = board.outsider  # the member sends a delegate
    member.save()
    variants = [
        add(board, meeting, title="Chung"),
        add(board, meeting, title="Nội dung 1", item=item1),
        add(board, meeting, title="Nội dung 2", item=item2),
        add(
            board, meeting, title="Mật", confidential=True, readers=[board.members[0], board.guest]
        ),
        add(board, meeting, title="Mật 2", item=item2, confidential=True),
    ]
    people = [board.chair, board.secretary, *board.members, board.guest, board.outsider]
    for material in variants:
        told = {o.pk for o in service.material_audience(material)}
        may_read = {
            o.pk
            for o in people
            if visible_to(actor(o), Material.objects.filter(pk=material.pk)).exists()
        }
        assert told == may_read, material.title
