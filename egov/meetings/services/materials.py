"""Meeting materials (tài liệu họp): attached by the organisers, versioned, optionally
confidential, withdrawn without losing a version; and members' private notes on their pages.

A material is an upload (a PDF or an office document, sniffed and checked by
egov.core.uploads: anything else is refused with `material_rejected` and nothing is stored) or
an official document of the organising agency (an issued outgoing document or an incoming one
the organiser may see): that document's current PDF becomes version 1, linked (the stored file
is shared, not copied). Each new version keeps the earlier ones; the material shows the last.

Bounds: one file at most MEETINGS_MAX_MATERIAL_BYTES (50 MB), every version of every material
of one meeting together at most MEETINGS_MAX_MEETING_MATERIALS_BYTES (500 MB), a PDF at most
MEETINGS_MAX_MATERIAL_PAGES pages (1000).

Adding, versioning and withdrawing are actions of the MEETING case type (add_material,
withdraw_material: organisers only, while the meeting is not closed or cancelled), each with its
event; the meeting row is locked, so two uploads cannot both slip under the meeting's total.
A material added to (or versioned in) a published meeting is announced in-app to the
participants who may read it.

Annotations are not events: a member's note is private (no one else ever reads it: not the
secretariat, not the chair, not an operator, not an API client) and not a state change of the
meeting, so it is saved in its own small transaction and never logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Sum
from django.urls import reverse

from egov.cases import Action, perform
from egov.core.actors import Actor
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.core.pdfinspect import PdfInspectionError, inspect_pdf
from egov.core.scoping import visible_to
from egov.core.uploads import (
    DOCX,
    ODP,
    ODS,
    ODT,
    PDF,
    PPTX,
    XLSX,
    CheckedFile,
    UploadRejected,
    UploadRules,
    check_upload,
    safe_name,
    save_file,
)
from egov.documents.models import (
    IncomingDocument,
    IncomingStatus,
    OutgoingDocument,
    OutgoingStatus,
)
from egov.org.models import Official

from .. import event_types as et
from .. import reader
from ..cases import MEETING
from ..error_codes import MeetingErrorCode
from ..models import (
    AgendaItem,
    Annotation,
    Material,
    MaterialVersion,
    Meeting,
    MeetingStatus,
    Participant,
)
from .notify import notify

MB = 1024 * 1024
MATERIAL_TYPES = (PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP)
OFFICE_TYPES = (DOCX, XLSX, PPTX, ODT, ODS, ODP)
DESCRIBED = "tệp PDF hoặc tài liệu văn phòng (DOCX, XLSX, PPTX, ODT, ODS, ODP)"
# Documents the organiser may attach: issued (and sent) outgoing ones; incoming ones that were
# not refused, revoked or replaced.
ATTACHABLE_OUTGOING = (OutgoingStatus.ISSUED, OutgoingStatus.SENT)
NOT_ATTACHABLE_INCOMING = (
    IncomingStatus.REJECTED,
    IncomingStatus.REVOKED,
    IncomingStatus.REPLACED,
)
# Meetings whose participants hear of a new material (a draft's arrive with the invitation).
ANNOUNCED = (MeetingStatus.PUBLISHED, MeetingStatus.IN_SESSION)
MAX_NOTE_CHARS = 4000
MAX_NOTES_PER_MATERIAL = 1000
CONFIDENTIAL_TITLE = "Tài liệu mật"


def max_material_bytes() -> int:
    return int(getattr(settings, "MEETINGS_MAX_MATERIAL_BYTES", 50 * MB))


def max_meeting_bytes() -> int:
    return int(getattr(settings, "MEETINGS_MAX_MEETING_MATERIALS_BYTES", 500 * MB))


def max_pages() -> int:
    return int(getattr(settings, "MEETINGS_MAX_MATERIAL_PAGES", 1000))


def upload_request_bytes() -> int:
    """The bound of an upload request on the material routes: one file and its form."""
    return max_material_bytes() + MB


def material_rules() -> UploadRules:
    return UploadRules(
        allowed=MATERIAL_TYPES,
        max_bytes=max_material_bytes(),
        described=DESCRIBED,
        max_pages=max_pages(),
    )


class MaterialRejected(DomainError):
    """A file that is not a PDF or an office document, is unsafe or too large: nothing stored."""

    code = MeetingErrorCode.MATERIAL_REJECTED


def _invalid(message: str, field: str) -> DomainError:
    return DomainError(message, code=MeetingErrorCode.MEETING_INVALID, fields={field: [message]})


def check_material(upload: Any) -> CheckedFile:
    """The checked upload, or MaterialRejected naming why (its message is Vietnamese)."""
    if isinstance(upload, CheckedFile):
        return upload
    try:
        return check_upload(upload, rules=material_rules(), label="tài liệu họp")
    except UploadRejected as exc:
        raise MaterialRejected(exc.message, fields={"file": [exc.message]}) from exc


@dataclass(frozen=True)
class _Source:
    """The file of a new version: checked upload bytes, or a document's stored file."""

    name: str
    content_type: str
    size: int
    sha256: str
    page_count: int | None
    content: bytes | None = None  # an upload, stored anew
    stored: str = ""  # a document's file, linked


