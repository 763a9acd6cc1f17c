"""Fixtures for the exchange tests: two agencies with certificates from one demo CA, documents,
a recording handler."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from egov.core.actors import SYSTEM
from egov.exchange import common, handlers, statuses
from egov.exchange.edxml import Attachment, EdxmlDocument, Organ, SignerInfo
from egov.exchange.hub import organ_for_agency


@pytest.fixture(autouse=True)
def _only_our_handlers() -> Iterator[None]:
    """These tests exercise the exchange alone: other apps' handlers (the documents app's)
    are set aside and put back afterwards."""
    saved = (list(handlers.incoming_handlers), list(handlers.status_handlers))
    handlers.incoming_handlers.clear()
    handlers.status_handlers.clear()
    yield
    handlers.incoming_handlers[:] = saved[0]
    handlers.status_handlers[:] = saved[1]


@pytest.fixture(scope="session")
def hierarchy() -> Any:
    """One demo CA for the whole session (pure cryptography, no database)."""
    from egov.signing.services import make_demo_hierarchy

    return make_demo_hierarchy()


@pytest.fixture
def certified(agency, other_agency, hierarchy):  # type: ignore[no-untyped-def]
    """Both agencies hold an organisation certificate; the demo root is trusted."""
    from egov.signing.services import ensure_demo_ca

    ensure_demo_ca(actor=SYSTEM, hierarchy=hierarchy)
    return agency, other_agency


@pytest.fixture
def make_doc():  # type: ignore[no-untyped-def]
    counter = {"n": 0}

    def make(sender, recipients, **changes: Any) -> EdxmlDocument:  # type: ignore[no-untyped-def]
        counter["n"] += 1
        organs = [r if isinstance(r, Organ) else organ_for_agency(r) for r in recipients]
        values: dict[str, Any] = {
            "sender": organ_for_agency(sender),
            "recipients": organs,
            "code_number": str(100 + counter["n"]),
            "code_notation": f"{sender.abbreviation}-VP",
            "promulgation_place": "Quảng Ninh",
            "promulgation_date": date(2026, 3, 2),
            "subject": "Về việc triển khai liên thông văn bản điện tử",
            "document_type": 1,
            "document_type_name": "Công văn",
            "content": "Đề nghị các cơ quan triển khai.",
            "signer": SignerInfo("TM. ỦY BAN NHÂN DÂN", "Chủ tịch", "Nguyễn Văn An"),
            "due_date": date(2026, 3, 20),
            "to_places": ["Như trên", "Lưu: VT"],
            "priority": 1,
            "page_amount": 2,
            "attachments": [
                Attachment("cong-van.txt", "text/plain", "Nội dung công văn".encode()),
            ],
        }
        values.update(changes)
        return EdxmlDocument(**values)

    return make


class Recorder:
    """An incoming handler that remembers what it got, and can refuse or answer."""

    def __init__(self) -> None:
        self.packages: list[handlers.ReceivedPackage] = []
        self.statuses: list[handlers.ReceivedStatus] = []
        self.refuse_with: str = ""
        self.answer: list[str] = []

    def on_package(self, received: handlers.ReceivedPackage) -> None:
        if self.refuse_with:
            raise common.ExchangeError(self.refuse_with, code="not_ours")
        self.packages.append(received)
        for code in self.answer:
            statuses.send_status(
                received.document_id,
                to_organ_id=received.sender.organ_id,
                status_code=code,
                staff="Trần Thị Văn Thư",
                from_agency=received.agency,
            )

    def on_status(self, received: handlers.ReceivedStatus) -> None:
        self.statuses.append(received)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    handlers.register_incoming_handler(rec.on_package)
    handlers.register_status_handler(rec.on_status)
    yield rec
    handlers.unregister_incoming_handler(rec.on_package)
    handlers.unregister_status_handler(rec.on_status)
