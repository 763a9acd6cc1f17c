"""Helpers of the votes tests: the organising agency's seal (a demo CA generated once per
session), a meeting in session with a vote on its first item, and a snapshot of what a refused
ballot must leave unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from egov.core.actors import SYSTEM
from egov.events.models import Event
from egov.meetings.models import Ballot, Meeting, MeetingStatus, Vote, VoteParticipation
from egov.meetings.services import votes as services
from egov.org.models import Official
from egov.signing import services as signing

from .conftest import Board, actor


@pytest.fixture(scope="session")
def seal_hierarchy() -> signing.DemoHierarchy:
    return signing.make_demo_hierarchy()


@pytest.fixture
def seal(board: Board, seal_hierarchy: signing.DemoHierarchy) -> Any:
    """The organising agency's organisation certificate (and the demo CA trusted)."""
    signing.ensure_demo_ca(actor=SYSTEM, hierarchy=seal_hierarchy)
    return signing.identity_for_agency(board.agency)


def new_vote(
    board: Board,
    meeting: Meeting,
    *,
    kind: str = Vote.Kind.OPEN,
    choices: str = Vote.Choices.FOR_AGAINST,
    options: tuple[str, ...] = (),
    question: str = "Thông qua dự thảo Kế hoạch chuyển đổi số năm 2026",
    open_it: bool = True,
) -> Vote:
    item = meeting.items.order_by("position").first()
    assert item is not None
    vote = services.create_vote(
        actor=actor(board.chair),
        item=item,
        question=question,
        kind=kind,
        choices=choices,
        options=options,
    )
    if open_it:
        vote = services.open_vote(actor=actor(board.chair), vote=vote)
    return vote


def in_session(make_meeting: Any, **kwargs: Any) -> Meeting:
    meeting: Meeting = make_meeting(MeetingStatus.IN_SESSION, **kwargs)
    return meeting


def cast(official: Official, vote: Vote, choice: str, **kwargs: Any) -> str:
    return services.cast_ballot(actor=actor(official), vote=vote, choice=choice, **kwargs)


@dataclass(frozen=True)
class Snapshot:
    ballots: int
    participations: int
    events: int
    vote_version: int
    vote_status: str


def snapshot(vote: Vote) -> Snapshot:
    vote.refresh_from_db()
    return Snapshot(
        ballots=Ballot.objects.count(),
        participations=VoteParticipation.objects.count(),
        events=Event.objects.count(),
        vote_version=vote.version,
        vote_status=vote.status,
    )