def _from_upload(checked: CheckedFile) -> _Source:
    pages = checked.page_count
    if checked.content_type in OFFICE_TYPES:
        # Converted now (if LibreOffice is there) so that no member waits for it.
        rendition = reader.convert(checked.content, checked.sha256, checked.content_type)
        pages = reader.count_pages(rendition) if rendition is not None else None
    return _Source(
        name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        page_count=pages,
        content=checked.content,
    )


def _pdf_pages(field: Any) -> int | None:
    try:
        with field.open("rb") as handle:
            return inspect_pdf(handle.read()).pages
    except (PdfInspectionError, OSError):
        return None


def _from_outgoing(actor: Actor, meeting: Meeting, document: OutgoingDocument) -> _Source:
    found = (
        visible_to(actor, OutgoingDocument.objects.select_related("current_version"))
        .filter(pk=document.pk, agency_id=meeting.agency_id, status__in=ATTACHABLE_OUTGOING)
        .first()
    )
    if found is None:
        raise _invalid(
            "Không tìm thấy văn bản đi đã ban hành của cơ quan tổ chức cuộc họp.",
            "outgoing_document",
        )
    version = found.current_version
    if version is None or version.content_type != PDF:
        raise MaterialRejected(
            "Văn bản chưa có bản PDF để đưa vào tài liệu họp.",
            fields={"outgoing_document": ["Văn bản chưa có bản PDF."]},
        )
    name = safe_name(found.symbol.replace("/", "-")) + ".pdf" if found.symbol else ""
    return _Source(
        name=name or version.original_name,
        content_type=PDF,
        size=version.size,
        sha256=version.sha256,
        page_count=version.page_count or _pdf_pages(version.file),
        stored=str(version.file.name),
    )


def _from_incoming(actor: Actor, meeting: Meeting, document: IncomingDocument) -> _Source:
    found = (
        visible_to(actor, IncomingDocument.objects.all())
        .filter(pk=document.pk, agency_id=meeting.agency_id)
        .exclude(status__in=NOT_ATTACHABLE_INCOMING)
        .first()
    )
    if found is None:
        raise _invalid(
            "Không tìm thấy văn bản đến của cơ quan tổ chức cuộc họp.", "incoming_document"
        )
    pdf = found.files.filter(superseded=False, content_type=PDF).order_by("pk").first()
    if pdf is None:
        raise MaterialRejected(
            "Văn bản đến không có tệp PDF để đưa vào tài liệu họp.",
            fields={"incoming_document": ["Văn bản không có tệp PDF."]},
        )
    return _Source(
        name=pdf.original_name,
        content_type=PDF,
        size=pdf.size,
        sha256=pdf.sha256,
        page_count=_pdf_pages(pdf.file),
        stored=str(pdf.file.name),
    )


