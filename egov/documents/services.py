"""Outgoing documents: draft, review chain, leader's signature, numbering and agency signature by
the clerk, delivery to recipients. Incoming documents live in incoming.py.

Every change is an action of the case kernel (egov.cases; the table is in cases.py): one
transaction with its event; a document row is locked while it changes and carries a version
number, so two officials acting on one page cannot both succeed. Files are never overwritten:
each upload, rendering and signature adds a DocumentVersion.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from egov.cases import begin, perform
from egov.core.actors import Actor
from egov.core.errors import Conflict, DomainError, NotAllowed
from egov.core.uploads import UploadRejected, save_file
from egov.org.models import AGENCY_ID_VALIDATOR, Agency, Official, Role, Unit

from . import (
    authority,
    event_types,
    exchange_bridge,
    files,
    listeners,
    numbering,
    pdffields,
    signatures,
)
from .cases import OUTGOING_DOCUMENT
from .error_codes import DocumentErrorCode
from .models import (
    Attachment,
    DocumentType,
    DocumentVersion,
    OutgoingDocument,
    OutgoingStatus,
    Priority,
    Recipient,
    Review,
    ReviewRole,
    SigningAuthority,
)

logger = logging.getLogger(__name__)

REVIEW_ROLES = (Role.SPECIALIST, Role.UNIT_HEAD, Role.LEADER)
MAX_EXTERNAL_RECIPIENTS = 200


class DocumentError(DomainError):
    code = DocumentErrorCode.DOCUMENT_INVALID


# --- who is acting -------------------------------------------------------------------------------


def review_role(official: Official) -> str:
    roles = official.role_codes
    if Role.LEADER in roles:
        return ReviewRole.LEADER
    if Role.UNIT_HEAD in roles:
        return ReviewRole.UNIT_HEAD
    return ReviewRole.SPECIALIST


def reviewer_candidates(official: Official) -> list[Official]:
    """Officials of the same agency who can give an opinion on a draft (not oneself)."""
    return list(
        Official.objects.filter(agency_id=official.agency_id, roles__role__in=REVIEW_ROLES)
        .exclude(pk=official.pk)
        .filter(user__is_active=True)
        .select_related("user", "position", "unit")
        .prefetch_related("roles")
        .distinct()
        .order_by("user__full_name")
    )


def _add_version(
    document: OutgoingDocument,
    *,
    content: bytes,
    name: str,
    content_type: str,
    kind: str,
    official: Official | None,
    note: str = "",
    page_count: int | None = None,
) -> DocumentVersion:
    """A new version (the document row must be locked: seq is max + 1)."""
    seq = (document.versions.aggregate(m=Max("seq"))["m"] or 0) + 1
    if content_type == files.PDF and page_count is None:
        page_count = files.page_count(content)
    version = DocumentVersion(
        document=document,
        seq=seq,
        kind=kind,
        original_name=name[:200],
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        page_count=page_count,
        note=note[:500],
        created_by=official,
    )
    save_file(version.file, name, content)
    version.save()
    return version


def _read(version: DocumentVersion) -> bytes:
    with version.file.open("rb") as handle:
        return bytes(handle.read())


def _refresh_search(document: OutgoingDocument, text: str | None = None) -> None:
    if text is None and document.current_version_id and document.current_version:
        version = document.current_version
        text = files.extract_text(_read(version), version.content_type)
    document.search_text = files.search_text(
        document.symbol, document.doc_type.name, document.subject, text or document.content
    )


# --- drafting ------------------------------------------------------------------------------------


@dataclass
class DraftInput:
    doc_type: DocumentType | str
    subject: str
    content: str = ""
    priority: int = Priority.NORMAL
    due_date: date | None = None
    drafting_unit: Unit | None = None
    # Thẩm quyền ký (TM., KT., TL., TUQ. or none); the printed lines follow from it and the
    # signer's position when the leader approves (authority.py).
    signing_authority: str = SigningAuthority.AUTO
    place: str = ""
    copies: int = 1
    notes: str = ""
    internal_units: Sequence[Unit] = field(default_factory=list)
    platform_agencies: Sequence[Agency] = field(default_factory=list)
    external: Sequence[tuple[str, str]] = field(default_factory=list)  # (organ id, name)
    # "Thay thế văn bản số ...": an issued document of the same agency, and why.
    replaces: OutgoingDocument | None = None
    replace_reason: str = ""


def _doc_type(value: DocumentType | str) -> DocumentType:
    if isinstance(value, DocumentType):
        return value
    found = DocumentType.objects.filter(code=value, is_active=True).first()
    if found is None:
        raise DocumentError(
            "Loại văn bản không hợp lệ.", fields={"doc_type": ["Hãy chọn loại văn bản."]}
        )
    return found


def _validate_draft(official: Official, data: DraftInput) -> tuple[DocumentType, Unit | None]:
    errors: dict[str, list[str]] = {}
    doc_type: DocumentType | None = None
    try:
        doc_type = _doc_type(data.doc_type)
    except DocumentError as exc:
        errors.update(exc.fields)
    subject = (data.subject or "").strip()
    if not subject:
        errors["subject"] = ["Nhập trích yếu nội dung văn bản."]
    elif len(subject) > 500:
        errors["subject"] = ["Trích yếu tối đa 500 ký tự."]
    if data.priority not in Priority.values:
        errors["priority"] = ["Độ khẩn không hợp lệ."]
    if data.signing_authority not in SigningAuthority.values:
        errors["signing_authority"] = ["Chọn thẩm quyền ký."]
    if not 1 <= int(data.copies or 0) <= 1000:
        errors["copies"] = ["Số lượng bản từ 1 đến 1000."]
    unit = data.drafting_unit or official.unit
    if unit is not None and unit.agency_id != official.agency_id:
        errors["drafting_unit"] = ["Đơn vị soạn thảo phải thuộc cơ quan của bạn."]
    for u in data.internal_units:
        if u.agency_id != official.agency_id:
            errors["internal_units"] = ["Đơn vị nhận nội bộ phải thuộc cơ quan của bạn."]
    for a in data.platform_agencies:
        if a.pk == official.agency_id:
            errors["platform_agencies"] = [
                "Không gửi văn bản cho chính cơ quan mình: chọn đơn vị nội bộ."
            ]
    if len(data.external) > MAX_EXTERNAL_RECIPIENTS:
        errors["external"] = [f"Tối đa {MAX_EXTERNAL_RECIPIENTS} nơi nhận ngoài nền tảng."]
    for organ_id, name in data.external:
        try:
            AGENCY_ID_VALIDATOR(organ_id)
        except ValidationError:
            errors.setdefault("external", []).append(
                f"Mã định danh “{organ_id}” không đúng dạng 000.00.00.H41."
            )
        if not name.strip():
            errors.setdefault("external", []).append(f"Thiếu tên cơ quan cho mã “{organ_id}”.")
    if data.replaces is not None:
        old = data.replaces
        if old.agency_id != official.agency_id or old.status not in (
            OutgoingStatus.ISSUED,
            OutgoingStatus.SENT,
        ):
            errors["replaces"] = [
                "Chỉ thay thế được văn bản đã ban hành của cơ quan mình (chưa thu hồi, chưa bị "
                "thay thế)."
            ]
        elif not (data.replace_reason or "").strip():
            errors["replace_reason"] = ["Nhập lý do thay thế văn bản."]
    if (
        doc_type is not None
        and doc_type.is_official_letter
        and unit is not None
        and not unit.abbreviation
    ):
        errors["drafting_unit"] = [
            "Công văn cần chữ viết tắt của đơn vị soạn thảo (ký hiệu dạng 05/UBND-VX): "
            "nhờ quản trị bổ sung viết tắt cho phòng ban."
        ]
    if errors:
        raise DocumentError(
            "Văn bản chưa hợp lệ, vui lòng kiểm tra các mục được đánh dấu.", fields=errors
        )
    assert doc_type is not None
    return doc_type, unit


def _set_recipients(document: OutgoingDocument, data: DraftInput) -> None:
    document.recipients.all().delete()
    rows: list[Recipient] = []
    seen: set[str] = set()
    for unit in data.internal_units:
        rows.append(
            Recipient(document=document, kind=Recipient.Kind.INTERNAL, unit=unit, name=unit.name)
        )
    for agency in data.platform_agencies:
        if agency.identifier in seen:
            continue
        seen.add(agency.identifier)
        rows.append(
            Recipient(
                document=document,
                kind=Recipient.Kind.PLATFORM,
                agency=agency,
                organ_id=agency.identifier,
                name=agency.name,
            )
        )
    platform = {
        a.identifier: a
        for a in Agency.objects.filter(identifier__in=[o for o, _ in data.external], is_active=True)
    }
    for organ_id, name in data.external:
        organ_id = organ_id.strip()
        if organ_id in seen:
            continue
        seen.add(organ_id)
        on_platform = platform.get(organ_id)
        rows.append(
            Recipient(
                document=document,
                kind=Recipient.Kind.PLATFORM if on_platform else Recipient.Kind.EXTERNAL,
                agency=on_platform,
                organ_id=organ_id,
                name=(on_platform.name if on_platform else name.strip())[:255],
            )
        )
    Recipient.objects.bulk_create(rows)


def _apply_draft(
    document: OutgoingDocument, data: DraftInput, doc_type: DocumentType, unit: Unit | None
) -> None:
    document.doc_type = doc_type
    document.drafting_unit = unit
    document.subject = data.subject.strip()
    document.content = (data.content or "").strip()
    document.priority = data.priority
    document.due_date = data.due_date
    document.signing_authority = data.signing_authority
    document.place = data.place.strip()[:80]
    document.copies = int(data.copies or 1)
    document.notes = data.notes.strip()[:500]
    document.replaces = data.replaces
    document.replace_reason = (data.replace_reason or "").strip()[:500] if data.replaces else ""
    if not document.file_keeper:
        document.file_keeper = unit.name if unit else ""


def _check_draft_upload(upload: Any) -> files.CheckedFile:
    if isinstance(upload, files.CheckedFile):
        return upload
    try:
        return files.check_upload(upload, allowed=files.DRAFT_TYPES, label="văn bản")
    except UploadRejected as exc:
        raise DocumentError(exc.message, code=exc.code, fields={"file": [exc.message]}) from exc


def _render(
    document: OutgoingDocument,
    official: Official | None,
    note: str,
    *,
    for_signing: bool = False,
) -> tuple[DocumentVersion, tuple[float, float, float, float] | None]:
    from .render import render_pdf

    rendered = render_pdf(document, for_signing=for_signing)
    version = _add_version(
        document,
        content=rendered.content,
        name="van-ban.pdf",
        content_type=files.PDF,
        kind=DocumentVersion.Kind.RENDERED,
        official=official,
        note=note,
    )
    return version, rendered.signature_box


# The fields a draft's details are written to (_apply_draft).
DRAFT_FIELDS = (
    "doc_type",
    "drafting_unit",
    "subject",
    "content",
    "priority",
    "due_date",
    "signing_authority",
    "place",
    "copies",
    "notes",
    "file_keeper",
    "replaces",
    "replace_reason",
)


def create_draft(*, actor: Actor, data: DraftInput, upload: Any = None) -> OutgoingDocument:
    """A new draft: an uploaded DOCX/PDF becomes version 1; otherwise the written content is
    rendered to PDF in the official layout (version 1)."""
    official = OUTGOING_DOCUMENT.official_for(actor)
    doc_type, unit = _validate_draft(official, data)
    checked = _check_draft_upload(upload) if upload is not None else None
    if checked is None and not (data.content or "").strip():
        raise DocumentError(
            "Hãy viết nội dung văn bản hoặc tải lên tệp DOCX/PDF.",
            fields={"content": ["Nhập nội dung hoặc chọn tệp văn bản."]},
        )
    with begin(OUTGOING_DOCUMENT, "draft", actor=actor) as act:
        document = OutgoingDocument(agency=official.agency, drafted_by=official, doc_type=doc_type)
        _apply_draft(document, data, doc_type, unit)
        document.save()
        _set_recipients(document, data)
        if checked is not None:
            version = _add_version(
                document,
                content=checked.content,
                name=checked.name,
                content_type=checked.content_type,
                kind=DocumentVersion.Kind.UPLOAD,
                official=official,
                page_count=checked.page_count,
            )
            text = files.extract_text(checked.content, checked.content_type)
        else:
            version, _box = _render(document, official, "Dự thảo đầu tiên")
            text = document.content
        document.current_version = version
        _refresh_search(document, text)
        document.save()
        act.case = document
        act.record(event_types.DRAFTED, version=version.seq)
        _record_replacing(act, None)
    return document


def _record_replacing(act: Any, before: int | None) -> None:
    """A draft newly marked as replacing an issued document: its own event."""
    document = act.case
    if document.replaces_id and document.replaces_id != before:
        act.record(
            event_types.REPLACING,
            replaces=document.replaces.symbol,
            reason=document.replace_reason,
        )


def draft_for_signature(
    *,
    actor: Actor,
    data: DraftInput,
    signer: Official,
    drafted_by: Official,
    origin: str = "",
    durable: bool = True,
) -> OutgoingDocument:
    """A document the system writes for a named leader to sign (a written consultation's
    result): drafted in `drafted_by`'s name, rendered, and put straight to `signer` with the
    copy for signing made, as a leader's approval would; `issue_on_signature` makes the
    signature number and seal it at once (no clerk step). `durable=False` when the caller's
    own action holds the transaction."""
    doc_type, unit = _validate_draft(drafted_by, data)
    if not (data.content or "").strip():
        raise DocumentError("Văn bản cần có nội dung.", fields={"content": ["Nhập nội dung."]})
    signer = (
        Official.objects.select_related("user", "position")
        .prefetch_related("roles")
        .get(pk=signer.pk)
    )
    if signer.agency_id != drafted_by.agency_id or not signer.has_role(Role.LEADER):
        raise DocumentError(
            "Người ký phải là lãnh đạo của cơ quan ban hành.",
            fields={"signer": ["Chọn lãnh đạo cơ quan."]},
        )
    with begin(OUTGOING_DOCUMENT, "draft_for_signature", actor=actor, durable=durable) as act:
        document = OutgoingDocument(
            agency=drafted_by.agency,
            drafted_by=drafted_by,
            doc_type=doc_type,
            status=OutgoingStatus.APPROVED,
            issue_on_signature=True,
        )
        _apply_draft(document, data, doc_type, unit)
        document.signer = signer
        document.signer_name = signer.user.get_full_name()
        document.signer_title = "\n".join(
            authority.signer_lines(
                document.agency,
                document.signing_authority,
                signer.position.name if signer.position else "",
            )
        )[:200]
        document.save()
        _set_recipients(document, data)
        draft, _box = _render(document, None, "Dự thảo do hệ thống soạn")
        document.current_version = draft
        document.current_version = _signing_copy(document, None)
        _refresh_search(document, document.content)
        document.save()
        act.case = document
        act.record(event_types.DRAFTED, version=draft.seq)
        act.record(
            event_types.PUT_TO_SIGNATURE,
            signer=signer.user.username,
            drafted_by=drafted_by.user.username,
            origin=origin[:100],
        )
    return document


def update_draft(
    *,
    actor: Actor,
    document: OutgoingDocument,
    data: DraftInput,
    expected_version: int | None = None,
) -> OutgoingDocument:
    """Change a draft's details; written content is rendered again as a new version."""
    with perform(
        OUTGOING_DOCUMENT,
        "update_draft",
        actor=actor,
        case=document,
        expected_version=expected_version,
    ) as act:
        official, document = act.acting_official, act.case
        if document.drafted_by_id != official.pk:
            raise NotAllowed("Chỉ người soạn thảo được sửa văn bản khi đang là dự thảo.")
        doc_type, unit = _validate_draft(official, data)
        replaced_before = document.replaces_id
        _apply_draft(document, data, doc_type, unit)
        _set_recipients(document, data)
        current = document.current_version
        # A written draft is laid out again; an uploaded file stays the current version.
        if document.content and (current is None or current.kind == DocumentVersion.Kind.RENDERED):
            document.current_version, _box = _render(document, official, "Sửa dự thảo")
        _refresh_search(document)
        act.save(*DRAFT_FIELDS, "current_version", "search_text")
        act.record(event_types.DRAFT_UPDATED)
        _record_replacing(act, replaced_before)
    return document


