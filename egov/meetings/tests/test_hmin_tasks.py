"""Tasks of an issued conclusion notice: the assignee reports, the chair cancels, reminders two
working days ahead and when overdue (once a working day), the chair's overdue list; who may
not act."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.events.models import Event, OutboxMessage
from egov.meetings import event_types as et
from egov.meetings.models import (
    Conclusion,
    ConclusionStatus,
    Meeting,
    MeetingStatus,
    Task,
    TaskStatus,
)
from egov.meetings.services import tasks as svc

from .conftest import actor
from .test_hmin_conclusions import next_quiet_thursday

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def issued_task(board, meeting, due_at, *, agency=None, assignee=None) -> Task:  # type: ignore[no-untyped-def]
    """A task of an issued notice, straight in the database (the issue itself is tested in
    test_hmin_conclusions.py)."""
    conclusion = Conclusion.objects.filter(meeting=meeting).first() or Conclusion.objects.create(
        meeting=meeting,
        text="Kết luận",
        status=ConclusionStatus.ISSUED,
        symbol="01/TB-UBND",
        issued_at=due_at - timedelta(days=5),
    )
    return Task.objects.create(
        conclusion=conclusion,
        title="Hoàn thiện Kế hoạch chuyển đổi số",
        assignee_agency=agency or board.agency,
        assignee=assignee,
        due_days=3,
        due_at=due_at,
    )


@pytest.fixture
def meeting(board, make_meeting):  # type: ignore[no-untyped-def]
    return make_meeting(MeetingStatus.CLOSED, starts_in=timedelta(days=-1))


@pytest.fixture
def other_chair(board, make_official, meeting):  # type: ignore[no-untyped-def]
    """The chair of another meeting, who has no part in `meeting`."""
    chair = make_official(board.agency, username="chutrikhac", roles=["leader"])
    Meeting.objects.create(
        agency=board.agency,
        title="Cuộc họp khác",
        kind=Meeting.Kind.THEMATIC,
        status=MeetingStatus.CLOSED,
        chair=chair,
        created_by=board.secretariat,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        rule=meeting.rule,
    )
    return chair


def _reminders(task: Task, kind: str) -> list[Event]:
    return [
        e
        for e in Event.objects.filter(
            event_type=et.TASK_REMINDED.name, subject_id=str(task.pk)
        ).order_by("id")
        if e.payload["reminder"] == kind
    ]


def _notices(task: Task, kind: str) -> list[str]:
    return list(
        OutboxMessage.objects.filter(
            topic=OutboxMessage.Topic.MEETING_NOTICE,
            idempotency_key__startswith=f"meeting-task:{task.pk}:{kind}",
        ).values_list("idempotency_key", flat=True)
    )


def test_the_assignee_reports_and_completes(board, meeting) -> None:  # type: ignore[no-untyped-def]
    task = issued_task(
        board, meeting, timezone.now() + timedelta(days=5), assignee=board.members[2]
    )
    task = svc.report_task(actor=actor(board.members[2]), task=task, report="Đã dự thảo xong.")
    assert task.report == "Đã dự thảo xong." and task.status == TaskStatus.OPEN
    task = svc.complete_task(actor=actor(board.members[2]), task=task, report="Đã trình kế hoạch.")
    assert task.status == TaskStatus.DONE and task.done_at is not None
    events = Event.objects.filter(subject_type=et.TASK, subject_id=str(task.pk)).order_by("id")
    assert [e.event_type for e in events] == [et.TASK_REPORTED.name, et.TASK_COMPLETED.name]
    # The chair and the secretary hear that it is done.
    keys = set(
        OutboxMessage.objects.filter(topic=OutboxMessage.Topic.MEETING_NOTICE).values_list(
            "idempotency_key", flat=True
        )
    )
    assert f"meeting-task:{task.pk}:completed:{board.chair.pk}:inapp" in keys
    with pytest.raises(DomainError):  # done: no more reports
        svc.report_task(actor=actor(board.members[2]), task=task, report="Thêm")


def test_an_unnamed_task_is_reported_by_the_agency_and_refused_to_others(  # type: ignore[no-untyped-def]
    board, meeting, other_agency, make_official, other_chair
) -> None:
    department = make_official(other_agency, username="chuyenvienso")
    task = issued_task(board, meeting, timezone.now() + timedelta(days=5), agency=other_agency)
    for who, error in (
        (board.members[0], NotAllowed),  # in the meeting, not the assignee
        (board.chair, NotAllowed),
        (board.outsider, NotFoundError),
        (other_chair, NotFoundError),
    ):
        with pytest.raises(error):
            svc.complete_task(actor=actor(who), task=task, report="Giả mạo")
    with pytest.raises(DomainError) as empty:
        svc.report_task(actor=actor(department), task=task, report="  ")
    assert empty.value.code == "task_invalid"
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.report == "" and task.version == 1
    task = svc.report_task(actor=actor(department), task=task, report="Đang triển khai.")
    assert task.report == "Đang triển khai."


def test_only_the_chair_cancels(board, meeting, other_chair) -> None:  # type: ignore[no-untyped-def]
    task = issued_task(
        board, meeting, timezone.now() + timedelta(days=5), assignee=board.members[1]
    )
    for who, error in (
        (board.secretary, NotAllowed),
        (board.members[1], NotAllowed),
        (other_chair, NotFoundError),
    ):
        with pytest.raises(error):
            svc.cancel_task(actor=actor(who), task=task, reason="Không cần nữa")
    with pytest.raises(DomainError):
        svc.cancel_task(actor=actor(board.chair), task=task, reason="")
    task = svc.cancel_task(actor=actor(board.chair), task=task, reason="Đã có văn bản khác giao")
    assert task.status == TaskStatus.CANCELLED and task.cancel_reason == "Đã có văn bản khác giao"


def test_reminders_before_the_deadline_and_when_overdue(board, meeting, other_chair) -> None:  # type: ignore[no-untyped-def]
    thursday = next_quiet_thursday()
    due = datetime.combine(thursday + timedelta(days=5), time(17, 0), VN)  # the next Tuesday
    task = issued_task(board, meeting, due, assignee=board.members[3])

    def at(days: int, hour: int = 8) -> datetime:
        return datetime.combine(thursday + timedelta(days=days), time(hour, 15), VN)

    # Thursday: three working days ahead, nothing yet.
    assert svc.send_task_reminders(now=at(0)).before_due == 0
    # Friday: two working days ahead (Monday, Tuesday): one reminder, once.
    assert svc.send_task_reminders(now=at(1)).before_due == 1
    assert svc.send_task_reminders(now=at(1, 14)).before_due == 0
    assert svc.send_task_reminders(now=at(4)).before_due == 0  # Monday
    assert len(_reminders(task, "before_due")) == 1
    assert _notices(task, "before_due") == [
        f"meeting-task:{task.pk}:before_due:{board.members[3].pk}:inapp"
    ]

    # Wednesday: overdue; it shows on the chair's list with its days, not on another chair's.
    with time_machine.travel(at(6, 9), tick=False):
        listed = svc.overdue_tasks(board.chair)
        assert [(row.task.pk, row.days, row.working_days) for row in listed] == [(task.pk, 1, 1)]
        assert svc.overdue_tasks(other_chair) == []
        first = svc.send_task_reminders()
        again = svc.send_task_reminders()
    assert (first.overdue, again.overdue) == (1, 0)
    assert len(_reminders(task, "overdue")) == 1
    assert len(_notices(task, "overdue")) == 1
    # Saturday: no reminder on a day off; the next working day (Monday), one more.
    assert svc.send_task_reminders(now=at(9)).overdue == 0
    assert svc.send_task_reminders(now=at(11)).overdue == 1
    assert len(_reminders(task, "overdue")) == 2
    # A completed task is no longer overdue.
    svc.complete_task(actor=actor(board.members[3]), task=task, report="Đã xong.")
    with time_machine.travel(at(12), tick=False):
        assert svc.overdue_tasks(board.chair) == []
        assert svc.send_task_reminders().overdue == 0
