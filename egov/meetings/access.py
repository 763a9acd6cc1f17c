"""Who is who in a meeting or a consultation: one place that says it, used by the case types
(cases.py: the transitions name these roles), the scopes (scopes.py) and the pages.

Meeting roles of an official:
- `organiser`: the secretariat of the organising agency (org.Role.SECRETARIAT there), the one
  who created the meeting, or its secretary;
- `chair`, `secretary`: as named on the meeting; `presiding`: either of them (runs the room);
- `participant`: anyone invited (chair, members, secretary, guests) or named as a delegate;
- `voter`: the chair and members (a delegate votes only where the rule allows: votes.py);
- `guest`: an invited guest (sees only the items they are invited to).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from egov.org.models import Official, Role

if TYPE_CHECKING:
    from .models import Consultation, Meeting, Participant

ORGANISER = "organiser"
CHAIR = "chair"
SECRETARY = "secretary"
PRESIDING = "presiding"
PARTICIPANT = "participant"
VOTER = "voter"
GUEST = "guest"
DELEGATE = "delegate"
MEMBER = "member"  # a consultation's member


def is_secretariat(official: Official, agency_id: int) -> bool:
    return official.agency_id == agency_id and official.has_role(Role.SECRETARIAT)


def participant_of(meeting: Meeting, official: Official) -> Participant | None:
    from .models import Participant

    return Participant.objects.filter(meeting=meeting, official=official).first()


def meeting_roles(official: Official | None, meeting: Meeting) -> frozenset[str]:
    if official is None:
        return frozenset()
    from .models import Participant

    roles: set[str] = set()
    if (
        meeting.created_by_id == official.pk
        or meeting.secretary_id == official.pk
        or is_secretariat(official, meeting.agency_id)
    ):
        roles.add(ORGANISER)
    if meeting.chair_id == official.pk:
        roles |= {CHAIR, PRESIDING, PARTICIPANT, VOTER}
    if meeting.secretary_id == official.pk:
        roles |= {SECRETARY, PRESIDING, PARTICIPANT}
    rows = (
        Participant.objects.filter(meeting=meeting)
        .filter(official=official)
        .values_list("role", flat=True)
    )
    for role in rows:
        roles.add(PARTICIPANT)
        if role in (Participant.Role.CHAIR, Participant.Role.MEMBER):
            roles.add(VOTER)
        if role == Participant.Role.GUEST:
            roles.add(GUEST)
    if Participant.objects.filter(meeting=meeting, delegate=official).exists():
        roles |= {PARTICIPANT, DELEGATE}
    return frozenset(roles)


def consultation_roles(official: Official | None, consultation: Consultation) -> frozenset[str]:
    if official is None:
        return frozenset()
    roles: set[str] = set()
    if consultation.created_by_id == official.pk or is_secretariat(
        official, consultation.agency_id
    ):
        roles.add(ORGANISER)
    if consultation.chair_id == official.pk:
        roles.add(CHAIR)
    if consultation.members.filter(official=official).exists():
        roles.add(MEMBER)
    return frozenset(roles)
