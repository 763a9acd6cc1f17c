"""What became of the packages we sent: the recipient's answer (01/02) or the delivery's failure."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from egov.core.actors import SYSTEM
from egov.events.services import record_event

from .common import exchange_now
from .edxml import ARRIVED, STATUS_LABELS, Organ, StatusMessage
from .event_types import (
    PACKAGE_DELIVERED,
    PACKAGE_FAILED,
    PACKAGE_REFUSED_BY_RECIPIENT,
    SUBJECT_OUTGOING,
)
from .models import OutgoingPackage, StatusRecord
from .statuses import accept_status
from .transport import Answer


def record_delivery_answer(package: OutgoingPackage, answer: Answer) -> StatusRecord | None:
    """The recipient answered (01 arrived, or 02 refused): record it for the sender. This
    answer, which knows its exact package, is the only thing that settles a delivery
    (`answered_at`, `delivery_status`); status messages never do. An answer
    the status flow refuses (01 again after a later step, for a package sent afresh...) is
    recorded as a refusal event and changes nothing else (None)."""
    message = StatusMessage(
        document_id=package.document_id,
        sender=Organ(package.recipient_organ_id, package.recipient_name),
        status_code=answer.status_code if answer.status_code in STATUS_LABELS else ARRIVED,
        timestamp=(answer.timestamp or exchange_now()).replace(microsecond=0),
        description=answer.description[:2000],
        to_organ_id=package.sender_organ_id,
    )
    with transaction.atomic():
        locked = OutgoingPackage.objects.select_for_update().get(pk=package.pk)
        # A status message that overtook this answer already moved the flow on: the answer
        # then repeats a step passed and is kept as history.
        overtaken = bool(locked.processing_code or locked.status_code)
        locked.answered_at = message.timestamp
        if answer.accepted:
            locked.delivery_status = OutgoingPackage.Delivery.DELIVERED
            locked.delivered_at = locked.delivered_at or timezone.now()
            locked.last_error = ""
        else:
            locked.delivery_status = OutgoingPackage.Delivery.REJECTED
            locked.last_error = answer.description[:2000]
        locked.save(update_fields=["delivery_status", "delivered_at", "last_error", "answered_at"])
        record_event(
            actor=SYSTEM,
            event_type=PACKAGE_DELIVERED if answer.accepted else PACKAGE_REFUSED_BY_RECIPIENT,
            subject_type=SUBJECT_OUTGOING,
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
        result = accept_status(
            agency=locked.sender_agency,
            message=message,
            via="response",
            outgoing=[locked],
            incoming=[],
            raw=None,
            repeat=answer.duplicate or overtaken,
            answer_to=locked,
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
                event_type=PACKAGE_FAILED,
                subject_type=SUBJECT_OUTGOING,
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
