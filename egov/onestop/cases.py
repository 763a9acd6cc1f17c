"""The dossier as a case of the case kernel (egov.cases): its row, its table (workflow.py) and
what every one of its events carries. Every dossier action runs as `perform(DOSSIER, ...)` in
services.py, the citizen's supplement answer included.
"""

from __future__ import annotations

from typing import Any

from egov.cases import Action, CaseType, Transition
from egov.core.actors import Actor
from egov.core.errors import Conflict
from egov.core.scoping import visible_to
from egov.dossiers.error_codes import DossierErrorCode
from egov.dossiers.event_types import SUBJECT
from egov.dossiers.models import Dossier
from egov.org.models import Official

from .workflow import TRANSITIONS


class DossierCase(CaseType[Dossier]):
    def event_payload(self, act: Action[Dossier]) -> dict[str, Any]:
        """Who acted (the official, their agency and unit) and the status after the action."""
        payload: dict[str, Any] = {}
        official = act.official
        if official is not None:
            payload["official"] = official.user.get_full_name()
            payload["agency_name"] = official.agency.name
            if official.unit_id:
                payload["unit_name"] = official.unit.name if official.unit else ""
        payload["status"] = act.case.status
        return payload

    def visible(self, actor: Actor, case: Dossier) -> bool:
        """The one scope policy (dossiers.scopes): a dossier the actor may not see — another
        agency's, or one whose step at the actor's agency has not started — is not found."""
        return visible_to(actor, Dossier.objects.filter(pk=case.pk)).exists()

    def check(self, transition: Transition, case: Dossier, official: Official | None) -> None:
        if transition.action == "supplement_provided" and case.status not in transition.sources:
            # What the applicant has always been told (and the code the portal API answers).
            raise Conflict(
                "Hồ sơ không ở trạng thái chờ bổ sung.", code=DossierErrorCode.INVALID_STATE
            )
        super().check(transition, case, official)


DOSSIER = DossierCase(
    name="dossier",
    model=Dossier,
    transitions=TRANSITIONS.values(),
    key="code",
    related=("procedure", "agency", "process_version"),
    noun="hồ sơ",
    subject_type=SUBJECT,
)


def event_agency_id(act: Action[Dossier]) -> int:
    """The chain an official's event goes on: the acting official's agency (liên thông: the
    agency holding the step), else the receiving agency."""
    return act.official.agency_id if act.official is not None else act.case.agency_id
