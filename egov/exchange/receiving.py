"""Receiving packages: check one package for one of our agencies, register it or refuse it
(answer 01 or 02), and hand it to the incoming handlers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from egov.core.actors import SYSTEM
from egov.core.errors import DomainError
from egov.events.services import record_event
from egov.org.models import Agency

from . import signature
from .common import exchange_now, known_name, logger, store_data
from .edxml import (
    ARRIVED,
    REJECTED,
    EdxmlDocument,
    EdxmlError,
    max_package_bytes,
    parse_document,
    unwrap_soap,
)
from .error_codes import ExchangeErrorCode
from .event_types import PACKAGE_HELD, PACKAGE_RECEIVED, PACKAGE_REFUSED, SUBJECT_INCOMING
from .handlers import ReceivedPackage, incoming_handlers
from .hub import local_agency
from .models import IncomingPackage, StatusRecord


@dataclass
class ReceiveResult:
    """The answer to a package: 01 (arrived, maybe again) or 02 (refused, with the reason)."""

    status_code: str
    description: str
    document_id: str = ""
    recipient_organ_id: str = ""
    sender_organ_id: str = ""
    duplicate: bool = False
    held: bool = False  # 01, but waiting for a clerk: the signature could not be verified
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
                ExchangeErrorCode.RECIPIENT_NOT_ADDRESSED,
                f"Gói tin không gửi cho cơ quan {recipient_organ_id} (không có trong nơi nhận).",
            )
        agency = local_agency(recipient_organ_id)
        if agency is None:
            raise _Refusal(
                ExchangeErrorCode.UNKNOWN_RECIPIENT,
                f"Cơ quan nhận {recipient_organ_id} không có trên nền tảng này.",
            )
        return agency
    local = [a for a in (local_agency(organ_id) for organ_id in addressed) if a is not None]
    if len(local) == 1:
        return local[0]
    if not local:
        raise _Refusal(
            ExchangeErrorCode.UNKNOWN_RECIPIENT,
            "Không có nơi nhận nào của gói tin thuộc nền tảng này.",
        )
    raise _Refusal(
        ExchangeErrorCode.RECIPIENT_REQUIRED,
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
                ExchangeErrorCode.ATTACHMENT_SIGNATURE_INVALID,
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

    Checks, in order: size, structure (edXML, unwrapped from a SOAP Envelope: what is verified
    and stored is the edXML alone), the authenticated peer is the sender (`peer_organ_ids`, for
    HTTP peers), the recipient is ours, the XML signature, PAdES signatures of attached PDFs.
    A signature proven bad (altered, revoked certificate, certificate of another organ) is
    refused (02); one we cannot verify (none, a form or algorithm we do not check, a
    certificate outside the trust list) is *held* for a clerk: answered 01 "waiting for a
    check", registered only when the clerk accepts it (held.py). A package already received
    (same DocumentId, recipient and business type) is recognised: 01 again, nothing
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
                ExchangeErrorCode.PACKAGE_TOO_LARGE,
                f"Gói tin {len(raw)} byte vượt quá giới hạn {limit} byte.",
            )
        try:
            raw = unwrap_soap(raw)
            doc = parse_document(raw)
        except EdxmlError as exc:
            raise _Refusal(exc.code, exc.message, exc.fields) from None
        if peer_organ_ids is not None and doc.sender.organ_id not in peer_organ_ids:
            raise _Refusal(
                ExchangeErrorCode.SENDER_MISMATCH,
                f"Gói tin ghi cơ quan gửi {doc.sender.organ_id} nhưng được gửi bằng mã truy cập "
                "của cơ quan khác.",
            )
        agency = _local_recipient(doc, recipient_organ_id)
        recipient = agency.identifier
        verification = signature.verify(raw)
        if verification.proven_bad:
            raise _Refusal(
                ExchangeErrorCode.SIGNATURE_INVALID,
                "Chữ ký số của gói tin không hợp lệ: " + verification.reason,
            )
        if verification.intact and not signature.signer_matches(
            verification, doc.sender, known_name=known_name(doc.sender.organ_id)
        ):
            raise _Refusal(
                ExchangeErrorCode.SIGNER_MISMATCH,
                f"Chứng thư ký gói tin ({verification.signer_subject}) không thuộc cơ quan gửi "
                f"{doc.sender.organ_name} ({doc.sender.organ_id}).",
            )
        _check_attachments(doc)
    except _Refusal as refusal:
        return _refuse(raw, via, refusal, doc, agency, recipient)

    business_type = int(doc.business_doc_type)
    hold_reason = "" if verification.valid else verification.reason
    try:
        with transaction.atomic():
            existing = _arrived(doc.document_id, recipient, business_type)
            if existing is not None:
                return _duplicate(existing)
            if hold_reason:
                waiting = _held(doc.document_id, recipient, business_type)
                if waiting is not None:
                    return _duplicate(waiting)
                return _hold(raw, via, doc, agency, verification.signer_subject, hold_reason)
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
            getattr(exc, "code", None) or ExchangeErrorCode.HANDLER_REFUSED,
            str(message),
            getattr(exc, "fields", None) or {},
        )
        return _refuse(raw, via, handler_refusal, doc, agency, recipient)


def _held(document_id: str, recipient_organ_id: str, business_type: int) -> IncomingPackage | None:
    return IncomingPackage.objects.filter(
        document_id=document_id,
        recipient_organ_id=recipient_organ_id,
        business_doc_type=business_type,
        status=IncomingPackage.Status.HELD,
    ).first()


HELD_DESCRIPTION = (
    "Văn bản đã đến {agency}, đang chờ văn thư kiểm tra vì chữ ký số chưa xác minh được: {reason}"
)


def _store_incoming(
    raw: bytes,
    via: str,
    doc: EdxmlDocument,
    agency: Agency,
    signer_subject: str,
    *,
    now: datetime,
    **fields: Any,
) -> IncomingPackage:
    """The row of a package that reached `agency` (arrived or held), answered 01 at `now`."""
    return IncomingPackage.objects.create(
        document_id=doc.document_id,
        sent_document_id=doc.sent_document_id[:255],
        recipient_agency=agency,
        recipient_organ_id=agency.identifier,
        sender_organ_id=doc.sender.organ_id,
        sender_name=doc.sender.organ_name[:255],
        business_doc_type=int(doc.business_doc_type),
        subject=doc.subject[:500],
        data=store_data(raw),
        size=len(raw),
        via=via[:20],
        signer_subject=signer_subject[:500],
        status_code=ARRIVED,
        status_at=now,
        processing_code=ARRIVED,
        **fields,
    )


def _answer_recorded(
    agency: Agency,
    doc: EdxmlDocument,
    package: IncomingPackage,
    code: str,
    description: str,
    now: datetime,
) -> None:
    """Our answer to the package (01 or 02), given in the delivery's response: kept in the
    status log on the package it answers."""
    StatusRecord.objects.create(
        direction=StatusRecord.Direction.OUT,
        incoming_package=package,
        document_id=doc.document_id,
        from_organ_id=agency.identifier,
        from_name=agency.name[:255],
        to_organ_id=doc.sender.organ_id,
        agency=agency,
        status_code=code,
        description=description[:2000],
        timestamp=now,
        via="response",
    )


def _hold(
    raw: bytes, via: str, doc: EdxmlDocument, agency: Agency, signer_subject: str, reason: str
) -> ReceiveResult:
    """Keep a package whose signature we cannot verify for a clerk, and answer 01.

    Why 01 and not 02: the package did arrive and is kept; a 02 would tell the sender it was
    refused (it might give up, or resend the same bytes in a loop), when no one has decided
    anything yet. The description says it waits for a check. If the clerk refuses it, the
    sender gets 02 with the reason then (01 → 02 is an allowed step of the status flow); if
    the clerk accepts it, it is registered and goes on like any package."""
    now = exchange_now()
    description = HELD_DESCRIPTION.format(agency=agency.name, reason=reason)[:2000]
    package = _store_incoming(
        raw,
        via,
        doc,
        agency,
        signer_subject,
        now=now,
        status=IncomingPackage.Status.HELD,
        hold_reason=reason[:5000],
    )
    _answer_recorded(agency, doc, package, ARRIVED, description, now)
    record_event(
        actor=SYSTEM,
        event_type=PACKAGE_HELD,
        subject_type=SUBJECT_INCOMING,
        subject_id=package.pk,
        agency_id=agency.pk,
        payload={
            "document_id": doc.document_id,
            "sender": doc.sender.organ_id,
            "business_doc_type": int(doc.business_doc_type),
            "via": via,
            "size": len(raw),
            "reason": reason[:500],
            "signer_subject": signer_subject[:255],
        },
    )
    logger.warning(
        "edXML package held (%s) from %s for %s: %s",
        doc.document_id,
        doc.sender.organ_id,
        agency.identifier,
        reason,
    )
    return ReceiveResult(
        status_code=ARRIVED,
        description=description,
        document_id=doc.document_id,
        recipient_organ_id=agency.identifier,
        sender_organ_id=doc.sender.organ_id,
        held=True,
        package=package,
        timestamp=now,
    )


def _duplicate(existing: IncomingPackage) -> ReceiveResult:
    held = existing.status == IncomingPackage.Status.HELD
    return ReceiveResult(
        status_code=ARRIVED,
        description=(
            "Văn bản đã đến từ trước (gói tin gửi lại) và đang chờ văn thư kiểm tra chữ ký số."
            if held
            else "Văn bản đã đến từ trước (gói tin gửi lại), không vào sổ lần nữa."
        ),
        held=held,
        document_id=existing.document_id,
        recipient_organ_id=existing.recipient_organ_id,
        sender_organ_id=existing.sender_organ_id,
        duplicate=True,
        package=existing,
        timestamp=exchange_now(),
    )


def _register(
    raw: bytes, via: str, doc: EdxmlDocument, agency: Agency, signer_subject: str
) -> ReceiveResult:
    now = exchange_now()
    description = f"Văn bản đã đến {agency.name}."
    package = _store_incoming(
        raw, via, doc, agency, signer_subject, now=now, status=IncomingPackage.Status.ARRIVED
    )
    _answer_recorded(agency, doc, package, ARRIVED, description, now)
    record_event(
        actor=SYSTEM,
        event_type=PACKAGE_RECEIVED,
        subject_type=SUBJECT_INCOMING,
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
    run_handlers(package, doc, agency, signer_subject, via)
    return ReceiveResult(
        status_code=ARRIVED,
        description=description,
        document_id=doc.document_id,
        recipient_organ_id=agency.identifier,
        sender_organ_id=doc.sender.organ_id,
        package=package,
        timestamp=now,
    )


def run_handlers(
    package: IncomingPackage, doc: EdxmlDocument, agency: Agency, signer_subject: str, via: str
) -> None:
    """Hand a registered package to the incoming handlers (the documents app registers it)."""
    received = ReceivedPackage(
        package=package, document=doc, agency=agency, signer_subject=signer_subject, via=via
    )
    for handler in list(incoming_handlers):
        handler(received)


def _refuse(
    raw: bytes,
    via: str,
    refusal: _Refusal,
    doc: EdxmlDocument | None,
    agency: Agency | None,
    recipient: str,
) -> ReceiveResult:
    """Log a refused package (nothing registered) and answer 02 with the reason."""
    now = exchange_now()
    with transaction.atomic():
        keep = bool(raw) and len(raw) <= max_package_bytes()
        package = IncomingPackage.objects.create(
            document_id=doc.document_id if doc else "",
            sent_document_id=doc.sent_document_id[:255] if doc else "",
            recipient_agency=agency,
            recipient_organ_id=recipient[:50],
            sender_organ_id=doc.sender.organ_id if doc else "",
            sender_name=doc.sender.organ_name[:255] if doc else "",
            business_doc_type=int(doc.business_doc_type) if doc else 0,
            subject=doc.subject[:500] if doc else "",
            data=store_data(raw) if keep else None,
            size=len(raw),
            via=via[:20],
            status=IncomingPackage.Status.REJECTED,
            error=refusal.message[:5000],
            error_code=refusal.code[:50],
            status_code=REJECTED,
            status_at=now,
        )
        if doc is not None and agency is not None:
            _answer_recorded(agency, doc, package, REJECTED, refusal.message, now)
        record_event(
            actor=SYSTEM,
            event_type=PACKAGE_REFUSED,
            subject_type=SUBJECT_INCOMING,
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
    refusal = _Refusal(
        ExchangeErrorCode.PACKAGE_TOO_LARGE, f"Gói tin {size} byte vượt quá giới hạn {limit} byte."
    )
    agency = local_agency(recipient_organ_id) if recipient_organ_id else None
    result = _refuse(b"", via, refusal, None, agency, recipient_organ_id)
    if result.package is not None:
        IncomingPackage.objects.filter(pk=result.package.pk).update(size=size)
    return result