def upload_version(
    *,
    actor: Actor,
    document: OutgoingDocument,
    upload: Any,
    note: str = "",
    expected_version: int | None = None,
) -> DocumentVersion:
    """A corrected file (DOCX or PDF) as a new version: by the drafter while it is a draft, or by
    the official who has it for review."""
    checked = _check_draft_upload(upload)
    with perform(
        OUTGOING_DOCUMENT,
        "upload_version",
        actor=actor,
        case=document,
        expected_version=expected_version,
    ) as act:
        official, document = act.acting_official, act.case
        allowed = (
            document.status == OutgoingStatus.DRAFT and document.drafted_by_id == official.pk
        ) or (
            document.status == OutgoingStatus.IN_REVIEW
            and document.current_reviewer_id == official.pk
        )
        if not allowed:
            raise NotAllowed(
                "Chỉ người soạn thảo (khi là dự thảo) hoặc người đang cho ý kiến được tải lên "
                "phiên bản mới."
            )
        version = _add_version(
            document,
            content=checked.content,
            name=checked.name,
            content_type=checked.content_type,
            kind=DocumentVersion.Kind.UPLOAD,
            official=official,
            note=note,
            page_count=checked.page_count,
        )
        document.current_version = version
        _refresh_search(document, files.extract_text(checked.content, checked.content_type))
        act.save("current_version", "search_text")
        act.record(event_types.VERSION_ADDED, version=version.seq)
    return version


