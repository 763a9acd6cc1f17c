"""Who sees which figures: operators every agency; a leader their agency and every agency below
it; an API client with the `stats:read` scope its agency and those below. Nobody else."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from egov.core.actors import Actor
from egov.core.errors import NotAllowed
from egov.core.scoping import scope_policy

from .models import (
    AgencyDailyFact,
    AgencyMonthlyFact,
    DailyFact,
    DossierDelta,
    MonthlyFact,
    OpenDaily,
    OpenDossier,
    OpenLedger,
    OrderStepDaily,
    OrderStepMonthly,
    ProcedureStepDaily,
    ProcedureStepMonthly,
    StepDaily,
    StepDelta,
    StepMonthly,
    UnitStepDaily,
    UnitStepMonthly,
)
from .tree import agency_tree

LEADER = "leader"
OPERATOR = "operator"


def is_all_seeing(actor: Actor) -> bool:
    return actor.is_operator or (actor.kind == "official" and actor.has_role(OPERATOR))


def may_view_dashboard(actor: Actor) -> bool:
    if is_all_seeing(actor):
        return True
    if actor.kind == "official":
        return actor.has_role(LEADER) and bool(actor.agency_ids)
    if actor.kind == "api_client":
        return actor.has_scope("stats:read") and bool(actor.agency_ids)
    return False


def agency_scope(actor: Actor) -> frozenset[int] | None:
    """The agencies whose figures the actor may see; None means all of them."""
    if is_all_seeing(actor):
        return None
    if not may_view_dashboard(actor):
        raise NotAllowed("Chỉ lãnh đạo cơ quan và quản trị hệ thống được xem số liệu điều hành.")
    tree = agency_tree()
    visible: set[int] = set()
    for agency_id in actor.agency_ids:
        visible |= tree.subtree(agency_id) or {agency_id}
    return frozenset(visible)


def _by_agency(field: str) -> Any:
    def policy(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
        if is_all_seeing(actor):
            return qs
        if not may_view_dashboard(actor):
            return qs.none()
        scope = agency_scope(actor)
        return qs if scope is None else qs.filter(**{f"{field}__in": scope})

    return policy


SCOPED_MODELS: tuple[type[Any], ...] = (
    DailyFact,
    MonthlyFact,
    AgencyDailyFact,
    AgencyMonthlyFact,
    DossierDelta,
    OpenDaily,
    OpenLedger,
    OpenDossier,
    StepDaily,
    StepMonthly,
    StepDelta,
    UnitStepDaily,
    UnitStepMonthly,
    OrderStepDaily,
    OrderStepMonthly,
)
for _model in SCOPED_MODELS:
    scope_policy(_model)(_by_agency("agency_id"))


def _province_wide(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    """Tables summed over every agency: only for those who may see every agency."""
    return qs if is_all_seeing(actor) else qs.none()


for _model in (ProcedureStepDaily, ProcedureStepMonthly):
    scope_policy(_model)(_province_wide)
