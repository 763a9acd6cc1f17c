"""Scope policies: who may see which accounts."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from egov.core.actors import Actor
from egov.core.scoping import scope_policy

from .models import BusinessProfile, CitizenProfile, User


@scope_policy(User)
def users_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    if actor.is_operator:
        return qs
    if actor.kind == "official":
        # Officials see colleagues of their own agency; citizens only through their dossiers.
        return qs.filter(official__agency_id__in=actor.agency_ids)
    if actor.user_id is not None and actor.kind in ("citizen", "business"):
        return qs.filter(pk=actor.user_id)
    return qs.none()


@scope_policy(CitizenProfile)
def citizens_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    if actor.is_operator:
        return qs
    if actor.user_id is not None and actor.kind == "citizen":
        return qs.filter(user_id=actor.user_id)
    return qs.none()


@scope_policy(BusinessProfile)
def businesses_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    if actor.is_operator:
        return qs
    if actor.user_id is not None and actor.kind == "business":
        return qs.filter(user_id=actor.user_id)
    return qs.none()
