"""Shared fixtures of the meetings tests: a People's Committee with its secretariat, a chair,
a secretary and members, and a meeting built straight in the database (so each area's tests
do not depend on another area's services)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from egov.core.actors import Actor, actor_for_user
from egov.meetings.models import (
    AgendaItem,
    DecisionRule,
    Meeting,
    MeetingStatus,
    Participant,
)
from egov.org.models import Agency, Official, Role


def actor(official: Official) -> Actor:
    """The actor of an official, as a request would build it."""
    return actor_for_user(official.user)


@dataclass
class Board:
    """The people of a People's Committee's meetings."""

    agency: Agency
    secretariat: Official
    chair: Official
    secretary: Official
    members: list[Official]  # the voting members besides the chair
    guest: Official
    outsider: Official  # an official of the same agency who is not invited
    meetings: list[Meeting] = field(default_factory=list)

    @property
    def voters(self) -> list[Official]:
        return [self.chair, *self.members]


@pytest.fixture
def board(agency: Agency, make_official: Callable[..., Official]) -> Board:
    def named(username: str, roles: list[str]) -> Official:
        return make_official(agency, roles=roles, username=username)

    return Board(
        agency=agency,
        secretariat=named("vanphong", [Role.SECRETARIAT, Role.CLERK]),
        chair=named("chutich", [Role.LEADER]),
        secretary=named("thuky", [Role.SPECIALIST]),
        members=[named(f"uyvien{i}", [Role.LEADER]) for i in range(1, 7)],
        guest=named("khachmoi", [Role.SPECIALIST]),
        outsider=named("nguoingoai", [Role.SPECIALIST]),
    )


@pytest.fixture
def make_meeting(board: Board) -> Callable[..., Meeting]:
    """A meeting with three agenda items, the board invited (chair, members, secretary; the
    guest to item 2), in the state asked for."""

    def make(
        status: str = MeetingStatus.DRAFT,
        *,
        starts_in: timedelta = timedelta(days=3),
        rule: str = "ubnd",
        items: int = 3,
        **overrides: Any,
    ) -> Meeting:
        start = timezone.now() + starts_in
        meeting = Meeting.objects.create(
            agency=board.agency,
            title=overrides.pop("title", "Phiên họp thường kỳ tháng 12"),
            kind=overrides.pop("kind", Meeting.Kind.REGULAR),
            status=status,
            chair=board.chair,
            secretary=board.secretary,
            created_by=board.secretariat,
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            place="Phòng họp số 1, trụ sở Ủy ban nhân dân tỉnh",
            rule=DecisionRule.objects.get(code=rule),
            published_at=timezone.now() if status != MeetingStatus.DRAFT else None,
            **overrides,
        )
        agenda = [
            AgendaItem.objects.create(
                meeting=meeting,
                position=i,
                title=f"Nội dung {i}",
                presenter=board.members[i - 1] if i <= len(board.members) else None,
                duration_minutes=30,
            )
            for i in range(1, items + 1)
        ]
        Participant.objects.create(meeting=meeting, official=board.chair, role="chair")
        Participant.objects.create(meeting=meeting, official=board.secretary, role="secretary")
        for member in board.members:
            Participant.objects.create(meeting=meeting, official=member, role="member")
        guest = Participant.objects.create(meeting=meeting, official=board.guest, role="guest")
        if len(agenda) >= 2:
            guest.items.add(agenda[1])
        board.meetings.append(meeting)
        return meeting

    return make


@pytest.fixture
def window(page: Any) -> Any:
    """`window(username)`: a browser window of its own (its own cookies) for one person of a
    flow with several people, logged in through the real form when a username is given. The
    windows are closed at the end, and any console error they met fails the test (as for
    `page`)."""
    from .browser_support import login, new_window

    opened: list[tuple[Any, list[str]]] = []

    def open_window(username: str | None = None, **context_options: Any) -> Any:
        other, errors = new_window(page, **context_options)
        opened.append((other, errors))
        if username:
            login(other, username)
        return other

    yield open_window
    for other, _ in opened:
        other.context.close()
    errors = [e for _, found in opened for e in found]
    assert not errors, errors
