"""Who sees which documents: officials and API clients (scope documents:read) their own
agency's outgoing and incoming documents; operators all; citizens none."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from egov.core.actors import Actor
from egov.core.scoping import scope_policy

from .models import (
    Attachment,
    DocumentType,
    DocumentVersion,
    IncomingAssignment,
    IncomingDocument,
    IncomingFile,
    OutgoingDocument,
    Recipient,
    Review,
)


def _agency_ids(actor: Actor) -> frozenset[int] | None:
    """None: everything (operators); an empty set: nothing."""
    if actor.is_operator:
        return None
    if actor.kind == "official":
        return actor.agency_ids
    if actor.kind == "api_client" and actor.has_scope("documents:read"):
        return actor.agency_ids
    return frozenset()


@scope_policy(OutgoingDocument)
def outgoing_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    ids = _agency_ids(actor)
    return qs if ids is None else qs.filter(agency_id__in=ids)


@scope_policy(IncomingDocument)
def incoming_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    ids = _agency_ids(actor)
    return qs if ids is None else qs.filter(agency_id__in=ids)


def _through_outgoing(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    ids = _agency_ids(actor)
    return qs if ids is None else qs.filter(document__agency_id__in=ids)


def _through_incoming(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    ids = _agency_ids(actor)
    return qs if ids is None else qs.filter(incoming__agency_id__in=ids)


for _child in (DocumentVersion, Review, Recipient, Attachment):
    scope_policy(_child)(_through_outgoing)
for _incoming_child in (IncomingFile, IncomingAssignment):
    scope_policy(_incoming_child)(_through_incoming)


@scope_policy(DocumentType)
def types_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs  # the list of types is public reference data
