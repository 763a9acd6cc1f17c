"""The events the procedure catalogue records (the event catalogue, egov.events.catalogue)."""

from __future__ import annotations

from typing import Any

from egov.events.catalogue import Payload, declare


class SectorCreated(Payload):
    code: str
    name: str


class SectorUpdated(Payload):
    code: str
    name: list[str]  # [before, after]


class ProcedureCreated(Payload):
    code: str
    name: str
    sector: str | None = None  # the sector's code
    level: str
    processing_time: str  # a decimal, as text
    time_unit: str
    online_mode: int
    legal_basis: str = ""
    for_citizens: bool = True
    for_businesses: bool = False
    result_description: str = ""
    requirements: str = ""
    is_published: bool = False
    electronic_original: bool = False
    result_sealed: bool = False
    result_signing_basis: str = ""
    payment_timing: str = "before_result"  # catalog.PaymentTiming
    min_identity_level: int = 0  # catalog.IdentityRequirement: 0 any account, 1, 2
    agencies: list[str]  # agency identifiers


class ProcedureUpdated(Payload):
    code: str
    changes: dict[str, list[Any]]  # {field: [before, after]}; decimals as text, sector as code
    agencies: list[list[str]] | None = None  # [before, after] agency identifiers, when changed


class ProcedureDeleted(Payload):
    code: str


class ComponentsSet(Payload):
    code: str
    added: list[str]
    changed: list[str]
    removed: list[str]


class FeesSet(Payload):
    code: str
    fees: list[tuple[str, str, int, str]]  # [kind, name, amount in VND, rule]
    on_request: list[tuple[str, str]] = []  # [name, unit] of fees charged only when asked for
    per_unit: list[tuple[str, str]] = []  # [name, unit] of fees charged per unit asked for
    legal_sources: list[tuple[str, str]] = []  # [name, the text that sets the amount]
    # [fee name, group, percent taken off, proof, the text that grants it]
    exemptions: list[tuple[str, str, int, str, str]] = []


class ProcessPublished(Payload):
    code: str
    version: int
    previous_version: int | None = None
    processing_time: str
    time_unit: str
    steps: list[tuple[str, str, str, str]]  # [name, role, agency identifier, budget]


SECTOR_CREATED = declare(
    "catalog.sector_created",
    subject="sector",
    payload=SectorCreated,
    description="An operator created a sector (lĩnh vực).",
)
SECTOR_UPDATED = declare(
    "catalog.sector_updated",
    subject="sector",
    payload=SectorUpdated,
    description="An operator renamed a sector.",
)
PROCEDURE_CREATED = declare(
    "catalog.procedure_created",
    subject="procedure",
    payload=ProcedureCreated,
    description="An operator created a procedure.",
)
PROCEDURE_UPDATED = declare(
    "catalog.procedure_updated",
    subject="procedure",
    payload=ProcedureUpdated,
    description="An operator changed a procedure's fields or agencies.",
)
PROCEDURE_DELETED = declare(
    "catalog.procedure_deleted",
    subject="procedure",
    payload=ProcedureDeleted,
    description="An operator deleted a procedure that had no dossiers.",
)
COMPONENTS_SET = declare(
    "catalog.components_set",
    subject="procedure",
    payload=ComponentsSet,
    description="An operator changed a procedure's dossier components (by component code).",
)
FEES_SET = declare(
    "catalog.fees_set",
    subject="procedure",
    payload=FeesSet,
    description="An operator replaced a procedure's fees and charges.",
)
PROCESS_PUBLISHED = declare(
    "catalog.process_published",
    subject="procedure",
    payload=ProcessPublished,
    description="An operator published a new version of a procedure's internal process.",
)


class ReceptionDeskSet(Payload):
    code: str  # the procedure's code
    agency: str  # the competent agency's identifier
    desk_agency: str | None  # the desk's identifier; None: back to the agency's own desk
    legal_basis: str = ""


RECEPTION_DESK_SET = declare(
    "catalog.reception_desk_set",
    subject="procedure",
    payload=ReceptionDeskSet,
    description=(
        "An operator named where a procedure of an agency is received and its result returned "
        "(the provincial public administrative service centre), or moved it back to the agency's "
        "own desk."
    ),
)
