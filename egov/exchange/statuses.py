"""Status messages (QCVN 102:2016): sending ours, taking in the other side's, and each recipient's
latest status as the sender sees it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from egov.core.actors import SYSTEM, Actor
from egov.core.errors import NotFoundError
from egov.core.scoping import visible_to
from egov.events.services import enqueue, record_event
from egov.org.models import Agency

from . import edxml, signature
from .common import (
    ExchangeError,
    StatusRefused,
    UnknownRecipient,
    exchange_now,
    is_newer,
    known_name,
    logger,
    outbox_key,
    require_rights,
    staff_fields,
)
from .edxml import (
    REJECTED,
    STATUS_LABELS,
    EdxmlError,
    StaffInfo,
    StatusMessage,
    max_package_bytes,
    parse_status,
    status_label,
)
from .error_codes import ExchangeErrorCode
from .event_types import STATUS_RECEIVED, STATUS_SENT, SUBJECT_STATUS
from .handlers import ReceivedStatus, status_handlers
from .hub import TOPIC_STATUS, local_agency, organ_for_agency, resolve
from .models import IncomingPackage, OutgoingPackage, StatusRecord


@dataclass
class StatusResult:
    record: StatusRecord
    duplicate: bool = False


def _status_parties(document_id: str, to_organ_id: str, from_agency: Agency | None) -> Agency:
    """Which of our agencies may report on `document_id` to `to_organ_id`."""
    incoming = IncomingPackage.objects.filter(
        document_id=document_id,
        sender_organ_id=to_organ_id,
        status=IncomingPackage.Status.ARRIVED,
        recipient_agency__isnull=False,
    )
    outgoing = OutgoingPackage.objects.filter(
        document_id=document_id, recipient_organ_id=to_organ_id
    )
    if from_agency is not None:
        if (
            incoming.filter(recipient_agency=from_agency).exists()
            or outgoing.filter(sender_agency=from_agency).exists()
        ):
            return from_agency
        raise NotFoundError(
            f"{from_agency.name} không có văn bản {document_id} trao đổi với cơ quan "
            f"{to_organ_id}.",
            code=ExchangeErrorCode.UNKNOWN_DOCUMENT,
        )
    agency_ids = set(incoming.values_list("recipient_agency_id", flat=True)) | set(
        outgoing.values_list("sender_agency_id", flat=True)
    )
    if not agency_ids:
        raise NotFoundError(
            f"Không có văn bản {document_id} trao đổi với cơ quan {to_organ_id}.",
            code=ExchangeErrorCode.UNKNOWN_DOCUMENT,
        )
    if len(agency_ids) > 1:
        raise ExchangeError(
            "Nhiều cơ quan trên nền tảng cùng có văn bản này: cần nêu cơ quan gửi trạng thái.",
            code=ExchangeErrorCode.FROM_AGENCY_REQUIRED,
        )
    return Agency.objects.get(pk=agency_ids.pop())


def send_status(
    document_id: str,
    *,
    to_organ_id: str,
    status_code: str,
    description: str = "",
    staff: StaffInfo | str | None = None,
    from_agency: Agency | None = None,
    actor: Actor = SYSTEM,
) -> StatusRecord:
    """Report a status about a document to the other party (the recipient reports 03..06 or
    15/16 to the sender; the sender asks 13 to take it back), signed with the reporting
    agency's certificate and queued in the caller's transaction."""
    if status_code not in STATUS_LABELS:
        raise ExchangeError(
            f"Mã trạng thái '{status_code}' không thuộc QCVN 102:2016.",
            code=ExchangeErrorCode.UNKNOWN_STATUS_CODE,
            fields={"status_code": [f"Một trong {', '.join(STATUS_LABELS)}."]},
        )
    agency = _status_parties(document_id, to_organ_id, from_agency)
    require_rights(actor, agency)
    destination = resolve(to_organ_id)
    if destination is None:
        raise UnknownRecipient(
            f"Không gửi được trạng thái: cơ quan {to_organ_id} không có trên nền tảng và chưa "
            "được khai báo điểm liên thông.",
            fields={"to_organ_id": [to_organ_id]},
        )
    staff_info, staff_text = staff_fields(staff)
    message = StatusMessage(
        document_id=document_id,
        sender=organ_for_agency(agency),
        status_code=status_code,
        timestamp=exchange_now(),
        description=description.strip() or status_label(status_code),
        staff=staff_info,
        to_organ_id=to_organ_id,
    )
    raw = edxml.to_bytes(signature.sign_root(edxml.status_element(message), agency=agency))
    with transaction.atomic():
        record = StatusRecord.objects.create(
            direction=StatusRecord.Direction.OUT,
            document_id=document_id,
            from_organ_id=agency.identifier,
            from_name=agency.name[:255],
            to_organ_id=to_organ_id,
            agency=agency,
            status_code=status_code,
            description=message.description,
            timestamp=message.timestamp,
            staff=staff_text[:255],
            staff_info=dataclasses.asdict(staff_info),
            via=destination.route,
            raw=raw,
            delivery_status=StatusRecord.Delivery.PENDING,
        )
        incoming = (
            IncomingPackage.objects.select_for_update()
            .filter(
                document_id=document_id,
                recipient_agency=agency,
                sender_organ_id=to_organ_id,
                status=IncomingPackage.Status.ARRIVED,
            )
            .order_by("-received_at", "-id")
            .first()
        )
        if incoming is not None and is_newer(
            status_code, message.timestamp, incoming.status_code, incoming.status_at
        ):
            incoming.status_code = status_code
            incoming.status_at = message.timestamp
            incoming.save(update_fields=["status_code", "status_at"])
        enqueue(
            TOPIC_STATUS,
            {"status_id": record.pk, "document_id": document_id, "to": to_organ_id},
            idempotency_key=outbox_key("edxml-status", record.pk),
        )
        record_event(
            actor=actor,
            event_type=STATUS_SENT,
            subject_type=SUBJECT_STATUS,
            subject_id=record.pk,
            agency_id=agency.pk,
            payload={
                "document_id": document_id,
                "to": to_organ_id,
                "status_code": status_code,
                "description": message.description[:500],
            },
        )
    return record


def record_status_delivery(record: StatusRecord, *, rejected: str = "", failed: str = "") -> None:
    """What became of a status message we sent."""
    if rejected:
        status, error = StatusRecord.Delivery.REJECTED, rejected
    elif failed:
        status, error = StatusRecord.Delivery.FAILED, failed
    else:
        status, error = StatusRecord.Delivery.DELIVERED, ""
    StatusRecord.objects.filter(pk=record.pk).update(
        delivery_status=status, delivery_error=error[:2000]
    )
    if rejected or failed:
        logger.warning(
            "status %s of %s to %s not delivered: %s",
            record.status_code,
            record.document_id,
            record.to_organ_id,
            error,
        )


def receive_status(
    raw: bytes, *, via: str, peer_organ_ids: frozenset[str] | None = None
) -> StatusResult:
    """Take in a signed status message for one of our agencies (StatusRefused otherwise)."""
    raw = bytes(raw)
    if len(raw) > max_package_bytes():
        raise StatusRefused(
            "Thông điệp trạng thái quá lớn.", code=ExchangeErrorCode.PACKAGE_TOO_LARGE
        )
    try:
        message = parse_status(raw)
    except EdxmlError as exc:
        raise StatusRefused(exc.message, code=exc.code, fields=exc.fields) from None
    sender = message.sender.organ_id
    if peer_organ_ids is not None and sender not in peer_organ_ids:
        raise StatusRefused(
            f"Trạng thái ghi cơ quan gửi {sender} nhưng được gửi bằng mã truy cập của cơ quan "
            "khác.",
            code=ExchangeErrorCode.SENDER_MISMATCH,
        )
    agency = local_agency(message.recipient_organ_id)
    if agency is None:
        raise StatusRefused(
            f"Cơ quan nhận trạng thái {message.recipient_organ_id} không có trên nền tảng này.",
            code=ExchangeErrorCode.UNKNOWN_RECIPIENT,
        )
    verification = signature.verify(raw)
    if not verification.valid:
        raise StatusRefused(
            "Chữ ký số của thông điệp trạng thái không hợp lệ: "
            + ("; ".join(verification.errors) or "không xác minh được."),
            code=ExchangeErrorCode.SIGNATURE_INVALID,
        )
    if not signature.signer_matches(verification, message.sender, known_name=known_name(sender)):
        raise StatusRefused(
            f"Chứng thư ký ({verification.signer_subject}) không thuộc cơ quan {sender}.",
            code=ExchangeErrorCode.SIGNER_MISMATCH,
        )
    outgoing = (
        OutgoingPackage.objects.filter(
            document_id=message.document_id, sender_agency=agency, recipient_organ_id=sender
        )
        .order_by("-created_at", "-id")
        .first()
    )
    incoming = (
        IncomingPackage.objects.filter(
            document_id=message.document_id,
            recipient_agency=agency,
            sender_organ_id=sender,
            status=IncomingPackage.Status.ARRIVED,
        )
        .order_by("-received_at", "-id")
        .first()
    )
    if outgoing is None and incoming is None:
        raise StatusRefused(
            f"{agency.name} không có văn bản {message.document_id} trao đổi với cơ quan {sender}.",
            code=ExchangeErrorCode.UNKNOWN_DOCUMENT,
        )
    return accept_status(
        agency=agency, message=message, via=via, outgoing=outgoing, incoming=incoming, raw=raw
    )


def accept_status(
    *,
    agency: Agency,
    message: StatusMessage,
    via: str,
    outgoing: OutgoingPackage | None,
    incoming: IncomingPackage | None,
    raw: bytes | None,
) -> StatusResult:
    staff = str(message.staff)
    if raw is not None:
        fingerprint = hashlib.sha256(raw).hexdigest()
    else:
        fingerprint = hashlib.sha256(
            "|".join(
                [
                    "answer",
                    str(outgoing.pk if outgoing else ""),
                    message.status_code,
                    message.timestamp.isoformat(),
                ]
            ).encode()
        ).hexdigest()
    with transaction.atomic():
        record, created = StatusRecord.objects.get_or_create(
            direction=StatusRecord.Direction.IN,
            fingerprint=fingerprint,
            defaults={
                "document_id": message.document_id,
                "from_organ_id": message.sender.organ_id,
                "to_organ_id": agency.identifier,
                "status_code": message.status_code,
                "timestamp": message.timestamp,
                "from_name": message.sender.organ_name[:255],
                "agency": agency,
                "description": message.description,
                "staff": staff[:255],
                "staff_info": dataclasses.asdict(message.staff),
                "via": via[:20],
                "raw": raw,
            },
        )
        if not created:
            return StatusResult(record=record, duplicate=True)
        if outgoing is not None:
            locked = OutgoingPackage.objects.select_for_update().get(pk=outgoing.pk)
            changed = ["status_code", "status_at", "status_description", "status_staff"]
            if is_newer(
                message.status_code, message.timestamp, locked.status_code, locked.status_at
            ):
                locked.status_code = message.status_code
                locked.status_at = message.timestamp
                locked.status_description = message.description
                locked.status_staff = staff[:255]
            if message.status_code == REJECTED and locked.business_doc_type == 0:
                locked.delivery_status = OutgoingPackage.Delivery.REJECTED
                changed.append("delivery_status")
            elif (
                message.status_code != REJECTED
                and locked.delivery_status == OutgoingPackage.Delivery.PENDING
            ):
                # A status can overtake the delivery answer (the recipient answers fast).
                locked.delivery_status = OutgoingPackage.Delivery.DELIVERED
                locked.delivered_at = locked.delivered_at or timezone.now()
                changed += ["delivery_status", "delivered_at"]
            locked.save(update_fields=changed)
            outgoing = locked
        if incoming is not None and is_newer(
            message.status_code, message.timestamp, incoming.status_code, incoming.status_at
        ):
            IncomingPackage.objects.filter(pk=incoming.pk).update(
                status_code=message.status_code, status_at=message.timestamp
            )
        record_event(
            actor=SYSTEM,
            event_type=STATUS_RECEIVED,
            subject_type=SUBJECT_STATUS,
            subject_id=record.pk,
            agency_id=agency.pk,
            payload={
                "document_id": message.document_id,
                "from": message.sender.organ_id,
                "status_code": message.status_code,
                "description": message.description[:500],
                "via": via,
            },
        )
        received = ReceivedStatus(
            record=record, message=message, agency=agency, outgoing=outgoing, incoming=incoming
        )
        for handler in list(status_handlers):
            handler(received)
    return StatusResult(record=record)


# ---------------------------------------------------------------------------------------------
# What the sender sees
# ---------------------------------------------------------------------------------------------


@dataclass
class StatusEntry:
    status_code: str
    label: str
    description: str
    timestamp: datetime
    staff: str


@dataclass
class RecipientStatus:
    """One recipient of a document as its sender sees it."""

    recipient_organ_id: str
    recipient_name: str
    route: str
    business_doc_type: int
    delivery_status: str
    delivery_label: str
    status_code: str
    status_label: str
    status_at: datetime | None
    description: str
    staff: str
    last_error: str
    package_id: int
    history: list[StatusEntry] = field(default_factory=list)


def statuses_for(
    document_id: str, *, actor: Actor | None = None, sender_agency: Agency | None = None
) -> list[RecipientStatus]:
    """Each recipient's latest status for a document we sent (the most recent package per
    recipient: a revoke after the document shows the revoke's answer), with its history."""
    packages = OutgoingPackage.objects.filter(document_id=document_id).order_by("created_at", "id")
    if actor is not None:
        packages = visible_to(actor, packages)
    if sender_agency is not None:
        packages = packages.filter(sender_agency=sender_agency)
    latest: dict[str, OutgoingPackage] = {}
    senders: set[str] = set()
    for package in packages:
        latest[package.recipient_organ_id] = package
        senders.add(package.sender_organ_id)
    history: dict[str, list[StatusEntry]] = {}
    records = StatusRecord.objects.filter(
        direction=StatusRecord.Direction.IN,
        document_id=document_id,
        to_organ_id__in=sorted(senders),
        from_organ_id__in=sorted(latest),
    )
    ordered = sorted(records, key=lambda r: (r.timestamp, int(r.status_code), r.pk))
    for record in ordered:
        history.setdefault(record.from_organ_id, []).append(
            StatusEntry(
                record.status_code,
                record.label,
                record.description,
                record.timestamp,
                record.staff,
            )
        )
    result = []
    for organ_id, package in latest.items():
        result.append(
            RecipientStatus(
                recipient_organ_id=organ_id,
                recipient_name=package.recipient_name,
                route=package.route,
                business_doc_type=package.business_doc_type,
                delivery_status=package.delivery_status,
                delivery_label=str(package.get_delivery_status_display()),
                status_code=package.status_code,
                status_label=package.status_label,
                status_at=package.status_at,
                description=package.status_description or package.last_error,
                staff=package.status_staff,
                last_error=package.last_error,
                package_id=package.pk,
                history=history.get(organ_id, []),
            )
        )
    return result