def _checked_attachment(upload: Any, field: str) -> files.CheckedFile:
    """An attachment upload checked (type, size, content), or DocumentError on `field`."""
    if isinstance(upload, files.CheckedFile):
        return upload
    try:
        return files.check_upload(upload, allowed=files.ATTACHMENT_TYPES, label="tệp đính kèm")
    except UploadRejected as exc:
        raise DocumentError(exc.message, code=exc.code, fields={field: [exc.message]}) from exc


def add_attachment(
    *, actor: Actor, document: OutgoingDocument, upload: Any, expected_version: int | None = None
) -> Attachment:
    checked = _checked_attachment(upload, "attachment")
    with perform(
        OUTGOING_DOCUMENT,
        "add_attachment",
        actor=actor,
        case=document,
        expected_version=expected_version,
    ) as act:
        official, document = act.acting_official, act.case
        if document.drafted_by_id != official.pk:
            raise NotAllowed("Chỉ người soạn thảo được thêm tệp đính kèm khi văn bản là dự thảo.")
        attachment = Attachment(
            document=document,
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            created_by=official,
        )
        save_file(attachment.file, checked.name, checked.content)
        attachment.save()
        act.save()
        act.record(event_types.ATTACHMENT_ADDED, attachment=checked.name)
    return attachment


