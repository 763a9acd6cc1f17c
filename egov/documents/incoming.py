"""Incoming documents: arrival (edXML package through the exchange hub, or a paper document the
clerk types in), registration with an arrival number, the leader's instruction and assignment
of units with a due date on the working calendar, the units' processing and report, completion.

Each step of a document that came through the exchange answers the sender with the edXML status
of QCVN 102:2016 (03 registered, 02 rejected, 04 assigned, 05 processing, 06 completed); the
exchange itself answers 01 when the package arrives. Revoke, update and replace
(BussinessDocType 1, 2, 3) change the record that is already here.

Every step is an action of the case kernel (egov.cases; the table is in cases.py).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from egov.cases import Action, TransitionRefused, begin, perform
from egov.core.actors import SYSTEM, Actor
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.core.uploads import save_file
from egov.org.models import Agency, Official, Unit
from egov.workcalendar.services import WorkingCalendar

from . import event_types, exchange_bridge, files, numbering
from .cases import INCOMING_DOCUMENT
from .error_codes import DocumentErrorCode
from .models import (
    OPEN_INCOMING,
    DocumentType,
    IncomingAssignment,
    IncomingDocument,
    IncomingFile,
    IncomingStatus,
    Priority,
)

logger = logging.getLogger(__name__)


class IncomingError(DomainError):
    code = DocumentErrorCode.INCOMING_INVALID


class BusinessType:
    NEW = 0
    REVOKE = 1
    UPDATE = 2
    REPLACE = 3


class StatusCode:
    """edXML status codes (QCVN 102:2016)."""

    ARRIVED = "01"
    REJECTED = "02"
    REGISTERED = "03"
    ASSIGNED = "04"
    PROCESSING = "05"
    COMPLETED = "06"
    UPDATE_AGREED = "15"


@dataclass(frozen=True)
class IncomingFileData:
    name: str
    content_type: str
    data: bytes


@dataclass
class IncomingData:
    document_id: str
    sender_name: str
    subject: str
    sender_organ_id: str = ""
    code_number: str = ""
    code_notation: str = ""
    issued_date: date | None = None
    place: str = ""
    type_name: str = ""
    content: str = ""
    signer_position: str = ""
    signer_name: str = ""
    priority: int = Priority.NORMAL
    due_date: date | None = None
    business_type: int = BusinessType.NEW
    business_reason: str = ""
    replaces_document_ids: Sequence[str] = ()
    files: Sequence[IncomingFileData] = field(default_factory=list)
    received_at: datetime | None = None


# --- helpers -------------------------------------------------------------------------------------


def _answer(
    actor: Actor,
    incoming: IncomingDocument,
    code: str,
    description: str,
    official: Official | None,
) -> None:
    """Tell the sender where its document stands (documents that came through the exchange)."""
    if incoming.source != IncomingDocument.Source.EXCHANGE or not incoming.sender_organ_id:
        return
    exchange_bridge.answer_status(
        incoming, code=code, description=description, official=official, actor=actor
    )


def _match_type(type_name: str, notation: str) -> DocumentType | None:
    abbreviation = notation.split("-", 1)[0].strip() if "-" in notation else ""
    types = list(DocumentType.objects.filter(is_active=True, is_normative=False))
    if abbreviation:
        for t in types:
            if t.abbreviation and t.abbreviation == abbreviation:
                return t
    wanted = type_name.strip().casefold()
    if wanted:
        for t in types:
            if t.name.casefold() == wanted:
                return t
    return None


def _store_files(incoming: IncomingDocument, data: Sequence[IncomingFileData]) -> str:
    """Keep the files; return their text (for search)."""
    texts: list[str] = []
    for item in data:
        name = files.safe_name(item.name or "tep")
        row = IncomingFile(
            incoming=incoming,
            original_name=(item.name or name)[:200],
            content_type=item.content_type[:100],
            size=len(item.data),
            sha256=hashlib.sha256(item.data).hexdigest(),
        )
        save_file(row.file, name, item.data)
        row.save()
        if item.content_type == files.PDF or item.data[:5] == b"%PDF-":
            texts.append(files.pdf_text(item.data))
    return "\n".join(texts)


def _search_text(incoming: IncomingDocument, text: str) -> str:
    return files.search_text(
        incoming.symbol,
        incoming.type_name,
        incoming.sender_name,
        incoming.subject,
        text or incoming.content,
    )


def _apply(incoming: IncomingDocument, data: IncomingData) -> None:
    incoming.sender_organ_id = data.sender_organ_id.strip()[:20]
    incoming.sender_name = (data.sender_name or data.sender_organ_id).strip()[:255]
    incoming.sender_agency = (
        Agency.objects.filter(identifier=incoming.sender_organ_id).first()
        if incoming.sender_organ_id
        else None
    )
    incoming.code_number = data.code_number.strip()[:20]
    incoming.code_notation = data.code_notation.strip()[:60]
    incoming.issued_date = data.issued_date
    incoming.place = data.place.strip()[:80]
    incoming.doc_type = _match_type(data.type_name, incoming.code_notation)
    incoming.type_name = (data.type_name or (incoming.doc_type.name if incoming.doc_type else ""))[
        :120
    ]
    incoming.subject = data.subject.strip()[:500]
    incoming.content = data.content or ""
    incoming.signer_position = data.signer_position.strip()[:200]
    incoming.signer_name = data.signer_name.strip()[:150]
    incoming.priority = data.priority if data.priority in Priority.values else Priority.NORMAL
    incoming.sender_due_date = data.due_date


# What _apply writes.
APPLIED_FIELDS = (
    "sender_organ_id",
    "sender_name",
    "sender_agency",
    "code_number",
    "code_notation",
    "issued_date",
    "place",
    "doc_type",
    "type_name",
    "subject",
    "content",
    "signer_position",
    "signer_name",
    "priority",
    "sender_due_date",
)

# --- arrival -------------------------------------------------------------------------------------


def receive(
    *,
    agency: Agency,
    data: IncomingData,
    actor: Actor = SYSTEM,
    source: str = IncomingDocument.Source.EXCHANGE,
) -> IncomingDocument:
    """A document arrives for `agency`: it waits in the clerk's "chờ vào sổ" list. The same
    DocumentId arriving again returns the record made the first time (idempotent).

    Runs inside the exchange's receipt transaction when a package arrives, so its steps are
    not durable entry points."""
    if not data.document_id.strip():
        raise IncomingError("Thiếu mã văn bản (DocumentId).", code=DocumentErrorCode.NO_DOCUMENT_ID)
    if data.business_type == BusinessType.REVOKE:
        return _revoke(agency=agency, data=data, actor=actor)
    if data.business_type == BusinessType.UPDATE:
        return _update(agency=agency, data=data, actor=actor)
    if not data.subject.strip():
        raise IncomingError("Văn bản đến thiếu trích yếu.", code=DocumentErrorCode.NO_SUBJECT)
    existing = IncomingDocument.objects.filter(agency=agency, document_id=data.document_id).first()
    if existing is not None:
        return existing
    try:
        # Not durable: an arriving package is received inside the exchange's receipt transaction.
        with begin(INCOMING_DOCUMENT, "receive", actor=actor, durable=False) as arrival:
            incoming = IncomingDocument(
                agency=agency,
                source=source,
                document_id=data.document_id.strip()[:200],
                business_type=data.business_type,
                received_at=data.received_at or timezone.now(),
                status=IncomingStatus.RECEIVED,
            )
            _apply(incoming, data)
            incoming.save()
            text = _store_files(incoming, data.files)
            incoming.search_text = _search_text(incoming, text)
            replaced: list[str] = []
            if data.business_type == BusinessType.REPLACE and data.replaces_document_ids:
                olds = IncomingDocument.objects.filter(
                    agency=agency, document_id__in=list(data.replaces_document_ids)
                ).values_list("pk", flat=True)
                for old_pk in olds:
                    with perform(
                        INCOMING_DOCUMENT, "replace", actor=actor, case=old_pk, durable=False
                    ) as act:
                        old = act.case
                        incoming.replaces = old
                        old.status_note = (
                            data.business_reason or "Được thay thế bằng văn bản mới"
                        )[:500]
                        act.save("status_note")
                        replaced.append(old.document_id)
                        act.record(event_types.INCOMING_REPLACED, by=incoming.document_id)
            incoming.save()
            arrival.case = incoming
            arrival.record(
                event_types.INCOMING_RECEIVED,
                sender=incoming.sender_organ_id or incoming.sender_name[:100],
                replaces=replaced or None,
            )
    except IntegrityError:
        # The same DocumentId delivered twice at once: the first one won.
        found = IncomingDocument.objects.filter(agency=agency, document_id=data.document_id).first()
        if found is None:
            raise
        return found
    return incoming


def _existing(agency: Agency, data: IncomingData) -> IncomingDocument:
    ids = [data.document_id, *data.replaces_document_ids]
    found = (
        IncomingDocument.objects.filter(agency=agency, document_id__in=ids).order_by("-pk").first()
    )
    if found is None:
        raise IncomingError(
            "Không tìm thấy văn bản cần thu hồi/cập nhật tại cơ quan nhận.",
            code=DocumentErrorCode.UNKNOWN_DOCUMENT,
        )
    return found


def _revoke(*, agency: Agency, data: IncomingData, actor: Actor) -> IncomingDocument:
    found = _existing(agency, data)
    if found.status == IncomingStatus.REVOKED:
        return found
    try:
        with perform(INCOMING_DOCUMENT, "revoke", actor=actor, case=found, durable=False) as act:
            incoming = act.case
            incoming.status_note = (data.business_reason or "Cơ quan gửi thu hồi văn bản")[:500]
            act.save("status_note")
            IncomingAssignment.objects.filter(incoming=incoming).exclude(
                status=IncomingAssignment.Status.COMPLETED
            ).update(status=IncomingAssignment.Status.COMPLETED, completed_at=timezone.now())
            act.record(event_types.INCOMING_REVOKED, reason=incoming.status_note)
    except TransitionRefused:
        # Revoked in between (the same revoke delivered twice): already done.
        found.refresh_from_db()
        return found
    return incoming


def _update(*, agency: Agency, data: IncomingData, actor: Actor) -> IncomingDocument:
    found = _existing(agency, data)
    with (
        perform(INCOMING_DOCUMENT, "update", actor=actor, case=found, durable=False) as act,
    ):
        incoming = act.case
        if data.subject.strip():
            _apply(incoming, data)
        if data.files:
            incoming.files.update(superseded=True)
        text = _store_files(incoming, data.files)
        incoming.search_text = _search_text(incoming, text)
        incoming.status_note = (data.business_reason or "Cơ quan gửi cập nhật văn bản")[:500]
        act.save(*APPLIED_FIELDS, "search_text", "status_note")
        act.record(event_types.INCOMING_UPDATED, reason=incoming.status_note)
    return incoming


# --- the clerk -----------------------------------------------------------------------------------


def register_incoming(
    *,
    actor: Actor,
    incoming: IncomingDocument,
    notes: str = "",
    expected_version: int | None = None,
) -> IncomingDocument:
    """The clerk enters the document in the incoming register: it gets the next arrival number
    of the year; the sender is told (status 03)."""
    with perform(
        INCOMING_DOCUMENT,
        "register",
        actor=actor,
        case=incoming,
        expected_version=expected_version,
    ) as act:
        official, incoming = act.acting_official, act.case
        now = timezone.now()
        year, number = numbering.next_arrival_number(incoming.agency_id, now)
        incoming.arrival_year = year
        incoming.arrival_number = number
        incoming.registered_at = now
        incoming.registered_by = official
        incoming.notes = notes.strip()[:500]
        act.save("arrival_year", "arrival_number", "registered_at", "registered_by", "notes")
        _answer(
            actor,
            incoming,
            StatusCode.REGISTERED,
            f"Đã vào sổ văn bản đến, số đến {number:02d}",
            official,
        )
        act.record(event_types.INCOMING_REGISTERED, arrival_number=number, year=year)
    return incoming


def reject_incoming(
    *,
    actor: Actor,
    incoming: IncomingDocument,
    reason: str,
    expected_version: int | None = None,
) -> IncomingDocument:
    """The clerk refuses a document sent by mistake (wrong recipient, illegible...): status 02."""
    reason = (reason or "").strip()
    with perform(
        INCOMING_DOCUMENT,
        "reject",
        actor=actor,
        case=incoming,
        expected_version=expected_version,
    ) as act:
        incoming = act.case
        if not reason:
            raise IncomingError("Nhập lý do từ chối.", fields={"reason": ["Nhập lý do từ chối."]})
        incoming.status_note = reason[:500]
        act.save("status_note")
        _answer(actor, incoming, StatusCode.REJECTED, reason, act.acting_official)
        act.record(event_types.INCOMING_REJECTED, reason=reason[:500])
    return incoming


# --- the leader ----------------------------------------------------------------------------------


def due_moment(
    agency_id: int,
    *,
    due_date: date | None = None,
    working_days: int | None = None,
    start: datetime | None = None,
) -> datetime | None:
    """When processing is due: the end of the working day `due_date`, or `working_days`
    working days after `start` on the agency's calendar."""
    calendar = WorkingCalendar.for_agency(agency_id)
    if due_date is not None:
        return calendar.end_of_day(due_date)
    if working_days is not None:
        return calendar.add_working_days(start or timezone.now(), int(working_days))
    return None


