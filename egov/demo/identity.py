"""The demo's electronic identity on the portal (docs/identity-portal.md): the criminal-record
certificate asks for a level-2 eID account, the first demo citizen holds one (with verified
claims the forms can be prefilled from) and the second a level-1 account, so both sides of the
rule can be tried: An submits online with the prefill, Bình is refused with the explanation.

Demo values, not the province's published catalogue: an operator sets each procedure's level from
its published record. The links stand for a past VNeID login (the stand-in identity provider's
demo citizens, with the same subject, level and claims as its login asserts); a real login
updates them.
"""

from __future__ import annotations

from django.db import transaction

from egov.accounts.models import User
from egov.catalog import services as catalog_services
from egov.catalog.event_types import PROCEDURE_UPDATED
from egov.catalog.models import IdentityRequirement, Procedure
from egov.core.actors import SYSTEM, Actor
from egov.events.models import Event
from egov.identity.models import IdentityLink
from egov.identity.providers import normalise_claims
from egov.identity.standin import DEMO_CITIZENS, DemoCitizen

from .data import CITIZENS

PROVIDER = "vneid"
# Cấp Phiếu lý lịch tư pháp: level 2 (as the national portal asks for it; a demo value).
LEVEL_2_PROCEDURES = ("2.000488.000.00.00.H41",)


def _identities() -> list[tuple[str, DemoCitizen]]:
    """The stand-in identity provider's demo citizens that have a demo account: what their
    login asserts (subject, level, claims) is what the demo's links hold."""
    accounts = {citizen.personal_id for citizen in CITIZENS[:2]}
    return [(c.personal_id, c) for c in DEMO_CITIZENS if c.personal_id in accounts]


def _claims(citizen: DemoCitizen) -> dict[str, str]:
    # As the login stores them (egov/identity/services.login_identity).
    return dict(normalise_claims(citizen.claims()), personal_id=citizen.personal_id)


def load_demo_identity(*, actor: Actor = SYSTEM) -> int:
    """Set the level-2 procedures and link the demo citizens; what exists is left as it is (an
    operator who changed a procedure's level keeps it). Returns how many rows it changed."""
    changed = 0
    with transaction.atomic():
        for code in LEVEL_2_PROCEDURES:
            procedure = Procedure.objects.filter(code=code).first()
            if procedure is None or procedure.min_identity_level:
                continue
            touched = Event.objects.filter(
                event_type=PROCEDURE_UPDATED.name,
                subject_type="procedure",
                subject_id=str(procedure.pk),
                payload__changes__has_key="min_identity_level",
            ).exists()
            if touched:
                continue
            catalog_services.update_procedure(
                actor=actor,
                procedure=procedure,
                changes={"min_identity_level": IdentityRequirement.LEVEL_2},
            )
            changed += 1
        for personal_id, citizen in _identities():
            user = User.objects.filter(username=personal_id).first()
            if user is None or IdentityLink.objects.filter(user=user).exists():
                continue
            # Demo data standing for a past login through the stand-in: the same subject, level
            # and claims its login writes (a real provider's subject differs: the login then
            # updates the link, docs/identity.md "One account per person").
            IdentityLink.objects.create(
                user=user,
                provider=PROVIDER,
                subject=citizen.subject,
                level=citizen.level,
                claims=_claims(citizen),
            )
            changed += 1
    return changed