def _precheck(actor: Actor, meeting: Meeting, action: str) -> None:
    """The action's own checks (who, which state) before a file is read and inspected; the
    action checks again on the locked row."""
    transition = MEETING.transition(action)
    official = MEETING.resolve_official(actor, transition)
    if not MEETING.visible(actor, meeting):
        raise MEETING.not_found()
    MEETING.check(transition, meeting, official)


def _check_total(meeting: Meeting, adding: int) -> None:
    used = (
        MaterialVersion.objects.filter(material__meeting=meeting).aggregate(total=Sum("size"))[
            "total"
        ]
        or 0
    )
    limit = max_meeting_bytes()
    if used + adding > limit:
        message = (
            f"Tổng dung lượng tài liệu của cuộc họp sẽ vượt quá {limit // MB} MB "
            f"(đã dùng {used // MB} MB): hãy giảm dung lượng tệp hoặc rút bớt tài liệu."
        )
        raise MaterialRejected(message, fields={"file": [message]})


def _store_version(
    act: Action[Meeting], material: Material, source: _Source, seq: int, note: str
) -> MaterialVersion:
    version = MaterialVersion(
        material=material,
        seq=seq,
        original_name=source.name[:200],
        content_type=source.content_type,
        size=source.size,
        sha256=source.sha256,
        page_count=source.page_count,
        note=note,
        created_by=act.acting_official,
    )
    if source.content is not None:
        save_file(version.file, source.name, source.content)
    else:
        version.file.name = source.stored
    version.save()
    material.current_version = version
    material.save(update_fields=["current_version"])
    return version


def _readers(meeting: Meeting, readers: Iterable[Official]) -> list[Official]:
    """The people named on a confidential material: invited to the meeting (or a delegate)."""
    chosen = {o.pk: o for o in readers}
    if not chosen:
        return []
    invited = set(
        Participant.objects.filter(meeting=meeting, official_id__in=chosen).values_list(
            "official_id", flat=True
        )
    ) | set(
        Participant.objects.filter(meeting=meeting, delegate_id__in=chosen).values_list(
            "delegate_id", flat=True
        )
    )
    if set(chosen) - invited:
        raise _invalid("Người được xem tài liệu mật phải là người dự cuộc họp.", "readers")
    return list(chosen.values())


def _item(meeting: Meeting, item: AgendaItem | None) -> AgendaItem | None:
    if item is not None and item.meeting_id != meeting.pk:
        raise _invalid("Nội dung họp không thuộc cuộc họp này.", "item")
    return item


def material_audience(material: Material) -> list[Official]:
    """The participants (and delegates) who may read the material, as scopes.material_visible
    decides it (a test holds the two together): everyone invited for a material open to all,
    a guest only for their items, and for a confidential one the chair, the secretary, the
    creator and the people named."""
    meeting = material.meeting
    readers = set(material.readers.values_list("pk", flat=True))
    organisers = {meeting.chair_id, meeting.secretary_id, meeting.created_by_id}
    people: dict[int, Official] = {}
    rows = Participant.objects.filter(meeting=meeting).select_related(
        "official__user", "delegate__user"
    )
    guests: dict[int, set[int]] = {}
    for row in rows:
        if row.role == Participant.Role.GUEST:
            guests[row.official_id] = set(row.items.values_list("pk", flat=True))
    for row in rows:
        for official in (row.official, row.delegate):
            if official is None or official.pk in people:
                continue
            items = guests.get(official.pk)
            open_to_them = not material.confidential and (
                items is None or material.item_id in items
            )
            if open_to_them or official.pk in readers or official.pk in organisers:
                people[official.pk] = official
    return list(people.values())


