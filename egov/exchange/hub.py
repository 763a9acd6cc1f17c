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

from egov.org.models import Agency

from .edxml import Organ
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


def organ_for_agency(agency: Agency) -> Organ:
    """An agency of this platform as edXML names it."""
    parent = agency.parent.name if agency.parent_id and agency.parent else ""
    return Organ(
        organ_id=agency.identifier,
        organ_name=agency.name,
        organization_in_charge=parent,
        organ_add=agency.address,
        email=agency.email,
        telephone=agency.phone,
        website=agency.website,
    )