def assign_units(
    *,
    actor: Actor,
    incoming: IncomingDocument,
    instruction: str,
    main_unit: Unit | None,
    cooperating_units: Sequence[Unit] = (),
    inform_units: Sequence[Unit] = (),
    due_date: date | None = None,
    working_days: int | None = None,
    expected_version: int | None = None,
) -> IncomingDocument:
    """A leader writes the instruction (bút phê) and assigns the unit in charge, cooperating
    units and units informed, with a due date; the sender is told (status 04)."""
    with perform(
        INCOMING_DOCUMENT,
        "assign",
        actor=actor,
        case=incoming,
        expected_version=expected_version,
    ) as act:
        official, incoming = act.acting_official, act.case
        instruction = (instruction or "").strip()
        errors: dict[str, list[str]] = {}
        if not instruction:
            errors["instruction"] = ["Nhập ý kiến chỉ đạo."]
        if main_unit is None and not inform_units:
            errors["main_unit"] = ["Chọn đơn vị chủ trì xử lý (hoặc đơn vị để biết)."]
        units = [u for u in [main_unit, *cooperating_units, *inform_units] if u is not None]
        if any(u.agency_id != incoming.agency_id for u in units):
            errors["main_unit"] = ["Đơn vị được giao phải thuộc cơ quan."]
        if len({u.pk for u in units}) != len(units):
            errors["cooperating_units"] = ["Mỗi đơn vị chỉ được giao một vai trò."]
        if working_days is not None and not 0 <= int(working_days) <= 365:
            errors["working_days"] = ["Số ngày làm việc từ 0 đến 365."]
        if due_date is not None and due_date < timezone.localdate():
            errors["due_date"] = ["Hạn xử lý không được trước hôm nay."]
        if errors:
            raise IncomingError("Ý kiến chỉ đạo chưa hợp lệ.", fields=errors)
        now = timezone.now()
        due_at = due_moment(
            incoming.agency_id, due_date=due_date, working_days=working_days, start=now
        )
        if due_at is None and incoming.sender_due_date:
            due_at = due_moment(incoming.agency_id, due_date=incoming.sender_due_date)
        IncomingAssignment.objects.filter(incoming=incoming).delete()
        rows = []
        for unit, role in (
            ([(main_unit, IncomingAssignment.Role.MAIN)] if main_unit else [])
            + [(u, IncomingAssignment.Role.COOPERATE) for u in cooperating_units]
            + [(u, IncomingAssignment.Role.INFORM) for u in inform_units]
        ):
            rows.append(
                IncomingAssignment(
                    incoming=incoming,
                    unit=unit,
                    role=role,
                    due_at=None if role == IncomingAssignment.Role.INFORM else due_at,
                    assigned_by=official,
                )
            )
        IncomingAssignment.objects.bulk_create(rows)
        incoming.instruction = instruction[:4000]
        incoming.instructed_by = official
        incoming.instructed_at = now
        incoming.handed_over_at = now
        incoming.due_at = due_at
        act.save(
            "instruction",
            "instructed_by",
            "instructed_at",
            "handed_over_at",
            "due_at",
            state=IncomingStatus.ASSIGNED,
        )
        names = ", ".join(u.name for u in units)
        _answer(
            actor, incoming, StatusCode.ASSIGNED, f"Lãnh đạo đã giao xử lý: {names}"[:500], official
        )
        act.record(
            event_types.INCOMING_ASSIGNED,
            units=[u.pk for u in units],
            due_at=due_at.isoformat() if due_at else None,
        )
        if main_unit is None:
            # Only for information: nothing to process.
            _complete(act, "Văn bản để biết, không cần xử lý")
    return incoming


