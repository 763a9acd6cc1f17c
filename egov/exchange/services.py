"""edXML exchange between agencies: the only code that changes exchange state.

Sending:
    send(doc, *, actor, sender_agency) -> list[OutgoingPackage]      (one per recipient)
    send_status(document_id, *, to_organ_id, status_code, description="", staff=None,
                from_agency=None, actor=SYSTEM) -> StatusRecord
    statuses_for(document_id, *, actor=None) -> list[RecipientStatus]

Receiving (the hub and the HTTP API call these):
    receive_package(raw, *, via, recipient_organ_id=None, peer_organ_ids=None) -> ReceiveResult
    receive_status(raw, *, via, peer_organ_ids=None) -> StatusResult

Hooks for the documents app (call them in AppConfig.ready):
    register_incoming_handler(fn)   fn(ReceivedPackage) inside the receipt's transaction;
                                    raising a DomainError (or ValidationError) refuses the
                                    package: nothing stays registered and the sender gets 02.
                                    Any other exception is a temporary failure (retried).
    register_status_handler(fn)     fn(ReceivedStatus) for every status reaching one of our
                                    agencies (01/02 answers included; 13 asks to take back).

External endpoints (operators): save_endpoint(...), new_peer_token().
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from egov.core.actors import SYSTEM, Actor
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.core.scoping import visible_to
from egov.events.services import enqueue, record_event
from egov.org.models import Agency

from . import edxml, signature
from .edxml import (
    ARRIVED,
    REJECTED,
    STATUS_LABELS,
    Attachment,
    BusinessDocType,
    EdxmlDocument,
    EdxmlError,
    Organ,
    SignerInfo,
    StaffInfo,
    StatusMessage,
    TraceHeader,
    max_package_bytes,
    parse_document,
    parse_status,
    status_label,
)
from .hub import TOPIC_PACKAGE, TOPIC_STATUS, local_agency, organ_for_agency, resolve
from .models import (
    ExternalEndpoint,
    IncomingPackage,
    OutgoingPackage,
    PackageData,
    StatusRecord,
)
from .transport import Answer

__all__ = [
    "Attachment",
    "BusinessDocType",
    "EdxmlDocument",
    "EdxmlError",
    "ExchangeError",
    "Organ",
    "ReceiveResult",
    "ReceivedPackage",
    "ReceivedStatus",
    "RecipientStatus",
    "SignerInfo",
    "StaffInfo",
    "StatusMessage",
    "StatusRefused",
    "StatusResult",
    "UnknownRecipient",
    "new_peer_token",
    "receive_package",
    "receive_status",
    "register_incoming_handler",
    "register_status_handler",
    "save_endpoint",
    "send",
    "send_status",
    "statuses_for",
]

logger = logging.getLogger("egov.exchange")

WRITE_SCOPE = "documents:write"
PEER_TOKEN_PREFIX = "edxml_"


class ExchangeError(DomainError):
    code = "exchange_error"


class UnknownRecipient(ExchangeError):
    code = "unknown_recipient"


class StatusRefused(ExchangeError):
    """A status message we do not accept (the HTTP API answers 422)."""

    code = "status_rejected"
    http_status = 422


# ---------------------------------------------------------------------------------------------
# What handlers get
# ---------------------------------------------------------------------------------------------


@dataclass
class ReceivedPackage:
    """A package that passed every check, handed to the incoming handlers."""

    package: IncomingPackage
    document: EdxmlDocument
    agency: Agency  # the recipient on this platform
    signer_subject: str
    via: str

    @property
    def document_id(self) -> str:
        return self.document.document_id

    @property
    def business_doc_type(self) -> BusinessDocType:
        return self.document.business_type

    @property
    def sender(self) -> Organ:
        return self.document.sender


@dataclass
class ReceivedStatus:
    """A status that reached one of our agencies, handed to the status handlers."""

    record: StatusRecord
    message: StatusMessage
    agency: Agency  # who the status is for
    outgoing: OutgoingPackage | None  # the package this agency sent, if it is about one
    incoming: IncomingPackage | None  # the package this agency received, if it is about one

    @property
    def status_code(self) -> str:
        return self.message.status_code

    @property
    def document_id(self) -> str:
        return self.message.document_id


IncomingHandler = Callable[[ReceivedPackage], None]
StatusHandler = Callable[[ReceivedStatus], None]
_incoming_handlers: list[IncomingHandler] = []
_status_handlers: list[StatusHandler] = []


def register_incoming_handler(fn: IncomingHandler) -> IncomingHandler:
    """Call `fn(received)` for each new package (usable as a decorator; registering twice is
    harmless)."""
    if fn not in _incoming_handlers:
        _incoming_handlers.append(fn)
    return fn


def unregister_incoming_handler(fn: IncomingHandler) -> None:
    if fn in _incoming_handlers:
        _incoming_handlers.remove(fn)


def register_status_handler(fn: StatusHandler) -> StatusHandler:
    if fn not in _status_handlers:
        _status_handlers.append(fn)
    return fn


def unregister_status_handler(fn: StatusHandler) -> None:
    if fn in _status_handlers:
        _status_handlers.remove(fn)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _now() -> datetime:
    """Status times travel with second precision (yyyy/MM/dd HH:mm:ss)."""
    return timezone.now().replace(microsecond=0)


def _require_rights(actor: Actor, agency: Agency) -> None:
    if actor.is_operator:
        return
    if actor.is_anonymous or agency.pk not in actor.agency_ids or not actor.has_scope(WRITE_SCOPE):
        raise NotAllowed(f"Bạn không có quyền gửi văn bản, trạng thái thay {agency.name}.")


def _known_name(organ_id: str) -> str:
    """The name on record for an organ (our agency or a declared endpoint), or ""."""
    agency = local_agency(organ_id)
    if agency is not None:
        return agency.name
    endpoint = ExternalEndpoint.objects.filter(organ_id=organ_id).first()
    return endpoint.organ_name if endpoint is not None else ""


def _store_data(raw: bytes) -> PackageData:
    digest = hashlib.sha256(raw).hexdigest()
    existing = PackageData.objects.defer("raw").filter(sha256=digest).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return PackageData.objects.create(sha256=digest, size=len(raw), raw=raw)
    except IntegrityError:
        return PackageData.objects.defer("raw").get(sha256=digest)


def _outbox_key(*parts: object) -> str:
    key = "|".join(str(p) for p in parts)
    if len(key) > 190:
        key = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


def _is_newer(code: str, moment: datetime, current_code: str, current_at: datetime | None) -> bool:
    """Statuses may arrive out of order: the later time wins, then the later step."""
    if not current_code or current_at is None:
        return True
    if moment != current_at:
        return moment > current_at
    return int(code) >= int(current_code)


def _staff_text(staff: StaffInfo | str | None) -> tuple[StaffInfo, str]:
    if staff is None:
        return StaffInfo(), ""
    if isinstance(staff, str):
        info = StaffInfo(staff=staff.strip())
        return info, info.staff
    return staff, str(staff)


# ---------------------------------------------------------------------------------------------
# Sending packages
# ---------------------------------------------------------------------------------------------


def send(doc: EdxmlDocument, *, actor: Actor, sender_agency: Agency) -> list[OutgoingPackage]:
    """Validate, build and sign the package, then queue it for each recipient (in the caller's
    transaction: nothing leaves if it rolls back).

    Recipients must be agencies on this platform or declared external endpoints; an unknown one
    refuses the whole send (UnknownRecipient) and nothing is stored. Sending the same document
    (DocumentId, recipient, business type) again returns the package already on its way; a
    package that was refused or could not be delivered is sent afresh.
    """
    _require_rights(actor, sender_agency)
    if not sender_agency.is_active:
        raise ExchangeError(f"Cơ quan {sender_agency.name} đã ngừng hoạt động.")
    if not doc.sender.organ_id:
        doc = dataclasses.replace(doc, sender=organ_for_agency(sender_agency))
    elif doc.sender.organ_id != sender_agency.identifier:
        raise ExchangeError(
            f"Cơ quan gửi trong gói tin ({doc.sender.organ_id}) không phải "
            f"{sender_agency.name} ({sender_agency.identifier}).",
            code="sender_mismatch",
        )
    edxml.validate_document(doc)

    destinations = []
    unknown = []
    for organ in doc.recipients:
        if organ.organ_id == sender_agency.identifier:
            raise ExchangeError(
                "Không gửi văn bản liên thông cho chính cơ quan mình.", code="self_recipient"
            )
        destination = resolve(organ.organ_id)
        if destination is None:
            unknown.append(organ.organ_id)
        destinations.append(destination)
    if unknown:
        raise UnknownRecipient(
            f"Không gửi được: nơi nhận {', '.join(unknown)} không có trên nền tảng và chưa được "
            "khai báo điểm liên thông.",
            fields={"recipients": unknown},
        )

    if not doc.trace:
        doc = dataclasses.replace(doc, trace=[TraceHeader(doc.sender.organ_id, _now())])
    root = edxml.document_element(doc)
    raw = edxml.to_bytes(signature.sign_root(root, agency=sender_agency))
    limit = max_package_bytes()
    if len(raw) > limit:
        raise ExchangeError(
            f"Gói tin {len(raw)} byte vượt quá giới hạn {limit} byte: giảm dung lượng tệp "
            "đính kèm.",
            code="package_too_large",
        )

    packages: list[OutgoingPackage] = []
    with transaction.atomic():
        data = _store_data(raw)
        for organ, destination in zip(doc.recipients, destinations, strict=True):
            assert destination is not None
            existing = (
                OutgoingPackage.objects.select_for_update()
                .filter(
                    document_id=doc.document_id,
                    recipient_organ_id=organ.organ_id,
                    business_doc_type=int(doc.business_doc_type),
                )
                .first()
            )
            if existing is not None and existing.delivery_status in (
                OutgoingPackage.Delivery.PENDING,
                OutgoingPackage.Delivery.DELIVERED,
            ):
                packages.append(existing)
                continue
            if existing is not None:
                package = existing
                package.data = data
                package.route = destination.route
                package.delivery_status = OutgoingPackage.Delivery.PENDING
                package.resend_count += 1
                package.last_error = ""
                package.created_by = actor.label[:150]
                package.save()
            else:
                package = OutgoingPackage.objects.create(
                    document_id=doc.document_id,
                    sender_agency=sender_agency,
                    sender_organ_id=sender_agency.identifier,
                    recipient_organ_id=organ.organ_id,
                    recipient_name=(organ.organ_name or destination.name)[:255],
                    route=destination.route,
                    business_doc_type=int(doc.business_doc_type),
                    subject=doc.subject[:500],
                    data=data,
                    created_by=actor.label[:150],
                )
            enqueue(
                TOPIC_PACKAGE,
                {
                    "package_id": package.pk,
                    "document_id": doc.document_id,
                    "recipient": organ.organ_id,
                },
                idempotency_key=_outbox_key(
                    "edxml",
                    doc.document_id,
                    organ.organ_id,
                    int(doc.business_doc_type),
                    package.resend_count,
                ),
            )
            record_event(
                actor=actor,
                event_type="exchange.package_sent",
                subject_type="exchange.outgoing_package",
                subject_id=package.pk,
                agency_id=sender_agency.pk,
                payload={
                    "document_id": doc.document_id,
                    "recipient": organ.organ_id,
                    "route": destination.route,
                    "business_doc_type": int(doc.business_doc_type),
                    "size": len(raw),
                    "sha256": data.sha256,
                    "resend": package.resend_count,
                },
            )
            packages.append(package)
    return packages


def record_delivery_answer(package: OutgoingPackage, answer: Answer) -> StatusRecord:
    """The recipient answered (01 arrived, or 02 refused): record it for the sender."""
    message = StatusMessage(
        document_id=package.document_id,
        sender=Organ(package.recipient_organ_id, package.recipient_name),
        status_code=answer.status_code if answer.status_code in STATUS_LABELS else ARRIVED,
        timestamp=(answer.timestamp or _now()).replace(microsecond=0),
        description=answer.description[:2000],
        to_organ_id=package.sender_organ_id,
    )
    with transaction.atomic():
        locked = OutgoingPackage.objects.select_for_update().get(pk=package.pk)
        if answer.accepted:
            locked.delivery_status = OutgoingPackage.Delivery.DELIVERED
            locked.delivered_at = locked.delivered_at or timezone.now()
            locked.last_error = ""
        else:
            locked.delivery_status = OutgoingPackage.Delivery.REJECTED
            locked.last_error = answer.description[:2000]
        locked.save(update_fields=["delivery_status", "delivered_at", "last_error"])
        record_event(
            actor=SYSTEM,
            event_type="exchange.package_delivered"
            if answer.accepted
            else "exchange.package_refused_by_recipient",
            subject_type="exchange.outgoing_package",
            subject_id=locked.pk,
            agency_id=locked.sender_agency_id,
            payload={
                "document_id": locked.document_id,
                "recipient": locked.recipient_organ_id,
                "status_code": message.status_code,
                "duplicate": answer.duplicate,
                "reason": "" if answer.accepted else answer.description[:500],
            },
        )
        result = _accept_status(
            agency=locked.sender_agency,
            message=message,
            via="response",
            outgoing=locked,
            incoming=None,
            raw=None,
        )
    return result.record


def record_delivery_failure(package: OutgoingPackage, error: str) -> None:
    """Delivery gave up (no route, configuration error, attempts exhausted)."""
    with transaction.atomic():
        updated = OutgoingPackage.objects.filter(
            pk=package.pk, delivery_status=OutgoingPackage.Delivery.PENDING
        ).update(delivery_status=OutgoingPackage.Delivery.FAILED, last_error=error[:2000])
        if updated:
            record_event(
                actor=SYSTEM,
                event_type="exchange.package_failed",
                subject_type="exchange.outgoing_package",
                subject_id=package.pk,
                agency_id=package.sender_agency_id,
                payload={
                    "document_id": package.document_id,
                    "recipient": package.recipient_organ_id,
                    "error": error[:500],
                },
            )


def note_delivery_error(package: OutgoingPackage, error: str) -> None:
    """A failed attempt that will be retried: keep the reason for the sender to see."""
    OutgoingPackage.objects.filter(pk=package.pk).update(last_error=error[:2000])


# ---------------------------------------------------------------------------------------------
# Receiving packages
# ---------------------------------------------------------------------------------------------


@dataclass
class ReceiveResult:
    """The answer to a package: 01 (arrived, maybe again) or 02 (refused, with the reason)."""

    status_code: str
    description: str
    document_id: str = ""
    recipient_organ_id: str = ""
    sender_organ_id: str = ""
    duplicate: bool = False
    error_code: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    package: IncomingPackage | None = None
    timestamp: datetime | None = None

    @property
    def accepted(self) -> bool:
        return self.status_code == ARRIVED


class _Refusal(Exception):
    def __init__(self, code: str, message: str, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}


def _local_recipient(doc: EdxmlDocument, recipient_organ_id: str | None) -> Agency:
    addressed = [organ.organ_id for organ in doc.recipients]
    if recipient_organ_id:
        if recipient_organ_id not in addressed:
            raise _Refusal(
                "recipient_not_addressed",
                f"Gói tin không gửi cho cơ quan {recipient_organ_id} (không có trong nơi nhận).",
            )
        agency = local_agency(recipient_organ_id)
        if agency is None:
            raise _Refusal(
                "unknown_recipient",
                f"Cơ quan nhận {recipient_organ_id} không có trên nền tảng này.",
            )
        return agency
    local = [a for a in (local_agency(organ_id) for organ_id in addressed) if a is not None]
    if len(local) == 1:
        return local[0]
    if not local:
        raise _Refusal("unknown_recipient", "Không có nơi nhận nào của gói tin thuộc nền tảng này.")
    raise _Refusal(
        "recipient_required",
        "Gói tin gửi cho nhiều cơ quan trên nền tảng này: cần nêu cơ quan nhận (X-Edxml-To).",
    )


def _check_attachments(doc: EdxmlDocument) -> None:
    for attachment in doc.attachments:
        if not attachment.is_pdf:
            continue
        check = signature.check_pdf(attachment.data)
        if check is not None and not check.ok:
            reasons = "; ".join(check.errors) or "chữ ký không hợp lệ"
            raise _Refusal(
                "attachment_signature_invalid",
                f"Chữ ký số trên tệp đính kèm {attachment.name} không hợp lệ: {reasons}",
                {"attachment": [attachment.name]},
            )


def _arrived(
    document_id: str, recipient_organ_id: str, business_type: int
) -> IncomingPackage | None:
    return IncomingPackage.objects.filter(
        document_id=document_id,
        recipient_organ_id=recipient_organ_id,
        business_doc_type=business_type,
        status=IncomingPackage.Status.ARRIVED,
    ).first()


def receive_package(
    raw: bytes,
    *,
    via: str,
    recipient_organ_id: str | None = None,
    peer_organ_ids: frozenset[str] | None = None,
) -> ReceiveResult:
    """Check and take in one package for one of our agencies; answer 01 or 02.

    Checks, in order: size, structure (edXML), the authenticated peer is the sender
    (`peer_organ_ids`, for HTTP peers), the recipient is ours, the XML signature chains to the
    trust list and belongs to the sender, PAdES signatures of attached PDFs. A package already
    received (same DocumentId, recipient and business type) is recognised: 01 again, nothing
    registered twice. Then the incoming handlers run in the same transaction.
    """
    raw = bytes(raw)
    doc: EdxmlDocument | None = None
    agency: Agency | None = None
    recipient = recipient_organ_id or ""
    try:
        limit = max_package_bytes()
        if len(raw) > limit:
            raise _Refusal(
                "package_too_large", f"Gói tin {len(raw)} byte vượt quá giới hạn {limit} byte."
            )
        try:
            doc = parse_document(raw)
        except EdxmlError as exc:
            raise _Refusal(exc.code, exc.message, exc.fields) from None
        if peer_organ_ids is not None and doc.sender.organ_id not in peer_organ_ids:
            raise _Refusal(
                "sender_mismatch",
                f"Gói tin ghi cơ quan gửi {doc.sender.organ_id} nhưng được gửi bằng mã truy cập "
                "của cơ quan khác.",
            )
        agency = _local_recipient(doc, recipient_organ_id)
        recipient = agency.identifier
        verification = signature.verify(raw)
        if not verification.valid:
            raise _Refusal(
                "signature_invalid",
                "Chữ ký số của gói tin không hợp lệ: "
                + ("; ".join(verification.errors) or "không xác minh được."),
            )
        if not signature.signer_matches(
            verification, doc.sender, known_name=_known_name(doc.sender.organ_id)
        ):
            raise _Refusal(
                "signer_mismatch",
                f"Chứng thư ký gói tin ({verification.signer_subject}) không thuộc cơ quan gửi "
                f"{doc.sender.organ_name} ({doc.sender.organ_id}).",
            )
        _check_attachments(doc)
    except _Refusal as refusal:
        return _refuse(raw, via, refusal, doc, agency, recipient)

    business_type = int(doc.business_doc_type)
    try:
        with transaction.atomic():
            existing = _arrived(doc.document_id, recipient, business_type)
            if existing is not None:
                return _duplicate(existing)
            return _register(raw, via, doc, agency, verification.signer_subject)
    except IntegrityError:
        existing = _arrived(doc.document_id, recipient, business_type)
        if existing is None:
            raise
        return _duplicate(existing)
    except (DomainError, ValidationError) as exc:
        message = (
            getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", [])) or str(exc)
        )
        handler_refusal = _Refusal(
            getattr(exc, "code", None) or "handler_refused",
            str(message),
            getattr(exc, "fields", None) or {},
        )
        return _refuse(raw, via, handler_refusal, doc, agency, recipient)


def _duplicate(existing: IncomingPackage) -> ReceiveResult:
    return ReceiveResult(
        status_code=ARRIVED,
        description="Văn bản đã đến từ trước (gói tin gửi lại), không vào sổ lần nữa.",
        document_id=existing.document_id,
        recipient_organ_id=existing.recipient_organ_id,
        sender_organ_id=existing.sender_organ_id,
        duplicate=True,
        package=existing,
        timestamp=_now(),
    )


def _register(
    raw: bytes, via: str, doc: EdxmlDocument, agency: Agency, signer_subject: str
) -> ReceiveResult:
    now = _now()
    data = _store_data(raw)
    description = f"Văn bản đã đến {agency.name}."
    package = IncomingPackage.objects.create(
        document_id=doc.document_id,
        recipient_agency=agency,
        recipient_organ_id=agency.identifier,
        sender_organ_id=doc.sender.organ_id,
        sender_name=doc.sender.organ_name[:255],
        business_doc_type=int(doc.business_doc_type),
        subject=doc.subject[:500],
        data=data,
        size=len(raw),
        via=via[:20],
        status=IncomingPackage.Status.ARRIVED,
        signer_subject=signer_subject[:500],
        status_code=ARRIVED,
        status_at=now,
    )
    StatusRecord.objects.create(
        direction=StatusRecord.Direction.OUT,
        document_id=doc.document_id,
        from_organ_id=agency.identifier,
        from_name=agency.name[:255],
        to_organ_id=doc.sender.organ_id,
        agency=agency,
        status_code=ARRIVED,
        description=description,
        timestamp=now,
        via="response",
    )
    record_event(
        actor=SYSTEM,
        event_type="exchange.package_received",
        subject_type="exchange.incoming_package",
        subject_id=package.pk,
        agency_id=agency.pk,
        payload={
            "document_id": doc.document_id,
            "sender": doc.sender.organ_id,
            "business_doc_type": int(doc.business_doc_type),
            "via": via,
            "size": len(raw),
            "attachments": [a.name for a in doc.attachments],
        },
    )
    received = ReceivedPackage(
        package=package, document=doc, agency=agency, signer_subject=signer_subject, via=via
    )
    for handler in list(_incoming_handlers):
        handler(received)
    return ReceiveResult(
        status_code=ARRIVED,
        description=description,
        document_id=doc.document_id,
        recipient_organ_id=agency.identifier,
        sender_organ_id=doc.sender.organ_id,
        package=package,
        timestamp=now,
    )


def _refuse(
    raw: bytes,
    via: str,
    refusal: _Refusal,
    doc: EdxmlDocument | None,
    agency: Agency | None,
    recipient: str,
) -> ReceiveResult:
    """Log a refused package (nothing registered) and answer 02 with the reason."""
    now = _now()
    with transaction.atomic():
        keep = bool(raw) and len(raw) <= max_package_bytes()
        package = IncomingPackage.objects.create(
            document_id=doc.document_id if doc else "",
            recipient_agency=agency,
            recipient_organ_id=recipient[:50],
            sender_organ_id=doc.sender.organ_id if doc else "",
            sender_name=doc.sender.organ_name[:255] if doc else "",
            business_doc_type=int(doc.business_doc_type) if doc else 0,
            subject=doc.subject[:500] if doc else "",
            data=_store_data(raw) if keep else None,
            size=len(raw),
            via=via[:20],
            status=IncomingPackage.Status.REJECTED,
            error=refusal.message[:5000],
            error_code=refusal.code[:50],
            status_code=REJECTED,
            status_at=now,
        )
        if doc is not None and agency is not None:
            StatusRecord.objects.create(
                direction=StatusRecord.Direction.OUT,
                document_id=doc.document_id,
                from_organ_id=agency.identifier,
                from_name=agency.name[:255],
                to_organ_id=doc.sender.organ_id,
                agency=agency,
                status_code=REJECTED,
                description=refusal.message[:2000],
                timestamp=now,
                via="response",
            )
        record_event(
            actor=SYSTEM,
            event_type="exchange.package_refused",
            subject_type="exchange.incoming_package",
            subject_id=package.pk,
            agency_id=agency.pk if agency else None,
            payload={
                "document_id": package.document_id,
                "sender": package.sender_organ_id,
                "recipient": package.recipient_organ_id,
                "code": refusal.code,
                "reason": refusal.message[:500],
                "via": via,
                "size": len(raw),
            },
        )
    logger.warning(
        "edXML package refused (%s) from %s for %s: %s",
        refusal.code,
        package.sender_organ_id or "?",
        package.recipient_organ_id or "?",
        refusal.message,
    )
    return ReceiveResult(
        status_code=REJECTED,
        description=refusal.message,
        document_id=package.document_id,
        recipient_organ_id=package.recipient_organ_id,
        sender_organ_id=package.sender_organ_id,
        error_code=refusal.code,
        fields=refusal.fields,
        package=package,
        timestamp=now,
    )


def refuse_oversized(*, size: int, via: str, recipient_organ_id: str = "") -> ReceiveResult:
    """A package refused before it was read in full (the HTTP body was over the limit)."""
    limit = max_package_bytes()
    refusal = _Refusal("package_too_large", f"Gói tin {size} byte vượt quá giới hạn {limit} byte.")
    agency = local_agency(recipient_organ_id) if recipient_organ_id else None
    result = _refuse(b"", via, refusal, None, agency, recipient_organ_id)
    if result.package is not None:
        IncomingPackage.objects.filter(pk=result.package.pk).update(size=size)
    return result


# ---------------------------------------------------------------------------------------------
# Status messages
# ---------------------------------------------------------------------------------------------


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
            code="unknown_document",
        )
    agency_ids = set(incoming.values_list("recipient_agency_id", flat=True)) | set(
        outgoing.values_list("sender_agency_id", flat=True)
    )
    if not agency_ids:
        raise NotFoundError(
            f"Không có văn bản {document_id} trao đổi với cơ quan {to_organ_id}.",
            code="unknown_document",
        )
    if len(agency_ids) > 1:
        raise ExchangeError(
            "Nhiều cơ quan trên nền tảng cùng có văn bản này: cần nêu cơ quan gửi trạng thái.",
            code="from_agency_required",
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
            code="unknown_status_code",
            fields={"status_code": [f"Một trong {', '.join(STATUS_LABELS)}."]},
        )
    agency = _status_parties(document_id, to_organ_id, from_agency)
    _require_rights(actor, agency)
    destination = resolve(to_organ_id)
    if destination is None:
        raise UnknownRecipient(
            f"Không gửi được trạng thái: cơ quan {to_organ_id} không có trên nền tảng và chưa "
            "được khai báo điểm liên thông.",
            fields={"to_organ_id": [to_organ_id]},
        )
    staff_info, staff_text = _staff_text(staff)
    message = StatusMessage(
        document_id=document_id,
        sender=organ_for_agency(agency),
        status_code=status_code,
        timestamp=_now(),
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
        if incoming is not None and _is_newer(
            status_code, message.timestamp, incoming.status_code, incoming.status_at
        ):
            incoming.status_code = status_code
            incoming.status_at = message.timestamp
            incoming.save(update_fields=["status_code", "status_at"])
        enqueue(
            TOPIC_STATUS,
            {"status_id": record.pk, "document_id": document_id, "to": to_organ_id},
            idempotency_key=_outbox_key("edxml-status", record.pk),
        )
        record_event(
            actor=actor,
            event_type="exchange.status_sent",
            subject_type="exchange.status",
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
        raise StatusRefused("Thông điệp trạng thái quá lớn.", code="package_too_large")
    try:
        message = parse_status(raw)
    except EdxmlError as exc:
        raise StatusRefused(exc.message, code=exc.code, fields=exc.fields) from None
    sender = message.sender.organ_id
    if peer_organ_ids is not None and sender not in peer_organ_ids:
        raise StatusRefused(
            f"Trạng thái ghi cơ quan gửi {sender} nhưng được gửi bằng mã truy cập của cơ quan "
            "khác.",
            code="sender_mismatch",
        )
    agency = local_agency(message.recipient_organ_id)
    if agency is None:
        raise StatusRefused(
            f"Cơ quan nhận trạng thái {message.recipient_organ_id} không có trên nền tảng này.",
            code="unknown_recipient",
        )
    verification = signature.verify(raw)
    if not verification.valid:
        raise StatusRefused(
            "Chữ ký số của thông điệp trạng thái không hợp lệ: "
            + ("; ".join(verification.errors) or "không xác minh được."),
            code="signature_invalid",
        )
    if not signature.signer_matches(verification, message.sender, known_name=_known_name(sender)):
        raise StatusRefused(
            f"Chứng thư ký ({verification.signer_subject}) không thuộc cơ quan {sender}.",
            code="signer_mismatch",
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
            code="unknown_document",
        )
    return _accept_status(
        agency=agency, message=message, via=via, outgoing=outgoing, incoming=incoming, raw=raw
    )


def _accept_status(
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
            if _is_newer(
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
        if incoming is not None and _is_newer(
            message.status_code, message.timestamp, incoming.status_code, incoming.status_at
        ):
            IncomingPackage.objects.filter(pk=incoming.pk).update(
                status_code=message.status_code, status_at=message.timestamp
            )
        record_event(
            actor=SYSTEM,
            event_type="exchange.status_received",
            subject_type="exchange.status",
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
        for handler in list(_status_handlers):
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


# ---------------------------------------------------------------------------------------------
# External endpoints
# ---------------------------------------------------------------------------------------------


def new_peer_token() -> str:
    """A token for another platform to present when it posts to us (shown once)."""
    return PEER_TOKEN_PREFIX + secrets.token_urlsafe(32)


def peer_organs_for_token(token: str) -> frozenset[str]:
    """The organs an inbound peer token speaks for (empty: unknown token)."""
    if not token.startswith(PEER_TOKEN_PREFIX):
        return frozenset()
    digest = ExternalEndpoint.hash_token(token)
    return frozenset(
        ExternalEndpoint.objects.filter(inbound_token_hash=digest, is_active=True).values_list(
            "organ_id", flat=True
        )
    )


def save_endpoint(
    *,
    actor: Actor,
    organ_id: str,
    organ_name: str,
    url: str,
    auth_token: str | None = None,
    inbound_token: str | None = None,
    timeout_seconds: int | None = None,
    is_active: bool = True,
) -> ExternalEndpoint:
    """Declare (or update) an agency on another platform. `auth_token` is what we present to
    it; `inbound_token` what it presents to us (stored as a hash; None keeps the old ones)."""
    if not actor.is_operator:
        raise NotAllowed("Chỉ quản trị hệ thống được khai báo điểm liên thông.")
    errors: dict[str, list[str]] = {}
    try:
        organ_id = edxml._check_organ_id(organ_id, "organ_id")
    except EdxmlError as exc:
        errors["organ_id"] = [exc.message]
    if not organ_name.strip():
        errors["organ_name"] = ["Cần tên cơ quan."]
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        errors["url"] = ["Địa chỉ phải là URL http(s) đầy đủ."]
    if inbound_token is not None and inbound_token and len(inbound_token) < 24:
        errors["inbound_token"] = ["Mã truy cập nhận vào phải dài ít nhất 24 ký tự."]
    if inbound_token and not inbound_token.startswith(PEER_TOKEN_PREFIX):
        errors.setdefault("inbound_token", []).append(
            f"Mã truy cập nhận vào phải bắt đầu bằng '{PEER_TOKEN_PREFIX}'."
        )
    if not errors.get("organ_id") and local_agency(organ_id) is not None:
        errors["organ_id"] = [
            "Cơ quan này đang hoạt động trên nền tảng, không cần điểm liên thông."
        ]
    if errors:
        raise ExchangeError(
            "Thông tin điểm liên thông chưa hợp lệ.", code="invalid_endpoint", fields=errors
        )
    with transaction.atomic():
        endpoint = ExternalEndpoint.objects.select_for_update().filter(organ_id=organ_id).first()
        created = endpoint is None
        if endpoint is None:
            endpoint = ExternalEndpoint(organ_id=organ_id)
        endpoint.organ_name = organ_name.strip()[:255]
        endpoint.url = url
        endpoint.is_active = is_active
        if timeout_seconds is not None:
            endpoint.timeout_seconds = max(1, int(timeout_seconds))
        if auth_token is not None:
            endpoint.auth_token = auth_token.strip()
        if inbound_token is not None:
            endpoint.inbound_token_hash = (
                ExternalEndpoint.hash_token(inbound_token) if inbound_token else ""
            )
        endpoint.updated_at = timezone.now()
        endpoint.save()
        record_event(
            actor=actor,
            event_type="exchange.endpoint_created" if created else "exchange.endpoint_updated",
            subject_type="exchange.endpoint",
            subject_id=endpoint.pk,
            payload={
                "organ_id": organ_id,
                "url": url,
                "is_active": is_active,
                "auth_token_set": bool(endpoint.auth_token),
                "inbound_token_set": bool(endpoint.inbound_token_hash),
            },
        )
    return endpoint
