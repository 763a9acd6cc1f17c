"""The exchange hub: who an organ identifier is, and the outbox deliverers that carry packages
and status messages there.

Routing by OrganId:
- an active agency on this platform (org.Agency.identifier): delivered in this process, in its
  own transaction, through the same checks as a package from outside (`receive_package`);
- an active `ExternalEndpoint`: an HTTP POST to the other platform (`transport`);
- anything else is unknown: `send` refuses it before anything is stored.

Deliverers (topics "edxml" and "edxml_status") return when the other side answered, raise
`DeliveryError` to be retried by the outbox (network, timeouts, 5xx) and
`PermanentDeliveryError` when retrying cannot help.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from egov.events.models import OutboxMessage
from egov.events.services import DeliveryError, PermanentDeliveryError, register_deliverer
from egov.org.models import Agency

from .edxml import Organ
from .models import ExternalEndpoint, OutgoingPackage, Route, StatusRecord

if TYPE_CHECKING:
    from .transport import Answer

logger = logging.getLogger("egov.exchange")

TOPIC_PACKAGE = "edxml"
TOPIC_STATUS = "edxml_status"


@dataclass(frozen=True)
class Destination:
    organ_id: str
    name: str
    route: str  # Route.LOCAL or Route.EXTERNAL
    agency: Agency | None = None
    endpoint: ExternalEndpoint | None = None

    @property
    def is_local(self) -> bool:
        return self.route == Route.LOCAL


def local_agency(organ_id: str) -> Agency | None:
    return Agency.objects.filter(identifier=organ_id, is_active=True).first()


def resolve(organ_id: str) -> Destination | None:
    """Where packages for `organ_id` go, or None for an organ this platform cannot reach."""
    agency = local_agency(organ_id)
    if agency is not None:
        return Destination(organ_id, agency.name, Route.LOCAL, agency=agency)
    endpoint = ExternalEndpoint.objects.filter(organ_id=organ_id, is_active=True).first()
    if endpoint is not None:
        return Destination(organ_id, endpoint.organ_name, Route.EXTERNAL, endpoint=endpoint)
    return None


def organ_for_agency(agency: Agency) -> Organ:
    """An agency of this platform as edXML names it."""
    parent = agency.parent.name if agency.parent_id and agency.parent else ""
    return Organ(
        organ_id=agency.identifier,
        organ_name=agency.name,
        organization_in_charge=parent,
        organ_add=agency.address,
        email=agency.email,
        telephone=agency.phone,
        website=agency.website,
    )


def _is_last_attempt(message: OutboxMessage) -> bool:
    return message.attempts >= message.max_attempts


@register_deliverer(TOPIC_PACKAGE)
def deliver_package(message: OutboxMessage) -> None:
    """Carry one OutgoingPackage to its recipient and record the answer (01 or 02)."""
    from . import services, transport

    package_id = message.payload.get("package_id")
    package = (
        OutgoingPackage.objects.select_related("data", "sender_agency")
        .filter(pk=package_id)
        .first()
    )
    if package is None:
        raise PermanentDeliveryError(f"Không còn gói tin gửi đi số {package_id}.")
    if package.delivery_status in (
        OutgoingPackage.Delivery.DELIVERED,
        OutgoingPackage.Delivery.REJECTED,
    ):
        return  # answered already (a repeated delivery after a crash)
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
            result = services.receive_package(
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
        services.record_delivery_failure(package, str(exc))
        raise
    except Exception as exc:  # retried by the outbox until its last attempt
        reason = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
        if _is_last_attempt(message):
            services.record_delivery_failure(package, reason)
        else:
            services.note_delivery_error(package, reason)
        raise
    services.record_delivery_answer(package, answer)


@register_deliverer(TOPIC_STATUS)
def deliver_status(message: OutboxMessage) -> None:
    """Carry one signed status message (a StatusRecord sent by one of our agencies)."""
    from . import services, transport

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
        if destination is None:
            raise PermanentDeliveryError(f"Không còn đường gửi tới cơ quan {record.to_organ_id}.")
        raw = bytes(record.raw)
        if destination.is_local:
            try:
                services.receive_status(raw, via="local")
            except services.StatusRefused as exc:
                services.record_status_delivery(record, rejected=exc.message)
                return
        else:
            assert destination.endpoint is not None
            refusal = transport.post_status(
                destination.endpoint, raw, idempotency_key=message.idempotency_key
            )
            if refusal:
                services.record_status_delivery(record, rejected=refusal)
                return
    except PermanentDeliveryError as exc:
        services.record_status_delivery(record, failed=str(exc))
        raise
    except Exception as exc:
        if _is_last_attempt(message):
            services.record_status_delivery(record, failed=f"{type(exc).__name__}: {exc}")
        raise
    services.record_status_delivery(record)
