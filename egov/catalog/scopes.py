"""Scope policies: the published catalogue is public; drafts only for operators."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from egov.core.actors import Actor
from egov.core.scoping import scope_policy

from .models import DossierComponent, Fee, Procedure, ProcessStep, ProcessVersion, Sector


def _sees_drafts(actor: Actor) -> bool:
    """Officials also see the parts of unpublished procedures: their dossiers may use them."""
    return actor.is_operator or actor.kind == "official"


@scope_policy(Procedure)
def procedures_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    if actor.is_operator:
        return qs
    return qs.filter(is_published=True)


@scope_policy(Sector)
def sectors_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs


@scope_policy(DossierComponent)
def components_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs if _sees_drafts(actor) else qs.filter(procedure__is_published=True)


@scope_policy(Fee)
def fees_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs if _sees_drafts(actor) else qs.filter(procedure__is_published=True)


@scope_policy(ProcessVersion)
def process_versions_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs if _sees_drafts(actor) else qs.filter(procedure__is_published=True)


@scope_policy(ProcessStep)
def process_steps_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs if _sees_drafts(actor) else qs.filter(version__procedure__is_published=True)
