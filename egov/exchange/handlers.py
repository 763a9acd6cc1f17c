"""The hooks another app (documents) plugs into: what it is handed for each package and status
that reaches one of our agencies (register them in AppConfig.ready).

    register_incoming_handler(fn)   fn(ReceivedPackage) inside the receipt's transaction;
                                    raising a DomainError (or ValidationError) refuses the
                                    package: nothing stays registered and the sender gets 02.
                                    Any other exception is a temporary failure (retried).
    register_status_handler(fn)     fn(ReceivedStatus) for every status reaching one of our
                                    agencies that the status flow accepts (01/02 answers
                                    included; 13 asks to take back); `stale` ones changed
                                    nothing (an older message delivered late).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from egov.org.models import Agency

from .edxml import BusinessDocType, EdxmlDocument, Organ, StatusMessage
from .models import IncomingPackage, OutgoingPackage, StatusRecord


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
    stale: bool = False  # an older status delivered late: history only, it changed nothing

    @property
    def status_code(self) -> str:
        return self.message.status_code

    @property
    def document_id(self) -> str:
        return self.message.document_id


IncomingHandler = Callable[[ReceivedPackage], None]
StatusHandler = Callable[[ReceivedStatus], None]
incoming_handlers: list[IncomingHandler] = []
status_handlers: list[StatusHandler] = []


def register_incoming_handler(fn: IncomingHandler) -> IncomingHandler:
    """Call `fn(received)` for each new package (usable as a decorator; registering twice is
    harmless)."""
    if fn not in incoming_handlers:
        incoming_handlers.append(fn)
    return fn


def unregister_incoming_handler(fn: IncomingHandler) -> None:
    if fn in incoming_handlers:
        incoming_handlers.remove(fn)


def register_status_handler(fn: StatusHandler) -> StatusHandler:
    if fn not in status_handlers:
        status_handlers.append(fn)
    return fn


def unregister_status_handler(fn: StatusHandler) -> None:
    if fn in status_handlers:
        status_handlers.remove(fn)