def remove_attachment(
    *, actor: Actor, attachment: Attachment, expected_version: int | None = None
) -> None:
    with perform(
        OUTGOING_DOCUMENT,
        "remove_attachment",
        actor=actor,
        case=attachment.document_id,
        expected_version=expected_version,
    ) as act:
        if act.case.drafted_by_id != act.acting_official.pk:
            raise NotAllowed("Chỉ người soạn thảo được bỏ tệp đính kèm khi văn bản là dự thảo.")
        name = attachment.original_name
        # The row goes; the stored file stays (nothing in a document's history is destroyed).
        Attachment.objects.filter(pk=attachment.pk).delete()
        act.save()
        act.record(event_types.ATTACHMENT_REMOVED, attachment=name)


# --- review chain --------------------------------------------------------------------------------


def _check_reviewer(candidate: Official | None, official: Official) -> Official:
    if candidate is None:
        raise DocumentError(
            "Hãy chọn người cho ý kiến tiếp theo.",
            fields={"reviewer": ["Chọn lãnh đạo phòng hoặc lãnh đạo cơ quan."]},
        )
    candidate = (
        Official.objects.select_related("user")
        .prefetch_related("roles")
        .filter(pk=candidate.pk)
        .first()
    )
    if (
        candidate is None
        or candidate.agency_id != official.agency_id
        or candidate.pk == official.pk
        or not candidate.user.is_active
        or not (candidate.role_codes & set(REVIEW_ROLES))
    ):
        raise DocumentError(
            "Người được chọn không thể cho ý kiến về văn bản này.",
            fields={"reviewer": ["Chọn một công chức khác của cơ quan."]},
        )
    return candidate


def submit_for_review(
    *,
    actor: Actor,
    document: OutgoingDocument,
    reviewer: Official | None,
    comment: str = "",
    expected_version: int | None = None,
) -> OutgoingDocument:
    """The drafter sends the draft to the first reviewer (unit head, leader or a specialist)."""
    with perform(
        OUTGOING_DOCUMENT, "submit", actor=actor, case=document, expected_version=expected_version
    ) as act:
        official, document = act.acting_official, act.case
        if document.drafted_by_id != official.pk:
            raise NotAllowed("Chỉ người soạn thảo được trình văn bản.")
        reviewer = _check_reviewer(reviewer, official)
        if document.current_version_id is None:
            raise DocumentError("Văn bản chưa có tệp nội dung.")
        document.current_reviewer = reviewer
        act.save("current_reviewer")
        act.record(
            event_types.SUBMITTED,
            reviewer=reviewer.user.username,
            comment=comment.strip()[:500],
        )
    return document


