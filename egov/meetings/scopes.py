"""Who sees which meetings and consultations.

- A meeting: its participants (chair, members, secretary, guests), delegates named by them, the
  one who created it and the secretariat of the organising agency; operators all; an API
  client with `meetings:read` the meetings of its agency. Everything under a meeting follows it.
- A material marked confidential: only the people named on it, the chair, the secretary and the
  secretariat (the organisers who attach it), never an operator or an API client; a withdrawn
  one only the organisers; a guest sees only the materials of their items.
- A consultation: its chair, members, creator and the agency's secretariat.
- Minutes and conclusion notices: the chair, the secretary and the organisers while they are
  written; the other participants (guests excepted) and API clients once signed / issued.
- Annotations: only their author. Ballots: nobody through a query (counts come from the
  service; a secret ballot is never shown with anything that could tie it to a voter).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from egov.core.actors import Actor
from egov.core.scoping import scope_policy
from egov.org.models import Official, Role

from .models import (
    AgendaItem,
    Annotation,
    Ballot,
    Conclusion,
    Consultation,
    ConsultationMember,
    Material,
    MaterialVersion,
    Meeting,
    MeetingNotice,
    Minutes,
    Participant,
    SpeakingRequest,
    Task,
    Vote,
    VoteParticipation,
)


def _official(actor: Actor) -> Official | None:
    if actor.kind != "official" or actor.user_id is None:
        return None
    return Official.objects.filter(user_id=actor.user_id).only("pk", "agency_id").first()


def meeting_filter(actor: Actor) -> Q | None:
    """None: everything; otherwise the condition on Meeting."""
    if actor.is_operator:
        return None
    if actor.kind == "api_client":
        if actor.has_scope("meetings:read"):
            return Q(agency_id__in=actor.agency_ids)
        return Q(pk__in=[])
    official = _official(actor)
    if official is None:
        return Q(pk__in=[])
    condition = (
        Q(participants__official=official)
        | Q(participants__delegate=official)
        | Q(created_by=official)
        | Q(chair=official)
        | Q(secretary=official)
    )
    if Role.SECRETARIAT in actor.roles:
        condition |= Q(agency_id__in=actor.agency_ids)
    return condition


def _meetings(actor: Actor, qs: QuerySet[Any], prefix: str) -> QuerySet[Any]:
    condition = meeting_filter(actor)
    if condition is None:
        return qs
    ids = Meeting.objects.filter(condition).values("pk")
    if not prefix:
        return qs.filter(pk__in=ids)
    return qs.filter(**{f"{prefix[:-2]}__in": ids})


@scope_policy(Meeting)
def meeting_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    return _meetings(actor, qs, "")


for _model in (Participant, AgendaItem, Vote):
    scope_policy(_model)(lambda actor, qs: _meetings(actor, qs, "meeting__"))

scope_policy(SpeakingRequest)(lambda actor, qs: _meetings(actor, qs, "item__meeting__"))
scope_policy(VoteParticipation)(lambda actor, qs: _meetings(actor, qs, "vote__meeting__"))
scope_policy(Task)(lambda actor, qs: _task_visible(actor, qs))


def _finished_record(actor: Actor, qs: QuerySet[Any], final: str) -> QuerySet[Any]:
    """Minutes and conclusions: the chair, the secretary and the organisers while they are
    written; the other participants (not guests, who see only their items) and API clients
    once they are final (signed minutes, an issued notice)."""
    qs = _meetings(actor, qs, "meeting__")
    if actor.is_operator:
        return qs
    if actor.kind == "api_client":
        return qs.filter(status=final)
    official = _official(actor)
    if official is None:
        return qs.none()
    writers = Q(meeting__chair=official) | Q(meeting__secretary=official)
    writers |= Q(meeting__created_by=official)
    if Role.SECRETARIAT in actor.roles:
        writers |= Q(meeting__agency_id__in=actor.agency_ids)
    readers = Participant.objects.filter(official=official).exclude(role=Participant.Role.GUEST)
    delegated = Participant.objects.filter(delegate=official)
    finished = Q(status=final) & (
        Q(meeting__in=readers.values("meeting")) | Q(meeting__in=delegated.values("meeting"))
    )
    return qs.filter(writers | finished)


scope_policy(Minutes)(lambda actor, qs: _finished_record(actor, qs, "signed"))
scope_policy(Conclusion)(lambda actor, qs: _finished_record(actor, qs, "issued"))


def _task_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    condition = meeting_filter(actor)
    if condition is None:
        return qs
    meetings = Meeting.objects.filter(condition).values("pk")
    official = _official(actor)
    assigned = Q(assignee=official) if official is not None else Q(pk__in=[])
    if official is not None:
        assigned |= Q(assignee__isnull=True, assignee_agency_id=official.agency_id)
    return qs.filter(Q(conclusion__meeting__in=meetings) | assigned)


@scope_policy(Material)
def material_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    """The meeting's rule, then: a confidential material only to the officials named on it and
    the organisers (creator, chair, secretary, the agency's secretariat), never to an operator or
    an API client; a withdrawn one only to the organisers; a guest only the materials of their
    items."""
    qs = _meetings(actor, qs, "meeting__")
    if actor.is_operator or actor.kind == "api_client":
        return qs.filter(confidential=False, withdrawn=False)
    official = _official(actor)
    if official is None:
        return qs.none()
    organiser = (
        Q(meeting__created_by=official)
        | Q(meeting__chair=official)
        | Q(meeting__secretary=official)
    )
    if Role.SECRETARIAT in actor.roles:
        organiser |= Q(meeting__agency_id__in=actor.agency_ids)
    guest_items = Participant.objects.filter(official=official, role=Participant.Role.GUEST).values(
        "items"
    )
    guest_meetings = Participant.objects.filter(
        official=official, role=Participant.Role.GUEST
    ).values("meeting")
    # A guest: only the materials of the items they are invited to.
    open_to_them = Q(confidential=False) & (
        ~Q(meeting__in=guest_meetings) | Q(item__in=guest_items)
    )
    named = Material.readers.through.objects.filter(official=official).values("material")
    readable = Q(withdrawn=False) & (open_to_them | Q(pk__in=named))
    return qs.filter(organiser | readable)


@scope_policy(MaterialVersion)
def material_version_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    materials = material_visible(actor, Material.objects.all()).values("pk")
    return qs.filter(material__in=materials)


@scope_policy(Annotation)
def annotation_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    official = _official(actor)
    return qs.filter(official=official) if official is not None else qs.none()


@scope_policy(Ballot)
def ballot_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs.none()


@scope_policy(MeetingNotice)
def notice_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    official = _official(actor)
    return qs.filter(official=official) if official is not None else qs.none()


def consultation_filter(actor: Actor) -> Q | None:
    if actor.is_operator:
        return None
    if actor.kind == "api_client":
        if actor.has_scope("meetings:read"):
            return Q(agency_id__in=actor.agency_ids)
        return Q(pk__in=[])
    official = _official(actor)
    if official is None:
        return Q(pk__in=[])
    condition = Q(chair=official) | Q(created_by=official) | Q(members__official=official)
    if Role.SECRETARIAT in actor.roles:
        condition |= Q(agency_id__in=actor.agency_ids)
    return condition


@scope_policy(Consultation)
def consultation_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    condition = consultation_filter(actor)
    if condition is None:
        return qs
    return qs.filter(pk__in=Consultation.objects.filter(condition).values("pk"))


@scope_policy(ConsultationMember)
def consultation_member_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    condition = consultation_filter(actor)
    if condition is None:
        return qs
    return qs.filter(consultation__in=Consultation.objects.filter(condition).values("pk"))