# --- the units -----------------------------------------------------------------------------------


def _lock_assignment(assignment: IncomingAssignment, official: Official) -> IncomingAssignment:
    """The assignment row, locked after its document (the action's case)."""
    locked = (
        IncomingAssignment.objects.select_for_update(of=("self",))
        .select_related("unit", "incoming")
        .filter(pk=assignment.pk)
        .first()
    )
    if locked is None or locked.incoming.agency_id != official.agency_id:
        raise NotFoundError("Không tìm thấy việc được giao.")
    if official.unit_id != locked.unit_id:
        raise NotAllowed("Chỉ công chức của đơn vị được giao mới xử lý được.")
    return locked


def _now_processing(
    act: Action[IncomingDocument], assignment: IncomingAssignment, official: Official
) -> None:
    """The first unit at work moves an assigned document on and tells the sender (05)."""
    incoming = act.case
    if incoming.status != IncomingStatus.ASSIGNED:
        return
    act.save(state=IncomingStatus.PROCESSING)
    _answer(
        act.actor,
        incoming,
        StatusCode.PROCESSING,
        f"{assignment.unit.name} đang xử lý",
        official,
    )


def start_assignment(*, actor: Actor, assignment: IncomingAssignment) -> IncomingAssignment:
    """The unit takes the document up; the first unit to start tells the sender (status 05)."""
    with perform(
        INCOMING_DOCUMENT, "start_assignment", actor=actor, case=assignment.incoming_id
    ) as act:
        official = act.acting_official
        assignment = _lock_assignment(assignment, official)
        if assignment.status != IncomingAssignment.Status.ASSIGNED:
            raise TransitionRefused("Việc này đã được nhận xử lý.")
        assignment.status = IncomingAssignment.Status.PROCESSING
        assignment.started_at = timezone.now()
        assignment.handled_by = official
        assignment.save()
        _now_processing(act, assignment, official)
        act.record(event_types.INCOMING_PROCESSING, unit=assignment.unit_id)
    return assignment


