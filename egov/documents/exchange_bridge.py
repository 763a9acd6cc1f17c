"""Where documents meet the exchange app (egov.exchange, edXML QCVN 102:2016): sending an issued
document to agencies as edXML packages, handing arriving packages to incoming.py, and answering
status messages. Nothing here builds XML: the exchange app does. This module imports neither
services.py nor incoming.py: they call it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.utils import timezone

from egov.core.actors import SYSTEM, Actor
from egov.core.errors import DomainError
from egov.org.models import Agency, Official

from .error_codes import DocumentErrorCode

if TYPE_CHECKING:
    from .models import IncomingDocument, OutgoingDocument, Recipient

logger = logging.getLogger(__name__)

EXCHANGE_APP = "egov.exchange"


class ExchangeUnavailable(DomainError):
    code = DocumentErrorCode.EXCHANGE_UNAVAILABLE


def exchange_installed() -> bool:
    return apps.is_installed(EXCHANGE_APP)


def _services() -> Any:
    if not exchange_installed():
        raise ExchangeUnavailable(
            "Nền tảng chưa bật trục liên thông văn bản: không gửi được cho cơ quan khác."
        )
    from egov.exchange import services

    return services


def connect_exchange(on_package: Callable[[Any], None]) -> None:
    """Called from AppConfig.ready(): arriving packages go to `on_package` (incoming.py makes
    them incoming documents), and status answers about documents we sent update their
    recipients."""
    if not exchange_installed():
        return
    from egov.exchange.services import register_incoming_handler, register_status_handler

    register_incoming_handler(on_package)
    register_status_handler(handle_status)


# --- sending ---------------------------------------------------------------------------------


def _organ(agency: Agency) -> Any:
    from egov.exchange.services import organ_for_agency

    # the exchange's own naming (OrganizationInCharge: parent agency or province)
    return organ_for_agency(agency)


def _type_detail(document: OutgoingDocument) -> str:
    """TypeDetail: the document type's code when it is numeric ("" otherwise: written 0)."""
    code = document.doc_type.code or ""
    return code if code.isdigit() and len(code) <= 9 else ""


def build_edxml(
    document: OutgoingDocument,
    recipients: list[Recipient],
    *,
    clerk: Official | None = None,
    business_doc_type: int = 0,
    reason: str = "",
    replaces: list[str] | None = None,
    business_info: Any = None,
) -> Any:
    """The EdxmlDocument of an issued document for `recipients` (its issued PDF first, then
    the attachments still current). `clerk`: the official sending it (Bussiness/StaffInfo);
    `business_doc_type` 1/2/3 (revoke, update, replace) with its reason, the DocumentIds
    replaced and BussinessDocumentInfo of an update."""
    from egov.exchange.services import Attachment, EdxmlDocument, Organ, SignerInfo

    from .render import title_lines

    assert document.current_version is not None and document.issued_at is not None
    number, _, notation = document.symbol.partition("/")
    with document.current_version.file.open("rb") as handle:
        main_pdf = handle.read()
    attachments = [
        Attachment(
            name=document.current_version.original_name,
            content_type="application/pdf",
            data=main_pdf,
            description=document.subject[:200],
        )
    ]
    for extra in document.attachments.filter(superseded_at__isnull=True):
        with (extra.signed_file or extra.file).open("rb") as handle:
            attachments.append(
                Attachment(
                    name=extra.original_name, content_type=extra.content_type, data=handle.read()
                )
            )
    title = title_lines(document.signer_title)
    signer = document.signer
    return EdxmlDocument(
        sender=_organ(document.agency),
        recipients=[
            _organ(r.agency)
            if r.agency_id and r.agency
            else Organ(organ_id=r.organ_id, organ_name=r.name)
            for r in recipients
        ],
        code_number=number,
        code_notation=notation,
        promulgation_place=document.place or _place(document),
        promulgation_date=timezone.localtime(document.issued_at).date(),
        subject=document.subject,
        document_type=2 if document.doc_type.is_normative else 1,
        document_type_name=document.doc_type.name,
        type_detail=_type_detail(document),
        content=document.content[:1_000_000],
        # The same lines as above the signature in the PDF (authority.py): "KT. GIÁM ĐỐC" as
        # the competence, "PHÓ GIÁM ĐỐC" as the position.
        signer=SignerInfo(
            competence=" ".join(title[:-1]),
            position=title[-1]
            if title
            else (signer.position.name.upper() if signer and signer.position else ""),
            full_name=document.signer_name,
        ),
        due_date=document.due_date,
        to_places=[r.name for r in document.recipients.all()],
        priority=int(document.priority),
        promulgation_amount=document.copies,
        page_amount=document.current_version.page_count or 0,
        attachments=attachments,
        paper=0,  # whether a paper original also goes is not recorded
        business_staff=_staff(clerk),
        business_doc_type=business_doc_type,
        business_doc_reason=reason[:2000],
        replaces=list(replaces or []),
        business_info=business_info,
    )