def _announce(act: Action[Meeting], material: Material, version: MaterialVersion) -> None:
    meeting = act.case
    if meeting.status not in ANNOUNCED:
        return
    link = reverse("meetings:material", args=[meeting.pk, material.pk])
    if version.seq == 1:
        title = f"Tài liệu họp mới: {material.title}"
        body = f"Cuộc họp “{meeting.title}” có thêm tài liệu “{material.title}”."
    else:
        title = f"Tài liệu họp cập nhật: {material.title}"
        body = (
            f"Tài liệu “{material.title}” của cuộc họp “{meeting.title}” có phiên bản mới "
            f"(phiên bản {version.seq})."
        )
    for official in material_audience(material):
        if official.pk == act.acting_official.pk:
            continue
        notify(
            act,
            official,
            key=f"meeting:{meeting.pk}:material:{material.pk}:v{version.seq}:{official.pk}",
            kind="material",
            title=title,
            body=body,
            link=link,
            sms=False,
            email=False,
        )


def _event_title(material: Material) -> str:
    # The log is read more widely than a confidential material: its title stays out of it.
    return CONFIDENTIAL_TITLE if material.confidential else material.title


def add_material(
    *,
    actor: Actor,
    meeting: Meeting,
    title: str,
    upload: Any = None,
    outgoing_document: OutgoingDocument | None = None,
    incoming_document: IncomingDocument | None = None,
    item: AgendaItem | None = None,
    confidential: bool = False,
    readers: Iterable[Official] = (),
) -> Material:
    """Attach an upload or an official document to the meeting (to an agenda item if given)."""
    sources = [s for s in (upload, outgoing_document, incoming_document) if s is not None]
    if len(sources) != 1:
        raise _invalid("Hãy chọn một tệp để tải lên hoặc một văn bản để đính kèm.", "file")
    title = " ".join((title or "").split())
    if len(title) > 300:
        raise _invalid("Tên tài liệu dài quá 300 ký tự.", "title")
    _precheck(actor, meeting, "add_material")
    item = _item(meeting, item)
    chosen = _readers(meeting, readers) if confidential else []
    if upload is not None:
        source = _from_upload(check_material(upload))
        title = title or str(getattr(upload, "name", "") or source.name)[:300]
    elif outgoing_document is not None:
        source = _from_outgoing(actor, meeting, outgoing_document)
        title = title or outgoing_document.subject[:300]
    else:
        assert incoming_document is not None
        source = _from_incoming(actor, meeting, incoming_document)
        title = title or incoming_document.subject[:300]
    with perform(MEETING, "add_material", actor=actor, case=meeting) as act:
        _check_total(act.case, source.size)
        material = Material.objects.create(
            meeting=act.case,
            item=item,
            title=title,
            confidential=confidential,
            outgoing_document=outgoing_document,
            incoming_document=incoming_document,
            created_by=act.acting_official,
        )
        if chosen:
            material.readers.set(chosen)
        version = _store_version(act, material, source, 1, "")
        act.record(
            et.MATERIAL_ADDED,
            material=material.pk,
            material_title=_event_title(material),
            version=1,
            confidential=confidential,
        )
        _announce(act, material, version)
    return material


def _locked_material(act: Action[Meeting], material: Material) -> Material:
    found = Material.objects.filter(pk=material.pk, meeting=act.case).first()
    if found is None:
        raise NotFoundError("Không tìm thấy tài liệu họp.")
    return found


def add_version(*, actor: Actor, material: Material, upload: Any, note: str = "") -> Material:
    """A new version of an uploaded material; the earlier ones are kept."""
    note = " ".join((note or "").split())
    if len(note) > 500:
        raise _invalid("Ghi chú phiên bản dài quá 500 ký tự.", "note")
    if upload is None:
        raise _invalid("Hãy chọn tệp của phiên bản mới.", "file")
    meeting = material.meeting
    _precheck(actor, meeting, "add_material")
    if material.outgoing_document_id or material.incoming_document_id:
        raise _invalid(
            "Tài liệu là văn bản chính thức: muốn dùng văn bản khác, hãy đính kèm văn bản đó "
            "và rút tài liệu này.",
            "file",
        )
    source = _from_upload(check_material(upload))
    with perform(MEETING, "add_material", actor=actor, case=meeting) as act:
        material = _locked_material(act, material)
        if material.withdrawn:
            raise _invalid("Tài liệu đã rút: không thêm phiên bản được.", "file")
        _check_total(act.case, source.size)
        last = material.versions.aggregate(last=Max("seq"))["last"] or 0
        version = _store_version(act, material, source, last + 1, note)
        act.record(
            et.MATERIAL_VERSION_ADDED,
            material=material.pk,
            material_title=_event_title(material),
            version=version.seq,
            confidential=material.confidential,
        )
        _announce(act, material, version)
    return material


