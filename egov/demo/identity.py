"""The demo's electronic identity on the portal (docs/identity-portal.md): the criminal-record
certificate asks for a level-2 eID account, the first demo citizen holds one (with verified
claims the forms can be prefilled from) and the second a level-1 account, so both sides of the
rule can be tried: An submits online with the prefill, Bình is refused with the explanation.

Demo values, not the province's published catalogue: an operator sets each procedure's level from
its published record. The links stand for a past VNeID login (the stand-in identity provider's
demo citizens carry the same personal id numbers); a real login updates them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from egov.accounts.models import User
from egov.catalog import services as catalog_services
from egov.catalog.event_types import PROCEDURE_UPDATED
from egov.catalog.models import IdentityRequirement, Procedure
from egov.core.actors import SYSTEM, Actor
from egov.events.models import Event
from egov.identity.models import IdentityLink

from .data import CITIZENS

PROVIDER = "vneid"
# Cấp Phiếu lý lịch tư pháp: level 2 (as the national portal asks for it; a demo value).
LEVEL_2_PROCEDURES = ("2.000488.000.00.00.H41",)


@dataclass(frozen=True)
class DemoIdentity:
    personal_id: str
    level: int
    birth_date: str
    gender: str
    address: str
    current_address: str = ""


IDENTITIES = (
    DemoIdentity(
        CITIZENS[0].personal_id,
        2,
        "1985-03-14",
        "Nam",
        "Số 12 phố Lê Thánh Tông, phường Hồng Gai, tỉnh Quảng Ninh",
    ),
    DemoIdentity(
        CITIZENS[1].personal_id,
        1,
        "1992-07-09",
        "Nữ",
        "Thôn 3, xã Hải Hòa, tỉnh Quảng Ninh",
    ),
)


def _claims(user: User, spec: DemoIdentity) -> dict[str, str]:
    return {
        "personal_id": spec.personal_id,
        "full_name": user.get_full_name(),
        "birth_date": spec.birth_date,
        "gender": spec.gender,
        "nationality": "Việt Nam",
        "phone": user.phone,
        "email": user.email,
        "address": spec.address,
        "current_address": spec.current_address or spec.address,
    }


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
        for spec in IDENTITIES:
            user = User.objects.filter(username=spec.personal_id).first()
            if user is None or IdentityLink.objects.filter(user=user).exists():
                continue
            # Demo data standing for a past login: the identity app's login writes these rows.
            IdentityLink.objects.create(
                user=user,
                provider=PROVIDER,
                subject=f"demo-{spec.personal_id}",
                level=spec.level,
                claims=_claims(user, spec),
            )
            changed += 1
    return changed
