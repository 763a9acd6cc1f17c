"""Scope policies: an agency sees its own packages and statuses; endpoints are for operators."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from egov.core.actors import Actor
from egov.core.scoping import scope_policy

from .models import ExternalEndpoint, IncomingPackage, OutgoingPackage, StatusRecord


def _agency_scoped(actor: Actor, qs: QuerySet[Any], field: str) -> QuerySet[Any]:
    if actor.is_operator:
        return qs
    if actor.kind in ("official", "api_client") and actor.agency_ids:
        return qs.filter(**{f"{field}__in": sorted(actor.agency_ids)})
    return qs.none()


@scope_policy(OutgoingPackage)
def outgoing_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    return _agency_scoped(actor, qs, "sender_agency_id")


@scope_policy(IncomingPackage)
def incoming_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    return _agency_scoped(actor, qs, "recipient_agency_id")


@scope_policy(StatusRecord)
def statuses_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    return _agency_scoped(actor, qs, "agency_id")


@scope_policy(ExternalEndpoint)
def endpoints_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs if actor.is_operator else qs.none()
