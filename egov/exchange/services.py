"""The exchange's interface to other apps: what the documents app calls (lazily, as the exchange
is optional: documents.exchange_bridge). The work lives in the modules by concern:

    sending.send                        statuses.send_status / statuses_for / receive_status
    receiving.receive_package           answers.record_delivery_answer / record_delivery_failure
    handlers.register_*_handler         endpoints.save_endpoint / new_peer_token
    held.held_packages / accept_held / refuse_held   (packages waiting for the clerk)
    common.ExchangeError (and the other errors)

Code inside the exchange imports from those modules, never from here.
"""

from __future__ import annotations

from .edxml import Attachment, EdxmlDocument, Organ, SignerInfo, StaffInfo
from .handlers import register_incoming_handler, register_status_handler
from .held import accept_held, held_packages, refuse_held
from .hub import organ_for_agency
from .sending import send
from .statuses import known_document_ids, send_status, statuses_for

__all__ = [
    "Attachment",
    "EdxmlDocument",
    "Organ",
    "SignerInfo",
    "StaffInfo",
    "accept_held",
    "held_packages",
    "known_document_ids",
    "organ_for_agency",
    "refuse_held",
    "register_incoming_handler",
    "register_status_handler",
    "send",
    "send_status",
    "statuses_for",
]
