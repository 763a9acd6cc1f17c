"""Who sees which dossiers: applicants their own; officials their agency's, those transferred
to it for a step that has started and, at a centre, those waiting for its desk; operators all;
API clients the same as their agency's officials.

This is the one rule: the pages, the API, file downloads, the control sheet and the one-stop
engine (onestop.services checks every action against it) all ask `visible_to`."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from egov.core.actors import Actor
from egov.core.scoping import scope_policy

from .models import Dossier, DossierFile


@scope_policy(Dossier)
def dossiers_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    if actor.is_operator:
        return qs
    if actor.kind in ("citizen", "business") and actor.user_id is not None:
        return qs.filter(applicant_id=actor.user_id)
    if actor.kind in ("official", "api_client") and actor.agency_ids:
        if actor.kind == "api_client" and not actor.has_scope("dossiers:read"):
            return qs.none()
        # The receiving agency's dossiers, and those transferred to it for a step (liên thông)
        # once that step has started (started_at is set when a step becomes active and kept
        # when it ends). An agency further down the chain sees nothing before its turn: the
        # process definition shares nothing ahead of a step. Having worked on it, it keeps
        # seeing the dossier (its own part of the record).
        from egov.onestop.models import DossierStep

        transferred = DossierStep.objects.filter(
            agency_id__in=actor.agency_ids, started_at__isnull=False
        ).values("dossier_id")
        seen = Q(agency_id__in=actor.agency_ids) | Q(pk__in=transferred)
        # The provincial public administrative service centre receives the departments'
        # procedures it is named for (catalog.ReceptionDesk): it sees their dossiers before
        # their process starts (no step yet); from then on its desk steps keep them visible.
        from egov.catalog.models import ReceptionDesk

        desks = ReceptionDesk.objects.filter(desk_agency_id__in=actor.agency_ids)
        if desks.exists():
            seen |= Q(
                Exists(
                    desks.filter(
                        procedure_id=OuterRef("procedure_id"), agency_id=OuterRef("agency_id")
                    )
                ),
                ~Exists(DossierStep.objects.filter(dossier_id=OuterRef("pk"))),
            )
        return qs.filter(seen)
    return qs.none()


@scope_policy(DossierFile)
def files_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    visible = dossiers_visible(actor, Dossier.objects.all())
    return qs.filter(dossier__in=visible.values("pk"))