def _place(document: OutgoingDocument) -> str:
    from .render import default_place

    return default_place(document) or document.agency.name


def send_outgoing(
    *, actor: Actor, document: OutgoingDocument, recipients: list[Recipient]
) -> list[Any]:
    """Hand the package to the exchange hub (queued in the caller's transaction). A document
    that replaces another goes as BussinessDocType 3 naming the replaced DocumentId."""
    services = _services()
    clerk = _clerk(actor)
    old = document.replaces
    if old is not None and old.document_id:
        edxml = build_edxml(
            document,
            recipients,
            clerk=clerk,
            business_doc_type=3,
            reason=document.replace_reason or f"Thay thế văn bản số {old.symbol}",
            replaces=[old.document_id],
        )
    else:
        edxml = build_edxml(document, recipients, clerk=clerk)
    return list(services.send(edxml, actor=actor, sender_agency=document.agency))


def _clerk(actor: Actor) -> Official | None:
    """The official sending (Bussiness/StaffInfo), when the actor is one."""
    if not actor.user_id:
        return None
    return Official.objects.select_related("user", "unit").filter(user_id=actor.user_id).first()


def send_business(
    *,
    actor: Actor,
    document: OutgoingDocument,
    recipients: list[Recipient],
    business_doc_type: int,
    reason: str,
    document_info: bool = False,
) -> list[Any]:
    """A revoke (1) or an update (2) of a document we sent, to `recipients` (queued in the
    caller's transaction). An update says that the document's information (its files) changed
    (BussinessDocumentInfo/DocumentInfo 1)."""
    services = _services()
    info = None
    if document_info:
        from egov.exchange.edxml import BusinessDocumentInfo

        info = BusinessDocumentInfo(document_info=1)
    edxml = build_edxml(
        document,
        recipients,
        clerk=_clerk(actor),
        business_doc_type=business_doc_type,
        reason=reason,
        business_info=info,
    )
    return list(services.send(edxml, actor=actor, sender_agency=document.agency))


def recipient_statuses(document: OutgoingDocument) -> dict[str, Any]:
    """organ id → RecipientStatus (delivery, latest status and its history) of the document's
    own package (BussinessDocType 0 or 3) for a document we sent (empty without the
    exchange)."""
    return {
        organ: row for (organ, kind), row in package_statuses(document).items() if kind in (0, 3)
    }


def package_statuses(document: OutgoingDocument) -> dict[tuple[str, int], Any]:
    """(organ id, BussinessDocType) → the latest RecipientStatus of that recipient's package
    of that type: the document itself (0/3), its revoke (1), its update (2). Works whether
    statuses_for gives one row per recipient or one per package."""
    if not exchange_installed() or not document.document_id:
        return {}
    from egov.exchange.services import statuses_for

    rows = statuses_for(document.document_id, sender_agency=document.agency)
    result: dict[tuple[str, int], Any] = {}
    for row in rows:
        key = (row.recipient_organ_id, int(row.business_doc_type))
        if key not in result or row.package_id > result[key].package_id:
            result[key] = row
    return result