def withdraw_material(*, actor: Actor, material: Material) -> Material:
    """Take a material off the meeting: members no longer see it; its versions are kept."""
    with perform(MEETING, "withdraw_material", actor=actor, case=material.meeting) as act:
        material = _locked_material(act, material)
        if material.withdrawn:
            raise _invalid("Tài liệu đã được rút trước đó.", "material")
        material.withdrawn = True
        material.save(update_fields=["withdrawn"])
        act.record(
            et.MATERIAL_WITHDRAWN,
            material=material.pk,
            material_title=_event_title(material),
            version=material.current_version.seq if material.current_version else 0,
            confidential=material.confidential,
        )
    return material


# --- private annotations --------------------------------------------------------------------------


def _reader_official(actor: Actor) -> Official:
    official = (
        Official.objects.filter(user_id=actor.user_id).first()
        if actor.kind == "official" and actor.user_id is not None
        else None
    )
    if official is None:
        raise NotAllowed("Chỉ người dự họp ghi chú được trên tài liệu.")
    return official


def _readable(actor: Actor, material: Material) -> Material:
    found = (
        visible_to(actor, Material.objects.select_related("current_version"))
        .filter(pk=material.pk)
        .first()
    )
    if found is None:
        raise NotFoundError("Không tìm thấy tài liệu họp.")
    return found


def _note_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise _invalid("Hãy nhập nội dung ghi chú.", "text")
    if len(text) > MAX_NOTE_CHARS:
        raise _invalid(f"Ghi chú dài quá {MAX_NOTE_CHARS} ký tự.", "text")
    return text


def save_annotation(
    *,
    actor: Actor,
    material: Material,
    page: int,
    text: str,
    annotation: Annotation | None = None,
) -> Annotation:
    """Write (or rewrite) the reader's own note on a page of the material's current version
    (an edited note stays on the version it was written on). Not an event: see the module."""
    official = _reader_official(actor)
    material = _readable(actor, material)
    text = _note_text(text)
    with transaction.atomic():
        mine: Annotation | None = None
        if annotation is not None:
            mine = (
                Annotation.objects.select_for_update(of=("self",))
                .filter(pk=annotation.pk, official=official, material=material)
                .first()
            )
            if mine is None:
                raise NotFoundError("Không tìm thấy ghi chú.")
            version = mine.version
        elif material.current_version is None:
            raise _invalid("Tài liệu chưa có tệp để ghi chú.", "page")
        else:
            version = material.current_version
        pages = reader.page_count(version) or 1
        if not isinstance(page, int) or not 1 <= page <= pages:
            raise _invalid(f"Trang ghi chú phải từ 1 đến {pages}.", "page")
        if mine is None:
            count = Annotation.objects.filter(official=official, material=material).count()
            if count >= MAX_NOTES_PER_MATERIAL:
                raise _invalid("Đã có quá nhiều ghi chú trên tài liệu này.", "text")
            return Annotation.objects.create(
                material=material, version=version, official=official, page=page, text=text
            )
        mine.page = page
        mine.text = text
        mine.save(update_fields=["page", "text", "updated_at"])
        return mine


def delete_annotation(*, actor: Actor, annotation: Annotation) -> None:
    """Delete the reader's own note (anyone else's is not found)."""
    official = _reader_official(actor)
    deleted, _ = Annotation.objects.filter(pk=annotation.pk, official=official).delete()
    if not deleted:
        raise NotFoundError("Không tìm thấy ghi chú.")
