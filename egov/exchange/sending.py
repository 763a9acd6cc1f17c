"""Sending packages: validate, sign and queue an edXML document for each recipient."""

from __future__ import annotations

import dataclasses

from django.db import transaction

from egov.core.actors import Actor
from egov.events.services import enqueue, record_event
from egov.org.models import Agency

from . import edxml, signature
from .common import (
    ExchangeError,
    UnknownRecipient,
    exchange_now,
    outbox_key,
    require_rights,
    store_data,
)
from .edxml import EdxmlDocument, TraceHeader, max_package_bytes
from .error_codes import ExchangeErrorCode
from .event_types import PACKAGE_SENT, SUBJECT_OUTGOING
from .hub import TOPIC_PACKAGE, Destination, organ_for_agency, resolve
from .models import OutgoingPackage


def send(doc: EdxmlDocument, *, actor: Actor, sender_agency: Agency) -> list[OutgoingPackage]:
    """Validate, build and sign the package, then queue it for each recipient (in the caller's
    transaction: nothing leaves if it rolls back).

    Recipients must be agencies on this platform or declared external endpoints; an unknown one
    refuses the whole send (UnknownRecipient) and nothing is stored. Sending the same document
    (DocumentId, recipient, business type) again returns the package already on its way; a
    package that was refused or could not be delivered is sent afresh.
    """
    require_rights(actor, sender_agency)
    if not sender_agency.is_active:
        raise ExchangeError(f"Cơ quan {sender_agency.name} đã ngừng hoạt động.")
    if not doc.sender.organ_id:
        doc = dataclasses.replace(doc, sender=organ_for_agency(sender_agency))
    elif doc.sender.organ_id != sender_agency.identifier:
        raise ExchangeError(
            f"Cơ quan gửi trong gói tin ({doc.sender.organ_id}) không phải "
            f"{sender_agency.name} ({sender_agency.identifier}).",
            code=ExchangeErrorCode.SENDER_MISMATCH,
        )
    edxml.validate_document(doc)

    destinations = []
    unknown = []
    for organ in doc.recipients:
        if organ.organ_id == sender_agency.identifier:
            raise ExchangeError(
                "Không gửi văn bản liên thông cho chính cơ quan mình.",
                code=ExchangeErrorCode.SELF_RECIPIENT,
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
        doc = dataclasses.replace(doc, trace=[TraceHeader(doc.sender.organ_id, exchange_now())])
    # One package per way of writing it (each recipient's reader), built and signed once for
    # all the recipients that read it the same way; every package names all the recipients.
    shapes: dict[tuple[edxml.Dialect, bool], bytes] = {}
    for destination in destinations:
        assert destination is not None
        shape = _shape(destination)
        if shape not in shapes:
            dialect, zipped = shape
            root = edxml.document_element(doc, dialect, zip_attachments=zipped)
            raw = edxml.to_bytes(signature.sign_root(root, agency=sender_agency))
            limit = max_package_bytes()
            if len(raw) > limit:
                raise ExchangeError(
                    f"Gói tin {len(raw)} byte vượt quá giới hạn {limit} byte: giảm dung lượng "
                    "tệp đính kèm.",
                    code=ExchangeErrorCode.PACKAGE_TOO_LARGE,
                )
            shapes[shape] = raw

    packages: list[OutgoingPackage] = []
    with transaction.atomic():
        stored = {shape: store_data(raw) for shape, raw in shapes.items()}
        for organ, destination in zip(doc.recipients, destinations, strict=True):
            assert destination is not None
            shape = _shape(destination)
            raw, data = shapes[shape], stored[shape]
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
                package.answered_at = None
                package.resend_count += 1
                package.last_error = ""
                # Sent afresh: its status flow starts again (the 02 or failure is history).
                package.status_code = package.processing_code = package.take_back_code = ""
                package.status_at = None
                package.status_description = package.status_staff = ""
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
            _queue(package, actor, destination, dialect=str(shape[0]), zipped=shape[1])
            packages.append(package)
    return packages


def _shape(destination: Destination) -> tuple[edxml.Dialect, bool]:
    """(dialect, zipped) of what `destination` reads; zipping exists only in the SDK shape."""
    dialect = destination.dialect
    return dialect, destination.zip_attachments and dialect is not edxml.Dialect.QCVN


def _queue(
    package: OutgoingPackage,
    actor: Actor,
    destination: Destination,
    *,
    dialect: str = "",
    zipped: bool = False,
) -> None:
    """The outbox message that carries `package` (its key changes with each resend) and the
    `package_sent` event, in the caller's transaction. `dialect`/`zipped`: how it was built
    ("" when sent again as it was)."""
    enqueue(
        TOPIC_PACKAGE,
        {
            "package_id": package.pk,
            "document_id": package.document_id,
            "recipient": package.recipient_organ_id,
        },
        idempotency_key=outbox_key(
            "edxml",
            package.document_id,
            package.recipient_organ_id,
            int(package.business_doc_type),
            package.resend_count,
        ),
    )
    payload: dict[str, object] = {
        "document_id": package.document_id,
        "recipient": package.recipient_organ_id,
        "route": destination.route,
        "business_doc_type": int(package.business_doc_type),
        "size": package.data.size,
        "sha256": package.data.sha256,
        "resend": package.resend_count,
    }
    if dialect:
        payload.update(dialect=dialect, zipped=zipped)
    record_event(
        actor=actor,
        event_type=PACKAGE_SENT,
        subject_type=SUBJECT_OUTGOING,
        subject_id=package.pk,
        agency_id=package.sender_agency_id,
        payload=payload,
    )


def redeliver_unanswered(*, actor: Actor, dry_run: bool = False) -> list[OutgoingPackage]:
    """Carry again the packages marked delivered without their own delivery answer.

    Before issue #14 a status message about one package could mark another, still waiting,
    package delivered, and the outbox then skipped it as answered: it never left. Those are
    the packages `delivered` with no `answered_at` (the migration filled it from each package's
    own answer). Each is queued again (a new outbox message, `resend_count` + 1, a
    `package_sent` event); the receiver recognises a package it already has and answers 01
    again. `dry_run`: list them only.
    """
    stuck = OutgoingPackage.objects.filter(
        delivery_status=OutgoingPackage.Delivery.DELIVERED, answered_at__isnull=True
    ).order_by("created_at", "id")
    if dry_run:
        return list(stuck)
    queued: list[OutgoingPackage] = []
    with transaction.atomic():
        for package in stuck.select_for_update().select_related("data"):
            destination = resolve(package.recipient_organ_id)
            if destination is None:
                continue  # no route any more: left as it is, shown by the dry run
            package.delivery_status = OutgoingPackage.Delivery.PENDING
            package.delivered_at = None
            package.resend_count += 1
            package.save(update_fields=["delivery_status", "delivered_at", "resend_count"])
            _queue(package, actor, destination)
            queued.append(package)
    return queued