def report_assignment(
    *, actor: Actor, assignment: IncomingAssignment, report: str
) -> IncomingAssignment:
    """The unit reports its result. When every unit in charge has reported, the document is
    completed and the sender is told (status 06)."""
    report = (report or "").strip()
    if not report:
        raise IncomingError("Nhập báo cáo kết quả xử lý.", fields={"report": ["Nhập kết quả."]})
    with perform(
        INCOMING_DOCUMENT, "report_assignment", actor=actor, case=assignment.incoming_id
    ) as act:
        official, incoming = act.acting_official, act.case
        assignment = _lock_assignment(assignment, official)
        if assignment.status == IncomingAssignment.Status.COMPLETED:
            raise TransitionRefused("Đơn vị đã báo cáo kết quả.")
        now = timezone.now()
        if assignment.started_at is None:
            assignment.started_at = now
        assignment.status = IncomingAssignment.Status.COMPLETED
        assignment.report = report[:4000]
        assignment.completed_at = now
        assignment.handled_by = official
        assignment.save()
        act.record(event_types.INCOMING_REPORTED, unit=assignment.unit_id)
        open_main = IncomingAssignment.objects.filter(
            incoming=incoming, role=IncomingAssignment.Role.MAIN
        ).exclude(status=IncomingAssignment.Status.COMPLETED)
        if assignment.role == IncomingAssignment.Role.MAIN and not open_main.exists():
            _complete(act, report[:500])
        else:
            _now_processing(act, assignment, official)
    return assignment