def handle_status(received: Any) -> None:
    """A recipient reported a status (01..06, 02...) about a document one of our agencies sent:
    keep the latest on the recipient row."""
    from .models import OutgoingDocument, Recipient

    if getattr(received, "outgoing", None) is None or getattr(received, "stale", False):
        return  # not about a document we sent, or an older status delivered late
    message = received.message
    document = OutgoingDocument.objects.filter(
        agency=received.agency, document_id=message.document_id
    ).first()
    if document is None:
        return
    row = Recipient.objects.filter(document=document, organ_id=message.sender.organ_id).first()
    if row is None:
        return
    # The answer to a revoke (03/02) or an update (15/16) is kept apart from the document's
    # own processing status (a 03 "agreed to revoke" is not a 03 "registered").
    kind = int(getattr(received.outgoing, "business_doc_type", 0) or 0)
    prefix = {1: "revoke_status", 2: "update_status"}.get(kind, "edxml_status")
    at = getattr(row, f"{prefix}_at")
    if at and message.timestamp < at:
        return  # an older status arriving late
    setattr(row, prefix, message.status_code)
    setattr(row, f"{prefix}_at", message.timestamp)
    row.save(update_fields=[prefix, f"{prefix}_at"])


# --- receiving ---------------------------------------------------------------------------------


# Packages whose signature could not be verified are held by the exchange for the clerk
# (egov.exchange.services: held_packages, accept_held, refuse_held).


def held_available() -> bool:
    if not exchange_installed():
        return False
    from egov.exchange import services

    return hasattr(services, "held_packages")


def held_packages(actor: Actor, agency: Agency | None = None) -> Any:
    """The packages held for `actor`'s agency (a queryset of IncomingPackage with hold_reason,
    received_at, sender_name, subject, document_id)."""
    return _services().held_packages(actor, agency=agency)


def held_count(actor: Actor, agency: Agency) -> int:
    """How many packages wait for the clerk (0 without the exchange or the hold)."""
    if not held_available():
        return 0
    return int(held_packages(actor, agency).count())


def accept_held(package_id: int, *, actor: Actor, note: str) -> Any:
    """The clerk accepts a held package: it becomes an incoming document like any other."""
    return _services().accept_held(package_id, actor=actor, note=note)


def refuse_held(package_id: int, *, actor: Actor, reason: str) -> Any:
    """The clerk refuses a held package: the sender is told why."""
    return _services().refuse_held(package_id, actor=actor, reason=reason)


def _staff(official: Official | None) -> Any:
    from egov.exchange.services import StaffInfo

    if official is None:
        return StaffInfo()
    return StaffInfo(
        department=official.unit.name if official.unit_id and official.unit else "",
        staff=official.user.get_full_name(),
        email=official.user.email,
        mobile=official.user.phone,
    )


def known_document_ids(agency: Any, sender_organ_id: str, document_ids: list[str]) -> list[str]:
    """The ids our incoming documents go by, for ids a sender wrote as it named them (a UUID)."""
    return list(_services().known_document_ids(agency, sender_organ_id, document_ids))


def answer_status(
    incoming: IncomingDocument,
    *,
    code: str,
    description: str,
    official: Official | None,
    actor: Actor = SYSTEM,
) -> None:
    """Send a status message about an incoming document back to its sender (queued in the
    caller's transaction)."""
    services = _services()
    services.send_status(
        incoming.document_id,
        to_organ_id=incoming.sender_organ_id,
        status_code=code,
        description=description[:500],
        staff=_staff(official),
        from_agency=incoming.agency,
        actor=actor,
    )
