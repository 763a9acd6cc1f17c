"""The names the documents app imports from the exchange, re-exported while documents moves to
the modules that define them (#12). New code imports from those modules:

    sending.send                        statuses.send_status / statuses_for / receive_status
    receiving.receive_package           answers.record_delivery_answer / record_delivery_failure
    handlers.register_*_handler         endpoints.save_endpoint / new_peer_token
    common.ExchangeError (and the other errors)
"""

from __future__ import annotations

from .edxml import Attachment, EdxmlDocument, Organ, SignerInfo, StaffInfo
from .handlers import register_incoming_handler, register_status_handler
from .sending import send
from .statuses import send_status, statuses_for

__all__ = [
    "Attachment",
    "EdxmlDocument",
    "Organ",
    "SignerInfo",
    "StaffInfo",
    "register_incoming_handler",
    "register_status_handler",
    "send",
    "send_status",
    "statuses_for",
]
