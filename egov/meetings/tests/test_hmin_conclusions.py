"""The conclusion notice: written after the meeting, submitted by the secretary to the documents
app (a TB draft for the chair), approved and signed by the chair, issued with a number by the
clerk; then the conclusion is ISSUED with that number and its tasks run in working days from
the issue date (across a weekend). A failed listener is caught up by the reconciler."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.documents import services as documents
from egov.documents.models import OutgoingStatus, Recipient
from egov.events.models import Event
from egov.meetings import event_types as et
from egov.meetings.models import (
    Conclusion,
    ConclusionStatus,
    Meeting,
    MeetingStatus,
    Task,
    TaskStatus,
)
from egov.meetings.services import conclusions as svc
from egov.meetings.services.conclusions import TaskInput
from egov.workcalendar.services import WorkingCalendar

from .conftest import actor
from .hmin_helpers import certify, code_for, held_meeting, pdftotext

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def meeting(board, make_meeting, make_official):  # type: ignore[no-untyped-def]
    return held_meeting(board, make_meeting, make_official(board.agency, username="duthay"))


@pytest.fixture
def department_official(other_agency, make_official):  # type: ignore[no-untyped-def]
    return make_official(other_agency, username="giamdocso")


def _tasks(board, other_agency, department_official) -> list[TaskInput]:  # type: ignore[no-untyped-def]
    return [
        TaskInput(
            title="Hoàn thiện Kế hoạch chuyển đổi số năm 2027, trình Ủy ban nhân dân tỉnh",
            agency=other_agency,
            assignee=department_official,
            due_days=3,
        ),
        TaskInput(
            title="Tổng hợp ý kiến các sở, ngành",
            agency=board.agency,
            assignee=board.members[0],
            due_days=5,
        ),
    ]


TEXT = "Thống nhất thông qua Kế hoạch chuyển đổi số năm 2027.\nGiao các cơ quan triển khai."


def next_quiet_thursday() -> date:
    """A Thursday at least a week ahead whose next six working days have no holiday (the due
    dates below then cross exactly one weekend)."""
    calendar = WorkingCalendar.for_agency(None)
    day = timezone.localdate() + timedelta(days=7)
    while True:
        day += timedelta(days=(3 - day.weekday()) % 7)
        span = [day + timedelta(days=n) for n in range(8)]
        if all(calendar.is_working_day(d) == (d.weekday() < 5) for d in span):
            return day
        day += timedelta(days=1)


def issue_through_documents(conclusion: Conclusion, board, at: datetime) -> Conclusion:  # type: ignore[no-untyped-def]
    """What the documents app's own pages do: the chair approves and signs, the clerk issues
    (at `at`)."""
    document = conclusion.document
    assert document is not None
    documents.review(
        actor=actor(board.chair), document=document, decision="approve", comment="Đồng ý."
    )
    document.refresh_from_db()
    documents.sign(actor=actor(board.chair), document=document, second_factor=code_for(board.chair))
    document.refresh_from_db()
    with time_machine.travel(at, tick=True):
        documents.issue(actor=actor(board.secretariat), document=document)
    conclusion.refresh_from_db()
    return conclusion


def test_the_notice_goes_through_documents_and_its_tasks_run_in_working_days(
    board, meeting, other_agency, department_official
) -> None:  # type: ignore[no-untyped-def]
    certify()
    conclusion = svc.draft_conclusion(
        actor=actor(board.chair),
        meeting=meeting,
        text=TEXT,
        tasks=_tasks(board, other_agency, department_official),
    )
    assert conclusion.status == ConclusionStatus.DRAFT and len(conclusion.planned_tasks) == 2
    assert not Task.objects.exists()  # tasks start when the notice is issued

    conclusion = svc.submit_conclusion(actor=actor(board.secretary), conclusion=conclusion)
    assert conclusion.status == ConclusionStatus.SUBMITTED
    document = conclusion.document
    assert document is not None
    assert document.doc_type.code == "thong-bao" and document.status == OutgoingStatus.IN_REVIEW
    assert document.drafted_by == board.secretary and document.current_reviewer == board.chair
    assert document.subject == f"Kết luận của Chủ tịch {board.chair.user.get_full_name()} tại " + (
        meeting.title
    )
    assert "Thống nhất thông qua Kế hoạch chuyển đổi số năm 2027." in document.content
    assert "Thời hạn hoàn thành: 3 ngày làm việc kể từ ngày ban hành" in document.content
    assert [r.name for r in document.recipients.filter(kind=Recipient.Kind.PLATFORM)] == [
        other_agency.name
    ]

    thursday = next_quiet_thursday()
    issued_at = datetime.combine(thursday, time(10, 0), VN)
    conclusion = issue_through_documents(conclusion, board, issued_at)
    document.refresh_from_db()
    year = thursday.year
    assert document.symbol == "01/TB-UBND" and document.number_year == year
    assert conclusion.status == ConclusionStatus.ISSUED
    assert conclusion.symbol == "01/TB-UBND"
    assert "Số: 01/TB-UBND" in pdftotext(_read(document))

    tasks = list(Task.objects.filter(conclusion=conclusion).order_by("id"))
    assert [t.status for t in tasks] == [TaskStatus.OPEN, TaskStatus.OPEN]
    # Thursday + 3 working days: Friday, Monday, Tuesday (the weekend is skipped), 17:00.
    assert timezone.localtime(tasks[0].due_at) == datetime.combine(
        thursday + timedelta(days=5), time(17, 0), VN
    )
    # + 5: Friday, Monday to Thursday.
    assert timezone.localtime(tasks[1].due_at) == datetime.combine(
        thursday + timedelta(days=7), time(17, 0), VN
    )
    assert tasks[0].assignee == department_official and tasks[0].assignee_agency == other_agency
    assigned = Event.objects.filter(event_type=et.TASK_ASSIGNED.name).order_by("id")
    assert [e.payload["due_days"] for e in assigned] == [3, 5]
    issued = Event.objects.get(event_type=et.CONCLUSION_ISSUED.name)
    assert issued.payload["symbol"] == "01/TB-UBND"


def _read(document) -> bytes:  # type: ignore[no-untyped-def]
    version = document.current_version
    with version.file.open("rb") as handle:
        return bytes(handle.read())


def test_a_failed_listener_is_caught_up_by_the_reconciler(
    board, meeting, other_agency, department_official, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from egov.documents import listeners

    certify()
    conclusion = svc.draft_conclusion(
        actor=actor(board.secretary),
        meeting=meeting,
        text=TEXT,
        tasks=_tasks(board, other_agency, department_official),
    )
    conclusion = svc.submit_conclusion(actor=actor(board.secretary), conclusion=conclusion)
    monkeypatch.setattr(listeners, "_issued", [])  # the listener did not run
    conclusion = issue_through_documents(conclusion, board, timezone.now() + timedelta(minutes=1))
    assert conclusion.status == ConclusionStatus.SUBMITTED and not Task.objects.exists()
    assert svc.reconcile_issued() == 1
    conclusion.refresh_from_db()
    assert conclusion.status == ConclusionStatus.ISSUED and conclusion.symbol == "01/TB-UBND"
    assert Task.objects.filter(conclusion=conclusion).count() == 2
    assert svc.reconcile_issued() == 0  # idempotent


def test_bad_input_is_refused_and_changes_nothing(board, meeting, other_agency) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as bad:
        svc.draft_conclusion(
            actor=actor(board.chair),
            meeting=meeting,
            text="",
            tasks=[
                TaskInput(title="", agency=other_agency, due_days=0),
                # a named official of another agency than the one given the task
                TaskInput(title="Việc", agency=other_agency, due_days=3, assignee=board.members[0]),
            ],
        )
    assert bad.value.code == "conclusion_invalid"
    assert set(bad.value.fields) == {"text", "tasks.1", "tasks.2"}
    assert not Conclusion.objects.exists()


def test_who_may_write_and_submit(board, meeting, make_official, other_agency) -> None:  # type: ignore[no-untyped-def]
    # Another meeting's chair, not in this one.
    other_chair = make_official(board.agency, username="chutrikhac", roles=["leader"])
    Meeting.objects.create(
        agency=board.agency,
        title="Cuộc họp khác",
        kind=Meeting.Kind.THEMATIC,
        status=MeetingStatus.CLOSED,
        chair=other_chair,
        created_by=board.secretariat,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        rule=meeting.rule,
    )
    tasks = [TaskInput(title="Việc", agency=other_agency, due_days=3)]
    for who, error in (
        (board.outsider, NotFoundError),
        (other_chair, NotFoundError),
        (board.members[0], NotAllowed),
        (board.guest, NotAllowed),
    ):
        with pytest.raises(error):
            svc.draft_conclusion(actor=actor(who), meeting=meeting, text=TEXT, tasks=tasks)
    assert not Conclusion.objects.exists()
    conclusion = svc.draft_conclusion(
        actor=actor(board.secretary), meeting=meeting, text=TEXT, tasks=tasks
    )
    # The chair approves and signs in documents: the secretary submits.
    for who, error in (
        (board.chair, NotAllowed),
        (other_chair, NotFoundError),
        (board.members[0], NotAllowed),
    ):
        with pytest.raises(error):
            svc.submit_conclusion(actor=actor(who), conclusion=conclusion)
    conclusion.refresh_from_db()
    assert conclusion.status == ConclusionStatus.DRAFT and conclusion.document is None
    from egov.documents.models import OutgoingDocument

    assert not OutgoingDocument.objects.exists()


def test_a_conclusion_waits_for_the_meeting_to_close(board, make_meeting, other_agency) -> None:  # type: ignore[no-untyped-def]
    running = make_meeting(MeetingStatus.IN_SESSION, starts_in=timedelta(minutes=-30))
    with pytest.raises(DomainError, match="bế mạc"):
        svc.draft_conclusion(
            actor=actor(board.chair),
            meeting=running,
            text=TEXT,
            tasks=[TaskInput(title="Việc", agency=other_agency, due_days=3)],
        )
    assert not Conclusion.objects.exists()