def _pdf_for_signing(document: OutgoingDocument, official: Official | None) -> DocumentVersion:
    """The current version as a PDF: a DOCX is converted when LibreOffice is installed,
    otherwise a PDF is asked for; a written draft is rendered again with its final details."""
    current = document.current_version
    if current is None:
        raise DocumentError("Văn bản chưa có tệp nội dung.")
    if current.kind == DocumentVersion.Kind.RENDERED:
        return current
    if current.content_type == files.DOCX:
        try:
            pdf = files.docx_to_pdf(_read(current))
        except UploadRejected as exc:
            raise DocumentError(exc.message, code=DocumentErrorCode.PDF_REQUIRED) from exc
        return _add_version(
            document,
            content=pdf,
            name=current.original_name.rsplit(".", 1)[0] + ".pdf",
            content_type=files.PDF,
            kind=DocumentVersion.Kind.CONVERTED,
            official=official,
            note=f"Chuyển từ phiên bản {current.seq} (DOCX)",
        )
    return current


def review(
    *,
    actor: Actor,
    document: OutgoingDocument,
    decision: str,
    comment: str = "",
    forward_to: Official | None = None,
    expected_version: int | None = None,
) -> Review:
    """The current reviewer's opinion: return to the drafter for revision, approve and pass on
    to the next reviewer, or (a leader) approve for signature: the leader becomes the signer."""
    with perform(
        OUTGOING_DOCUMENT,
        "review",
        actor=actor,
        case=document,
        expected_version=expected_version,
    ) as act:
        official, document = act.acting_official, act.case
        if document.current_reviewer_id != official.pk:
            raise NotAllowed("Văn bản đang chờ ý kiến của người khác.")
        comment = (comment or "").strip()
        if decision not in Review.Decision.values:
            raise DocumentError("Ý kiến không hợp lệ.")
        if decision == Review.Decision.RETURN and not comment:
            raise DocumentError(
                "Trả lại cần nêu nội dung cần chỉnh sửa.",
                fields={"comment": ["Nhập nội dung cần chỉnh sửa."]},
            )
        role = review_role(official)
        next_reviewer = _check_reviewer(forward_to, official) if forward_to is not None else None
        if (
            decision == Review.Decision.APPROVE
            and next_reviewer is None
            and role != ReviewRole.LEADER
        ):
            raise DocumentError(
                "Chỉ lãnh đạo cơ quan duyệt để ký; hãy chọn người cho ý kiến tiếp theo.",
                fields={"forward_to": ["Chọn lãnh đạo phòng hoặc lãnh đạo cơ quan."]},
            )
        row = Review.objects.create(
            document=document,
            reviewer=official,
            role=role,
            decision=decision,
            comment=comment[:4000],
            version=document.current_version,
            forwarded_to=next_reviewer,
        )
        if decision == Review.Decision.RETURN:
            state = OutgoingStatus.DRAFT
            document.current_reviewer = None
        elif next_reviewer is not None:
            state = OutgoingStatus.IN_REVIEW
            document.current_reviewer = next_reviewer
        else:
            # A leader approves for signature: the signer's lines follow from the authority
            # chosen in the draft and the leader's position, and the copy to sign is made now
            # (what the leader previews is what is signed).
            state = OutgoingStatus.APPROVED
            document.current_reviewer = None
            document.signer = official
            document.signer_name = official.user.get_full_name()
            document.signer_title = "\n".join(
                authority.signer_lines(
                    document.agency,
                    document.signing_authority,
                    official.position.name if official.position else "",
                )
            )[:200]
            document.current_version = _signing_copy(document, official)
        act.save(
            "current_reviewer",
            "current_version",
            "signer",
            "signer_name",
            "signer_title",
            state=state,
        )
        act.record(
            event_types.REVIEWED,
            decision=decision,
            role=role,
            forwarded_to=next_reviewer.user.username if next_reviewer else None,
        )
    return row


# --- signatures and issuing ------------------------------------------------------------------


def _signing_copy(document: OutgoingDocument, official: Official | None) -> DocumentVersion:
    """The copy the leader signs (bản trình ký): a written draft laid out again with its final
    details, the signer's place left for the signature and the number/date as fields to fill at
    numbering; an uploaded PDF (or a converted DOCX) as it is."""
    source = _pdf_for_signing(document, official)
    if source.for_signing:
        return source
    if source.kind != DocumentVersion.Kind.RENDERED:
        return source
    from .render import render_pdf

    rendered = render_pdf(document, for_signing=True)
    version = _add_version(
        document,
        content=rendered.content,
        name="van-ban-trinh-ky.pdf",
        content_type=files.PDF,
        kind=DocumentVersion.Kind.RENDERED,
        official=official,
        note="Bản trình ký",
    )
    version.for_signing = True
    version.signature_box = list(rendered.signature_box) if rendered.signature_box else None
    version.save(update_fields=["for_signing", "signature_box"])
    return version


def signing_preview(document: OutgoingDocument) -> DocumentVersion | None:
    """The version the leader will sign, as the preview shows it (None: nothing to sign)."""
    current = document.current_version
    if current is None or current.content_type != files.PDF:
        return None
    return current


