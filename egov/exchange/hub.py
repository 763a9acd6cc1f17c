"""The exchange hub: who an organ identifier is, and where packages for it go (the outbox
deliverers that carry them there are in `delivery`).

Routing by OrganId:
- an active agency on this platform (org.Agency.identifier): delivered in this process, in its
  own transaction, through the same checks as a package from outside (`receive_package`);
- an active `ExternalEndpoint`: an HTTP POST to the other platform (`transport`);
- anything else is unknown: `send` refuses it before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from egov.org.models import AdministrativeUnit, Agency

from .edxml import Dialect, Organ
from .models import ExternalEndpoint, Route

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

    @property
    def dialect(self) -> Dialect:
        """How packages and statuses for this organ are written: the endpoint's setting, or
        EXCHANGE_LOCAL_DIALECT for our own agencies (by default the peers' default, so that we
        read what we send everyone)."""
        if self.endpoint is not None:
            return Dialect(self.endpoint.dialect)
        return Dialect(getattr(settings, "EXCHANGE_LOCAL_DIALECT", Dialect.SDK))

    @property
    def zip_attachments(self) -> bool:
        """Attachments sent zipped (SDK/BKAV only). Local agencies: EXCHANGE_LOCAL_ZIP_ATTACHMENTS
        (off by default: the files reach the documents app as they were sent)."""
        if self.endpoint is not None:
            return bool(self.endpoint.zip_attachments)
        return bool(getattr(settings, "EXCHANGE_LOCAL_ZIP_ATTACHMENTS", False))


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


def _province_of(unit: AdministrativeUnit | None) -> AdministrativeUnit | None:
    seen = 0
    while unit is not None and unit.level != AdministrativeUnit.Level.PROVINCE and seen < 5:
        unit, seen = unit.parent, seen + 1
    return unit


def organization_in_charge(agency: Agency) -> str:
    """The body the agency belongs to, as deployed readers show it (never empty): its parent
    agency, else its province ("Tỉnh Quảng Ninh"), else the agency itself."""
    if agency.parent_id and agency.parent:
        return agency.parent.name
    province = _province_of(agency.admin_unit) if agency.admin_unit_id else None
    return province.name if province is not None else agency.name


def organ_for_agency(agency: Agency) -> Organ:
    """An agency of this platform as edXML names it."""
    return Organ(
        organ_id=agency.identifier,
        organ_name=agency.name,
        organization_in_charge=organization_in_charge(agency),
        organ_add=agency.address,
        email=agency.email,
        telephone=agency.phone,
        website=agency.website,
    )
