"""The outbox deliverers (topics "edxml" and "edxml_status") that carry packages and status
messages to their recipient: in this process through the same checks as a package from outside
(`receiving`), or over HTTP to another platform (`transport`).

Deliverers return when the other side answered, raise `DeliveryError` to be retried by the
outbox (network, timeouts, 5xx) and `PermanentDeliveryError` when retrying cannot help. Status
messages about one document to one party go in the order they were sent (the other side checks
the status flow in arrival order).
"""

from __future__ import annotations

from egov.events.models import OutboxMessage
from egov.events.services import DeliveryError, PermanentDeliveryError, register_deliverer

from . import answers, common, receiving, statuses, transport
from .hub import TOPIC_PACKAGE, TOPIC_STATUS, resolve
from .models import OutgoingPackage, StatusRecord
from .transport import Answer


def _earlier_status_pending(record: StatusRecord) -> bool:
    """Is a status sent before this one, about the same document to the same party, still
    on its way?"""
    same_agency: dict[str, object] = (
        {"agency_id": record.agency_id}
        if record.agency_id is not None
        else {"agency__isnull": True}
    )
    return (
        StatusRecord.objects.filter(
            **same_agency,
            direction=StatusRecord.Direction.OUT,
            document_id=record.document_id,
            to_organ_id=record.to_organ_id,
            delivery_status=StatusRecord.Delivery.PENDING,
            pk__lt=record.pk,
        )
        .exclude(raw__isnull=True)
        .exists()
    )


def _is_last_attempt(message: OutboxMessage) -> bool:
    return message.attempts >= message.max_attempts


@register_deliverer(TOPIC_PACKAGE)
def deliver_package(message: OutboxMessage) -> None:
    """Carry one OutgoingPackage to its recipient and record the answer (01 or 02)."""
    package_id = message.payload.get("package_id")
    package = (
        OutgoingPackage.objects.select_related("data", "sender_agency")
        .filter(pk=package_id)
        .first()
    )
    if package is None:
        raise PermanentDeliveryError(f"Không còn gói tin gửi đi số {package_id}.")
    if package.answered_at is not None and package.delivery_status in (
        OutgoingPackage.Delivery.DELIVERED,
        OutgoingPackage.Delivery.REJECTED,
    ):
        # Its own answer was recorded (a repeated delivery after a crash). Only that answer
        # counts: a status message about the document never settles a package's delivery.
        return
    destination = resolve(package.recipient_organ_id)
    try:
        if destination is None:
            raise PermanentDeliveryError(
                f"Không còn đường gửi tới cơ quan {package.recipient_organ_id} "
                "(cơ quan hoặc điểm liên thông đã bị xóa/khóa)."
            )
        raw = bytes(package.data.raw)
        answer: Answer
        if destination.is_local:
            result = receiving.receive_package(
                raw, via="local", recipient_organ_id=package.recipient_organ_id
            )
            answer = transport.Answer.from_receipt(result)
        else:
            assert destination.endpoint is not None
            answer = transport.post_package(
                destination.endpoint,
                raw,
                recipient_organ_id=package.recipient_organ_id,
                idempotency_key=message.idempotency_key,
            )
    except PermanentDeliveryError as exc:
        answers.record_delivery_failure(package, str(exc))
        raise
    except Exception as exc:  # retried by the outbox until its last attempt
        reason = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
        if _is_last_attempt(message):
            answers.record_delivery_failure(package, reason)
        else:
            answers.note_delivery_error(package, reason)
        raise
    answers.record_delivery_answer(package, answer)


@register_deliverer(TOPIC_STATUS)
def deliver_status(message: OutboxMessage) -> None:
    """Carry one signed status message (a StatusRecord sent by one of our agencies)."""
    record_id = message.payload.get("status_id")
    record = StatusRecord.objects.filter(pk=record_id, direction=StatusRecord.Direction.OUT).first()
    if record is None or record.raw is None:
        raise PermanentDeliveryError(f"Không còn thông điệp trạng thái số {record_id}.")
    if record.delivery_status in (
        StatusRecord.Delivery.DELIVERED,
        StatusRecord.Delivery.REJECTED,
    ):
        return
    destination = resolve(record.to_organ_id)
    try:
        if _earlier_status_pending(record):
            # The other side checks the status flow in arrival order: 04 ahead of a 03 still
            # on its way would be refused for good. Wait for the earlier one (retried later).
            raise DeliveryError(
                f"Chờ trạng thái trước đó về văn bản {record.document_id} tới nơi rồi mới gửi."
            )
        if destination is None:
            raise PermanentDeliveryError(f"Không còn đường gửi tới cơ quan {record.to_organ_id}.")
        raw = bytes(record.raw)
        if destination.is_local:
            try:
                statuses.receive_status(raw, via="local")
            except common.StatusRefused as exc:
                statuses.record_status_delivery(record, rejected=exc.message)
                return
        else:
            assert destination.endpoint is not None
            refusal = transport.post_status(
                destination.endpoint, raw, idempotency_key=message.idempotency_key
            )
            if refusal:
                statuses.record_status_delivery(record, rejected=refusal)
                return
    except PermanentDeliveryError as exc:
        statuses.record_status_delivery(record, failed=str(exc))
        raise
    except Exception as exc:
        if _is_last_attempt(message):
            statuses.record_status_delivery(record, failed=f"{type(exc).__name__}: {exc}")
        raise
    statuses.record_status_delivery(record)