def sign(
    *,
    actor: Actor,
    document: OutgoingDocument,
    second_factor: str,
    previewed_version: int | None = None,
    expected_version: int | None = None,
) -> DocumentVersion:
    """The approving leader signs with a personal digital signature (PAdES), confirmed by a
    fresh code of their authenticator (accounts.stepup): a wrong code signs nothing. With
    `previewed_version` (the seq of the version the preview showed), a document whose copy
    changed since is refused rather than signed unseen."""
    from egov.accounts.stepup import verify_second_factor

    with perform(
        OUTGOING_DOCUMENT, "sign", actor=actor, case=document, expected_version=expected_version
    ) as act:
        official, document = act.acting_official, act.case
        if document.signer_id != official.pk:
            raise NotAllowed("Văn bản được trình cho lãnh đạo khác ký.")
        if previewed_version is not None and (
            document.current_version is None or document.current_version.seq != previewed_version
        ):
            raise Conflict(
                "Bản trình ký đã thay đổi từ khi anh/chị xem trước: vui lòng xem lại trước khi ký.",
                code=DocumentErrorCode.PREVIEW_CHANGED,
            )
        verify_second_factor(official.user, second_factor)
        source = _signing_copy(document, official)
        box = tuple(source.signature_box) if source.signature_box else None
        now = timezone.now()
        signed = signatures.sign_personal(
            _read(source),
            official,
            title=document.signer_title,
            full_name=document.signer_name or official.user.get_full_name(),
            at=now,
            box=box,
        )
        version = _add_version(
            document,
            content=signed,
            name="van-ban-da-ky.pdf",
            content_type=files.PDF,
            kind=DocumentVersion.Kind.SIGNED,
            official=official,
            note=f"Ký số bởi {document.signer_name}",
        )
        document.current_version = version
        document.signed_at = now
        act.save("current_version", "signed_at")
        act.record(event_types.SIGNED, version=version.seq)
    if document.issue_on_signature:
        _issue_by_system(document)
    return version


def _issue_by_system(document: OutgoingDocument) -> None:
    """Number and seal a signed document the system drafted (its own transaction, after the
    signature committed). A failure (e.g. the agency's certificate expired) leaves it signed:
    the clerk can still issue it, and the app that asked for it retries on its schedule."""
    from egov.core.actors import SYSTEM

    try:
        issue(actor=SYSTEM, document=document)
    except DomainError:
        logger.exception("documents: automatic issue of %s failed", document.pk)


def document_id_for(agency: Agency, issued_at: datetime, symbol: str) -> str:
    """edXML DocumentId: `OrganId,yyyy/MM/dd,Number/Notation`."""
    local = timezone.localtime(issued_at)
    return f"{agency.identifier},{local:%Y/%m/%d},{symbol}"


def issue(
    *, actor: Actor, document: OutgoingDocument, expected_version: int | None = None
) -> OutgoingDocument:
    """The clerk numbers the signed document and applies the agency's signature with the
    number/symbol and signing time; the document is registered in the outgoing register and
    sent to its recipients straight away. A failure rolls everything back, the number too.
    The system issues (no `issued_by`) only a document marked `issue_on_signature`."""
    with perform(
        OUTGOING_DOCUMENT,
        "issue",
        actor=actor,
        case=document,
        expected_version=expected_version,
    ) as act:
        official, document = act.official, act.case
        if official is None and not document.issue_on_signature:
            raise NotAllowed("Chỉ văn thư cơ quan được cấp số và ban hành văn bản.")
        agency = document.agency
        unit_abbr = document.drafting_unit.abbreviation if document.drafting_unit else ""
        now = timezone.now()
        try:
            assigned = numbering.assign(
                agency_id=agency.pk,
                agency_abbreviation=agency.abbreviation,
                doc_type=document.doc_type,
                unit_abbreviation=unit_abbr,
                at=now,
            )
        except ValueError as exc:
            raise DocumentError(
                "Cơ quan chưa có tên viết tắt để ghi ký hiệu văn bản: nhờ quản trị bổ sung."
            ) from exc
        assert document.current_version is not None
        signed = _read(document.current_version)
        # The number and the date of issue in the body, where Decree 30 puts them (the fields
        # of the copy the leader signed), then the agency's signature over everything.
        filled = pdffields.fill_fields(
            signed,
            {
                pdffields.NUMBER_FIELD: assigned.symbol,
                pdffields.DATE_FIELD: pdffields.issue_date_text(timezone.localdate(now)),
            },
        )
        stamped = signatures.sign_agency(
            filled,
            agency,
            number_symbol=assigned.symbol,
            at=now,
            corner=filled == signed,  # no fields to fill: the number goes in the corner box
        )
        version = _add_version(
            document,
            content=stamped,
            name=f"{assigned.symbol.replace('/', '-')}.pdf",
            content_type=files.PDF,
            kind=DocumentVersion.Kind.ISSUED,
            official=official,
            note=f"Cấp số {assigned.symbol}, ký số cơ quan"
            + ("" if official else " (hệ thống tự động)"),
            page_count=document.current_version.page_count,
        )
        for attachment in document.attachments.filter(content_type=files.PDF):
            with attachment.file.open("rb") as handle:
                signed_attachment = signatures.sign_attachment(
                    handle.read(), agency, number_symbol=assigned.symbol, at=now
                )
            save_file(attachment.signed_file, attachment.original_name, signed_attachment)
            attachment.save(update_fields=["signed_file"])
        document.number = assigned.number
        document.number_year = assigned.year
        document.series_key = assigned.series_key
        document.symbol = assigned.symbol
        document.issued_at = now
        document.issued_by = official
        document.document_id = document_id_for(agency, now, assigned.symbol)
        document.current_version = version
        # The text is the signed version's: only the number and symbol are new.
        document.search_text = f"{files.search_text(assigned.symbol)} {document.search_text}"
        try:
            with transaction.atomic():
                act.save(
                    "number",
                    "number_year",
                    "series_key",
                    "symbol",
                    "issued_at",
                    "issued_by",
                    "document_id",
                    "current_version",
                    "search_text",
                )
        except IntegrityError as exc:
            raise Conflict(
                f"Số, ký hiệu {assigned.symbol} đã được dùng trong năm: kiểm tra bộ đếm số.",
                code=DocumentErrorCode.DUPLICATE_SYMBOL,
            ) from exc
        act.record(event_types.ISSUED, symbol=assigned.symbol, number=assigned.number)
    send(actor=actor, document=document)
    document.refresh_from_db()
    # Committed: the apps that asked for this document (a meeting's conclusion, a
    # consultation's result) hear of it (documents/listeners.py).
    listeners.document_issued(document.pk)
    return document


