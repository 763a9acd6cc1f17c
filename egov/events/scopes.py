"""Scope policy: who may read which events."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from egov.core.actors import Actor
from egov.core.scoping import scope_policy

from .models import Event


@scope_policy(Event)
def events_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    """Operators see everything; officials and agency API clients their agencies' chains;
    citizens and businesses only the events about their own account."""
    if actor.is_operator:
        return qs
    if actor.kind in ("official", "api_client"):
        # An API client with no agency is province-wide for reference data, but the event log
        # holds personal data: it sees nothing here until an operator binds it to an agency.
        if not actor.agency_ids:
            return qs.none()
        return qs.filter(agency_id__in=sorted(actor.agency_ids))
    if actor.kind in ("citizen", "business") and actor.user_id is not None:
        return qs.filter(subject_type="user", subject_id=str(actor.user_id))
    return qs.none()
