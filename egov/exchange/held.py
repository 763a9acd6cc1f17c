"""Packages held for the clerk: they arrived for one of our agencies from the authenticated
peer and parse, but their signature could not be verified (none, a form or algorithm we do not
check, a certificate outside the trust list). Receiving answered 01 "waiting for a check" and
registered nothing (receiving._hold). A clerk of the recipient agency decides:

    held_packages(actor, agency=None)             what waits, as the actor may see it
    accept_held(package_id, actor=, note=)        registered like any accepted package
    refuse_held(package_id, actor=, reason=)      REJECTED, and 02 with the reason to the sender

Repeating a decision already taken returns the package unchanged (a double click, a retried
request); the other decision after one was taken is refused (held_already_decided).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from egov.core.actors import Actor
from egov.core.errors import Conflict, DomainError, NotFoundError
from egov.core.scoping import visible_to
from egov.events.services import record_event
from egov.org.models import Agency

from . import statuses
from .common import require_rights
from .edxml import REJECTED, parse_document
from .error_codes import ExchangeErrorCode
from .event_types import HELD_PACKAGE_ACCEPTED, HELD_PACKAGE_REFUSED, SUBJECT_INCOMING
from .models import IncomingPackage
from .receiving import run_handlers

Status = IncomingPackage.Status


def held_packages(actor: Actor, agency: Agency | None = None) -> QuerySet[IncomingPackage]:
    """The packages waiting for a clerk that `actor` may see (its agencies'; all for an
    operator), oldest first: the order they should be looked at."""
    qs = visible_to(actor, IncomingPackage.objects.filter(status=Status.HELD))
    if agency is not None:
        qs = qs.filter(recipient_agency=agency)
    return qs.select_related("recipient_agency").order_by("received_at", "id")


def _locked(package_id: int, actor: Actor) -> IncomingPackage:
    package = (
        visible_to(actor, IncomingPackage.objects.all())
        .select_for_update()
        .filter(pk=package_id, recipient_agency__isnull=False)
        .first()
    )
    if package is None or (package.status == Status.HELD and package.data_id is None):
        raise NotFoundError(
            "Không tìm thấy gói tin chờ xem xét này.", code=ExchangeErrorCode.HELD_PACKAGE_NOT_FOUND
        )
    assert package.recipient_agency is not None
    require_rights(actor, package.recipient_agency)
    return package


def _decided(package: IncomingPackage, wanted: str) -> bool:
    """True when the same decision was already taken (return the package as it is); refused
    when it was decided otherwise or never held."""
    if package.status == Status.HELD:
        return False
    if package.decided_at is not None and package.status == wanted:
        return True
    if package.decided_at is None:
        raise NotFoundError(
            "Gói tin này không chờ văn thư xem xét.", code=ExchangeErrorCode.HELD_PACKAGE_NOT_FOUND
        )
    label = "chấp nhận" if package.status == Status.ARRIVED else "từ chối"
    raise Conflict(
        f"Gói tin đã được văn thư {package.decided_by or ''} {label} trước đó.".replace("  ", " "),
        code=ExchangeErrorCode.HELD_ALREADY_DECIDED,
    )


def _payload(package: IncomingPackage, note: str) -> dict[str, str]:
    return {
        "document_id": package.document_id,
        "sender": package.sender_organ_id,
        "note": note[:500],
        "hold_reason": package.hold_reason[:500],
    }


def accept_held(package_id: int, *, actor: Actor, note: str = "") -> IncomingPackage:
    """The clerk takes the package in: it becomes an arrived package (the sender already had
    01) and the incoming handlers run, so the documents app registers the incoming document.
    A handler's refusal leaves the package held (nothing changes)."""
    with transaction.atomic():
        package = _locked(package_id, actor)
        if _decided(package, Status.ARRIVED):
            return package
        agency = package.recipient_agency
        assert agency is not None and package.data is not None
        if IncomingPackage.objects.filter(
            document_id=package.document_id,
            recipient_organ_id=package.recipient_organ_id,
            business_doc_type=package.business_doc_type,
            status=Status.ARRIVED,
        ).exists():
            raise Conflict(
                "Văn bản này đã đến bằng một gói tin khác (đã vào sổ): hãy từ chối gói tin chờ.",
                code=ExchangeErrorCode.HELD_ALREADY_ARRIVED,
            )
        doc = parse_document(bytes(package.data.raw))
        package.status = Status.ARRIVED
        package.decided_at = timezone.now()
        package.decided_by = (actor.label or actor.kind)[:150]
        package.decision_note = note.strip()[:5000]
        package.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        record_event(
            actor=actor,
            event_type=HELD_PACKAGE_ACCEPTED,
            subject_type=SUBJECT_INCOMING,
            subject_id=package.pk,
            agency_id=agency.pk,
            payload=_payload(package, package.decision_note),
        )
        run_handlers(package, doc, agency, package.signer_subject, package.via)
    return package


def refuse_held(package_id: int, *, actor: Actor, reason: str) -> IncomingPackage:
    """The clerk refuses the package: it is REJECTED with the reason, and a signed 02 status
    with the reason goes to the sender through the normal status path (queued in this
    transaction). If the document meanwhile arrived in a verified package, no 02 is sent
    about it: only this copy is set aside."""
    reason = reason.strip()
    if not reason:
        raise DomainError(
            "Cần nêu lý do từ chối gói tin.",
            code=ExchangeErrorCode.HELD_REASON_REQUIRED,
            fields={"reason": ["Bắt buộc."]},
        )
    with transaction.atomic():
        package = _locked(package_id, actor)
        if _decided(package, Status.REJECTED):
            return package
        agency = package.recipient_agency
        assert agency is not None
        arrived_otherwise = IncomingPackage.objects.filter(
            document_id=package.document_id,
            recipient_organ_id=package.recipient_organ_id,
            business_doc_type=package.business_doc_type,
            status=Status.ARRIVED,
        ).exists()
        if not arrived_otherwise:
            statuses.send_status(
                package.document_id,
                to_organ_id=package.sender_organ_id,
                status_code=REJECTED,
                description=reason,
                from_agency=agency,
                actor=actor,
            )
            package.refresh_from_db()
        package.status = Status.REJECTED
        package.error = reason[:5000]
        package.error_code = ExchangeErrorCode.REFUSED_BY_CLERK
        package.decided_at = timezone.now()
        package.decided_by = (actor.label or actor.kind)[:150]
        package.decision_note = reason[:5000]
        package.save(
            update_fields=[
                "status",
                "error",
                "error_code",
                "decided_at",
                "decided_by",
                "decision_note",
            ]
        )
        record_event(
            actor=actor,
            event_type=HELD_PACKAGE_REFUSED,
            subject_type=SUBJECT_INCOMING,
            subject_id=package.pk,
            agency_id=agency.pk,
            payload=_payload(package, reason),
        )
    return package
