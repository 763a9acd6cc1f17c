"""Who sees which signing identities: an official their own and their agency's; operators all."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from egov.core.actors import Actor
from egov.core.scoping import scope_policy

from .models import SigningIdentity


@scope_policy(SigningIdentity)
def identities_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    if actor.is_operator:
        return qs
    if actor.kind != "official" or actor.user_id is None:
        return qs.none()
    return qs.filter(Q(official__user_id=actor.user_id) | Q(agency_id__in=actor.agency_ids))
