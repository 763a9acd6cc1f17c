"""The events org records (the event catalogue, egov.events.catalogue)."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from egov.events.catalogue import Payload, declare


class AgencySnapshot(Payload):
    identifier: str
    name: str
    abbreviation: str
    kind: str
    admin_unit_id: int | None = None
    parent_id: int | None = None
    address: str
    email: str
    phone: str
    website: str
    is_active: bool


class UnitSnapshot(Payload):
    agency_id: int
    code: str
    name: str
    abbreviation: str
    kind: str
    parent_id: int | None = None
    is_active: bool
    # The desk's reception address and hours (absent from events recorded before they were kept).
    address: str = ""
    phone: str = ""
    morning_opens: time | None = None
    morning_closes: time | None = None
    afternoon_opens: time | None = None
    afternoon_closes: time | None = None
    saturday: str = ""


class PositionSnapshot(Payload):
    code: str
    name: str
    is_leader: bool


class AdminUnitSnapshot(Payload):
    code: str
    scheme: str
    name: str
    division_type: str
    level: str
    parent_id: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class AgencyChanges(Payload):
    """{field (attname): [before, after]} for each changed field."""

    identifier: str
    changes: dict[str, list[Any]]


class CodedChanges(Payload):
    """{field (attname): [before, after]} for each changed field of the object with `code`."""

    code: str
    changes: dict[str, list[Any]]


class OfficialChanges(Payload):
    """{agency_id | unit_id | position_id: [before, after]}."""

    changes: dict[str, list[Any]]


class RolesChanged(Payload):
    added: list[str]
    removed: list[str]
    roles: list[str]


class AdminUnitsImported(Payload):
    scheme: str
    provinces: list[str]
    created: int
    updated: int
    unchanged: int


AGENCY_CREATED = declare(
    "org.agency_created",
    subject="agency",
    payload=AgencySnapshot,
    description="An operator created an agency.",
)
AGENCY_UPDATED = declare(
    "org.agency_updated",
    subject="agency",
    payload=AgencyChanges,
    description="An operator changed an agency.",
)
UNIT_CREATED = declare(
    "org.unit_created",
    subject="unit",
    payload=UnitSnapshot,
    description="An operator created a unit inside an agency.",
)
UNIT_UPDATED = declare(
    "org.unit_updated",
    subject="unit",
    payload=CodedChanges,
    description="An operator changed a unit.",
)
POSITION_CREATED = declare(
    "org.position_created",
    subject="position",
    payload=PositionSnapshot,
    description="An operator created a job title.",
)
POSITION_UPDATED = declare(
    "org.position_updated",
    subject="position",
    payload=CodedChanges,
    description="An operator changed a job title.",
)
OFFICIAL_UPDATED = declare(
    "org.official_updated",
    subject="user",
    payload=OfficialChanges,
    description="An official moved to another agency, unit or position.",
)
OFFICIAL_ROLES_CHANGED = declare(
    "org.official_roles_changed",
    subject="user",
    payload=RolesChanged,
    description="An official's roles were changed.",
)
ADMIN_UNIT_CREATED = declare(
    "org.admin_unit_created",
    subject="admin_unit",
    payload=AdminUnitSnapshot,
    description="An operator created an administrative unit by hand.",
)
ADMIN_UNIT_UPDATED = declare(
    "org.admin_unit_updated",
    subject="admin_unit",
    payload=CodedChanges,
    description="An operator changed an administrative unit by hand.",
)
ADMIN_UNITS_IMPORTED = declare(
    "org.admin_units_imported",
    subject="admin_unit_set",
    payload=AdminUnitsImported,
    description="Administrative units were imported from a source (subject: the scheme).",
)
