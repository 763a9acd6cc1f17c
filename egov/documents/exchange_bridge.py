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
    document: OutgoingDocument, recipients: list[Recipient], *, clerk: Official | None = None
) -> Any:
    """The EdxmlDocument of an issued document for `recipients` (its issued PDF first, then
    the attachments). `clerk`: the official sending it (Bussiness/StaffInfo)."""
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
    for extra in document.attachments.all():
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
        signer=SignerInfo(
            competence=title[0] if len(title) > 1 else "",
            position=title[-1]
            if title
            else (signer.position.name if signer and signer.position else ""),
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
    )


def _place(document: OutgoingDocument) -> str:
    from .render import default_place

    return default_place(document) or document.agency.name


def send_outgoing(
    *, actor: Actor, document: OutgoingDocument, recipients: list[Recipient]
) -> list[Any]:
    """Hand the package to the exchange hub (queued in the caller's transaction)."""
    services = _services()
    clerk = (
        Official.objects.select_related("user", "unit").filter(user_id=actor.user_id).first()
        if actor.user_id
        else None
    )
    edxml = build_edxml(document, recipients, clerk=clerk)
    return list(services.send(edxml, actor=actor, sender_agency=document.agency))


def recipient_statuses(document: OutgoingDocument) -> dict[str, Any]:
    """organ id → RecipientStatus (delivery, latest status and its history) for a document we
    sent (empty without the exchange)."""
    if not exchange_installed() or not document.document_id:
        return {}
    from egov.exchange.services import statuses_for

    rows = statuses_for(document.document_id, sender_agency=document.agency)
    return {row.recipient_organ_id: row for row in rows}


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
    if row.edxml_status_at and message.timestamp < row.edxml_status_at:
        return  # an older status arriving late
    row.edxml_status = message.status_code
    row.edxml_status_at = message.timestamp
    row.save(update_fields=["edxml_status", "edxml_status_at"])


# --- receiving ---------------------------------------------------------------------------------


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