def send(*, actor: Actor, document: OutgoingDocument) -> OutgoingDocument:
    """Deliver an issued document: internal units find it in their inbox at once; agencies on
    the platform and external organs get an edXML package through the exchange hub. Recipients
    already delivered are skipped, so the clerk can retry after a failure."""
    with perform(OUTGOING_DOCUMENT, "send", actor=actor, case=document) as act:
        document = act.case
        now = timezone.now()
        pending = list(
            document.recipients.exclude(
                delivery__in=[Recipient.Delivery.DELIVERED, Recipient.Delivery.QUEUED]
            ).select_related("unit", "agency")
        )
        internal = [r for r in pending if r.kind == Recipient.Kind.INTERNAL]
        remote = [r for r in pending if r.kind != Recipient.Kind.INTERNAL]
        for r in internal:
            r.delivery = Recipient.Delivery.DELIVERED
            r.delivered_at = now
            r.error = ""
            r.save(update_fields=["delivery", "delivered_at", "error"])
        error = ""
        if remote:
            try:
                with transaction.atomic():
                    exchange_bridge.send_outgoing(actor=actor, document=document, recipients=remote)
                for r in remote:
                    r.delivery = Recipient.Delivery.QUEUED
                    r.delivered_at = now
                    r.error = ""
                    r.save(update_fields=["delivery", "delivered_at", "error"])
            except DomainError as exc:
                error = exc.message[:500]
                for r in remote:
                    r.delivery = Recipient.Delivery.FAILED
                    r.error = error
                    r.save(update_fields=["delivery", "error"])
        document.send_error = error
        if error:
            act.save("send_error")  # the state stays: the clerk sends again
        else:
            document.sent_at = document.sent_at or now
            act.save("send_error", "sent_at", state=OutgoingStatus.SENT)
            _mark_replaced(actor, document)
        act.record(
            event_types.SENT if not error else event_types.SEND_FAILED,
            internal=len(internal),
            remote=len(remote),
            error=error or None,
        )
    return document


def _mark_replaced(actor: Actor, document: OutgoingDocument) -> None:
    """The document this one replaces becomes "replaced" once this one has gone out (inside
    the send's transaction). One already replaced or revoked meanwhile stays as it is: the
    new document still names it to its recipients."""
    old_id = document.replaces_id
    if old_id is None:
        return
    old = OutgoingDocument.objects.filter(pk=old_id).only("status").first()
    if old is None or old.status not in (OutgoingStatus.ISSUED, OutgoingStatus.SENT):
        return
    with perform(OUTGOING_DOCUMENT, "replaced", actor=actor, case=old_id, durable=False) as act:
        act.save()
        act.record(
            event_types.REPLACED,
            by=document.symbol,
            by_id=document.pk,
            reason=document.replace_reason,
        )


# --- after sending: revoke and update (edXML BussinessDocType 1 and 2) -------------------------

REVOKE = 1
UPDATE = 2


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DocumentError(
            f"Nhập lý do {what}.",
            code=DocumentErrorCode.REASON_REQUIRED,
            fields={"reason": [f"Nhập lý do {what}."]},
        )
    return reason[:500]


def exchange_recipients(document: OutgoingDocument) -> list[Recipient]:
    """The recipients that received the document over the exchange (its package was queued or
    delivered) and to which no revoke has gone."""
    return list(
        document.recipients.filter(
            kind__in=[Recipient.Kind.PLATFORM, Recipient.Kind.EXTERNAL],
            delivery__in=[Recipient.Delivery.QUEUED, Recipient.Delivery.DELIVERED],
            revoke_sent_at__isnull=True,
        ).select_related("agency")
    )


def revoke(
    *,
    actor: Actor,
    document: OutgoingDocument,
    reason: str,
    recipients: Sequence[Recipient | int] | None = None,
    expected_version: int | None = None,
) -> OutgoingDocument:
    """The clerk revokes a document sent: a BussinessDocType 1 package with the reason goes to
    every recipient that got it over the exchange (or to those chosen); their answers (03
    agreed, 02 refused) come back per recipient. Revoked from all, the document is "Đã thu
    hồi" (internal units see it so in their inbox); revoked from some, it stays sent."""
    with perform(
        OUTGOING_DOCUMENT, "revoke", actor=actor, case=document, expected_version=expected_version
    ) as act:
        document = act.case
        reason = _reason(reason, "thu hồi")
        remote = exchange_recipients(document)
        everyone = True
        if recipients is not None:
            wanted = {r.pk if isinstance(r, Recipient) else int(r) for r in recipients}
            if not wanted or wanted - {r.pk for r in remote}:
                raise DocumentError(
                    "Chỉ chọn được nơi nhận đã nhận văn bản qua trục liên thông và chưa bị thu "
                    "hồi.",
                    code=DocumentErrorCode.NO_EXCHANGE_RECIPIENTS,
                    fields={"recipients": ["Chọn lại nơi nhận."]},
                )
            everyone = wanted == {r.pk for r in remote}
            remote = [r for r in remote if r.pk in wanted]
        now = timezone.now()
        if remote:
            exchange_bridge.send_business(
                actor=actor,
                document=document,
                recipients=remote,
                business_doc_type=REVOKE,
                reason=reason,
            )
            Recipient.objects.filter(pk__in=[r.pk for r in remote]).update(
                revoke_sent_at=now, revoke_status="", revoke_status_at=None
            )
        internal = document.recipients.filter(
            kind=Recipient.Kind.INTERNAL, delivery=Recipient.Delivery.DELIVERED
        ).count()
        if everyone:
            document.revoked_at = now
            document.revoke_reason = reason
            act.save("revoked_at", "revoke_reason", state=OutgoingStatus.REVOKED)
        else:
            act.save(state=OutgoingStatus.SENT)
        act.record(
            event_types.REVOKED,
            reason=reason,
            recipients=[r.organ_id for r in remote],
            internal=internal if everyone else 0,
        )
    return document


