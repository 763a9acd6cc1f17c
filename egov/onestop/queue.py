"""The officials' work queue, built once for the page (views.queue) and the API (api.QueueView):
which active steps each tab holds, most urgent first, paged by core.keyset on (due_at, id)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from egov.core.keyset import keyset_page
from egov.dossiers.models import Status
from egov.org.models import Official, Role

from .models import DossierStep, StepStatus

ORDER = "due_at"


def queue_steps(tab: str, official: Official) -> QuerySet[DossierStep]:
    """Active steps with a due moment of one tab: "mine" (assigned to the official), "return"
    (results waiting at the agency's desk) or "unit" (the unit's, the agency's for a leader)."""
    qs = DossierStep.objects.filter(status=StepStatus.ACTIVE, due_at__isnull=False)
    if tab == "mine":
        return qs.filter(assignee=official)
    if tab == "return":
        return qs.filter(
            agency_id=official.agency_id, role=Role.RECEIVER, dossier__status=Status.DONE
        )
    if tab == "unit":
        qs = qs.filter(agency_id=official.agency_id)
        if not official.has_role(Role.LEADER):
            qs = qs.filter(unit=official.unit) if official.unit_id else qs.filter(unit=None)
        return qs
    raise ValueError(tab)


def queue_page(
    qs: QuerySet[Any], cursor: str, limit: int, *, strict: bool = False
) -> tuple[list[Any], str | None]:
    """One page of the queue, soonest due first, and the next page's cursor."""
    return keyset_page(qs, ORDER, cursor, limit, strict=strict)