def _complete(act: Action[IncomingDocument], note: str) -> None:
    incoming = act.case
    incoming.completed_at = timezone.now()
    act.save("completed_at", state=IncomingStatus.COMPLETED)
    _answer(act.actor, incoming, StatusCode.COMPLETED, note or "Đã hoàn thành xử lý", act.official)
    act.record(event_types.INCOMING_COMPLETED)


def complete_incoming(
    *,
    actor: Actor,
    incoming: IncomingDocument,
    note: str = "",
    expected_version: int | None = None,
) -> IncomingDocument:
    """A leader closes the document (e.g. nothing more to do); the sender is told (06)."""
    with perform(
        INCOMING_DOCUMENT,
        "complete",
        actor=actor,
        case=incoming,
        expected_version=expected_version,
    ) as act:
        IncomingAssignment.objects.filter(incoming=act.case).exclude(
            status=IncomingAssignment.Status.COMPLETED
        ).update(status=IncomingAssignment.Status.COMPLETED, completed_at=timezone.now())
        _complete(act, (note or "").strip()[:500])
    return act.case


# --- from the exchange -------------------------------------------------------------------------


def incoming_data(doc: Any, *, received_at: Any = None) -> IncomingData:
    """IncomingData from an EdxmlDocument."""
    return IncomingData(
        document_id=doc.document_id,
        sender_organ_id=doc.sender.organ_id,
        sender_name=doc.sender.organ_name,
        code_number=doc.code_number,
        code_notation=doc.code_notation,
        issued_date=doc.promulgation_date,
        place=doc.promulgation_place,
        type_name=doc.document_type_name,
        subject=doc.subject,
        content=doc.content,
        # "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC": the authority with the position, as the document shows
        # it above the signature (SignerInfo/Competence and Position).
        signer_position=" / ".join(
            part.strip() for part in (doc.signer.competence, doc.signer.position) if part.strip()
        ),
        signer_name=doc.signer.full_name,
        priority=doc.priority,
        due_date=doc.due_date,
        business_type=int(doc.business_doc_type),
        business_reason=doc.business_doc_reason,
        replaces_document_ids=list(doc.replaces),
        files=[IncomingFileData(a.name, a.content_type, a.data) for a in doc.attachments],
        received_at=received_at,
    )


