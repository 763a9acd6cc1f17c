"""The meeting case type takes its roles from the meeting: an official with no part in it
does not find it; a member cannot do the secretariat's acts."""

from __future__ import annotations

import pytest

from egov.cases import perform
from egov.core.errors import NotAllowed, NotFoundError
from egov.meetings import event_types as et
from egov.meetings.cases import MEETING
from egov.meetings.models import Meeting, MeetingStatus

from .conftest import actor

pytestmark = pytest.mark.django_db


def _publish(official, meeting: Meeting) -> None:  # type: ignore[no-untyped-def]
    with perform(MEETING, "publish", actor=actor(official), case=meeting) as act:
        act.save()
        act.record(et.PUBLISHED, sequence=0, invitees=0)


def test_roles_come_from_the_meeting(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    with pytest.raises(NotFoundError):
        _publish(board.outsider, meeting)
    with pytest.raises(NotAllowed):
        _publish(board.members[0], meeting)
    _publish(board.secretariat, meeting)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PUBLISHED and meeting.version == 2