def send_update(
    *,
    actor: Actor,
    document: OutgoingDocument,
    reason: str,
    uploads: Sequence[Any] = (),
    supersede: Sequence[Attachment | int] = (),
    expected_version: int | None = None,
) -> OutgoingDocument:
    """The clerk corrects what was sent (Decree 30: an issued document is not edited): new
    attachment files (a corrected scan, a missing appendix) are added and chosen ones stop
    being sent; the signed document itself never changes. The corrected package goes as
    BussinessDocType 2 with the reason and BussinessDocumentInfo DocumentInfo 1 to every
    recipient that got it over the exchange; their answers (15 agreed, 16 refused) come back
    per recipient. Superseded files stay in the history."""
    checked = [_checked_attachment(upload, "files") for upload in uploads]
    with perform(
        OUTGOING_DOCUMENT,
        "send_update",
        actor=actor,
        case=document,
        expected_version=expected_version,
    ) as act:
        official, document = act.acting_official, act.case
        reason = _reason(reason, "cập nhật")
        wanted = {a.pk if isinstance(a, Attachment) else int(a) for a in supersede}
        current = {
            a.pk: a for a in document.attachments.filter(superseded_at__isnull=True, pk__in=wanted)
        }
        if wanted - set(current):
            raise DocumentError(
                "Tệp được chọn không phải tệp đính kèm hiện hành của văn bản.",
                code=DocumentErrorCode.NOTHING_TO_UPDATE,
                fields={"supersede": ["Chọn lại tệp."]},
            )
        if not checked and not current:
            raise DocumentError(
                "Cập nhật cần ít nhất một tệp mới hoặc một tệp thôi gửi; văn bản đã ký không "
                "sửa được.",
                code=DocumentErrorCode.NOTHING_TO_UPDATE,
                fields={"files": ["Chọn tệp đính kèm mới."]},
            )
        remote = exchange_recipients(document)
        if any(r.update_sent_at for r in remote):
            raise Conflict(
                "Văn bản đã được gửi cập nhật một lần; trục liên thông chưa nhận lần cập nhật "
                "thứ hai. Hãy ban hành văn bản thay thế.",
                code=DocumentErrorCode.ALREADY_UPDATED,
            )
        now = timezone.now()
        added: list[str] = []
        for item in checked:
            attachment = Attachment(
                document=document,
                original_name=item.name,
                content_type=item.content_type,
                size=item.size,
                sha256=item.sha256,
                created_by=official,
                added_by_update=True,
            )
            save_file(attachment.file, item.name, item.content)
            if item.content_type == files.PDF:
                # Signed by the agency like the attachments at issue (number, symbol, time).
                signed = signatures.sign_attachment(
                    item.content, document.agency, number_symbol=document.symbol, at=now
                )
                save_file(attachment.signed_file, item.name, signed)
            attachment.save()
            added.append(item.name)
        Attachment.objects.filter(pk__in=list(current)).update(superseded_at=now)
        if remote:
            exchange_bridge.send_business(
                actor=actor,
                document=document,
                recipients=remote,
                business_doc_type=UPDATE,
                reason=reason,
                document_info=True,
            )
            Recipient.objects.filter(pk__in=[r.pk for r in remote]).update(
                update_sent_at=now, update_status="", update_status_at=None
            )
        act.save()
        act.record(
            event_types.UPDATE_SENT,
            reason=reason,
            recipients=[r.organ_id for r in remote],
            added=added,
            superseded=[a.original_name for a in current.values()],
        )
    return document


class _NothingToMark(Exception):
    """mark_read found the recipient read already (or not the reader's unit): nothing logged."""


def mark_read(*, actor: Actor, recipient: Recipient) -> None:
    """An official of an internal recipient unit opened the document from the inbox."""
    if recipient.kind != Recipient.Kind.INTERNAL or recipient.read_at is not None:
        return
    try:
        with perform(
            OUTGOING_DOCUMENT, "mark_read", actor=actor, case=recipient.document_id
        ) as act:
            if recipient.unit_id != act.acting_official.unit_id:
                raise _NothingToMark
            changed = Recipient.objects.filter(pk=recipient.pk, read_at__isnull=True).update(
                read_at=timezone.now()
            )
            if not changed:
                raise _NothingToMark
            act.record(event_types.READ_BY_UNIT, unit=recipient.unit_id)
    except _NothingToMark:
        return


__all__ = [
    "DocumentError",
    "DraftInput",
    "add_attachment",
    "create_draft",
    "draft_for_signature",
    "issue",
    "mark_read",
    "remove_attachment",
    "review",
    "reviewer_candidates",
    "revoke",
    "send",
    "send_update",
    "sign",
    "submit_for_review",
    "update_draft",
    "upload_version",
]