def handle_package(received: Any) -> None:
    """The exchange's incoming handler (inside the receipt's transaction): a package for one of
    our agencies becomes an incoming document waiting for the clerk; a revoke or an update
    changes the record already here and is agreed at once (03 for a revoke, 15 for an
    update). Raising a DomainError refuses the package (the sender gets 02)."""
    data = incoming_data(received.document, received_at=received.package.received_at)
    if data.replaces_document_ids:  # the replaced document may be named by the sender's UUID
        data.replaces_document_ids = exchange_bridge.known_document_ids(
            received.agency, data.sender_organ_id, list(data.replaces_document_ids)
        )
    incoming = receive(agency=received.agency, data=data, actor=SYSTEM)
    if data.business_type == BusinessType.REVOKE:
        exchange_bridge.answer_status(
            incoming,
            code=StatusCode.REGISTERED,
            description="Đồng ý thu hồi văn bản",
            official=None,
        )
    elif data.business_type == BusinessType.UPDATE:
        exchange_bridge.answer_status(
            incoming,
            code=StatusCode.UPDATE_AGREED,
            description="Đã cập nhật văn bản",
            official=None,
        )


def paper_document_id(agency: Agency) -> str:
    """A DocumentId for a paper document typed in by the clerk (never sent anywhere)."""
    return f"giay:{agency.identifier}:{uuid.uuid4().hex[:16]}"


def overdue_filter(now: datetime | None = None) -> Q:
    """Open incoming documents past their due moment."""
    return Q(due_at__lt=now or timezone.now(), status__in=[s.value for s in OPEN_INCOMING])
