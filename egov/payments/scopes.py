"""Who sees which payments (one place per resource; the case type's `visible` says the same for
one locked row).

- A payment, its attempts, its receipt and its refunds: the dossier's applicant; the officials
  of the collecting agency, and those of the one-stop desk that received the dossier (the
  provincial centre receives a department's dossiers and takes their fees in cash); operators;
  an API client with `payments:read` its agency's.
- Callbacks and bank statements (the raw evidence, with other people's transfers on them): the
  collecting agency's accountants and leaders, and operators; never an applicant.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from egov.core.actors import Actor
from egov.core.scoping import scope_policy
from egov.onestop.models import DossierStep
from egov.org.models import Role

from .models import (
    Attempt,
    Callback,
    Payment,
    Receipt,
    Refund,
    StatementImport,
    StatementLine,
)

APPLICANTS = ("citizen", "business")


def payment_filter(actor: Actor, prefix: str = "") -> Q | None:
    """None: everything; otherwise the condition on Payment (under `prefix`)."""
    if actor.is_operator:
        return None
    if actor.kind in APPLICANTS and actor.user_id is not None:
        return Q(**{f"{prefix}dossier__applicant_id": actor.user_id})
    if actor.kind == "official":
        return Q(**{f"{prefix}agency_id__in": actor.agency_ids}) | Q(
            **{f"{prefix}dossier_id__in": received_at_desks(actor.agency_ids)}
        )
    if actor.kind == "api_client" and actor.has_scope("payments:read"):
        return Q(**{f"{prefix}agency_id__in": actor.agency_ids})
    return Q(pk__in=[])


def received_at_desks(agency_ids: frozenset[int] | set[int]) -> QuerySet[Any]:
    """The dossiers (ids) a one-stop desk of these agencies received (its reception step)."""
    return DossierStep.objects.filter(agency_id__in=agency_ids, role=Role.RECEIVER).values(
        "dossier_id"
    )


def _payments(actor: Actor, qs: QuerySet[Any], prefix: str) -> QuerySet[Any]:
    condition = payment_filter(actor, prefix)
    return qs if condition is None else qs.filter(condition)


scope_policy(Payment)(lambda actor, qs: _payments(actor, qs, ""))
for _model in (Attempt, Receipt, Refund):
    scope_policy(_model)(lambda actor, qs: _payments(actor, qs, "payment__"))


def may_see_evidence(actor: Actor) -> bool:
    """Callbacks and bank statements: accountants, leaders, operators."""
    if actor.is_operator:
        return True
    if actor.kind == "api_client":
        return actor.has_scope("payments:read")
    return actor.kind == "official" and bool({Role.ACCOUNTANT, Role.LEADER} & actor.roles)


def _evidence(actor: Actor, qs: QuerySet[Any], agency_field: str | None) -> QuerySet[Any]:
    if actor.is_operator:
        return qs
    if not may_see_evidence(actor):
        return qs.none()
    if agency_field is None:
        return qs.none()
    return qs.filter(**{f"{agency_field}__in": actor.agency_ids})


scope_policy(Callback)(lambda actor, qs: _evidence(actor, qs, "attempt__payment__agency_id"))
scope_policy(StatementImport)(lambda actor, qs: _evidence(actor, qs, "agency_id"))
scope_policy(StatementLine)(lambda actor, qs: _evidence(actor, qs, "agency_id"))
