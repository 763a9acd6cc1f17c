"""The tasks of an issued conclusion notice, tracked to completion: the assignee (the named
official, or when nobody is named the officials of the assignee agency) reports progress and
completion; the chair of the meeting may cancel a task; reminders go out two working days
before the deadline and, once overdue, at most once a working day; the chair sees their
overdue list.

Reminders are idempotent twice over: the task row is locked and its reminder times checked
again under the lock (a second worker finds the reminder sent and sends nothing), and each
message carries a key per task and day (the outbox delivers a key once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from egov.cases import perform
from egov.core.actors import SYSTEM, Actor
from egov.core.dates import local_text
from egov.core.errors import DomainError
from egov.org.models import Official
from egov.workcalendar.services import WorkingCalendar

from .. import event_types as et
from ..cases import TASK
from ..error_codes import MeetingErrorCode
from ..models import Task, TaskStatus
from .conclusions import task_recipients, tasks_link
from .notify import notify

MAX_REPORT = 4000
BEFORE_DUE_DAYS = 2


class TaskError(DomainError):
    code = MeetingErrorCode.TASK_INVALID


def _text(value: str, field_name: str, label: str) -> str:
    text = (value or "").strip()
    if not text:
        raise TaskError(f"Nhập {label}.", fields={field_name: [f"Nhập {label}."]})
    if len(text) > MAX_REPORT:
        raise TaskError(
            f"{label.capitalize()} tối đa {MAX_REPORT} ký tự.",
            fields={field_name: [f"Tối đa {MAX_REPORT} ký tự."]},
        )
    return text


def report_task(
    *, actor: Actor, task: Task, report: str, expected_version: int | None = None
) -> Task:
    """The assignee reports progress (the latest report is kept on the task; each is in the
    log)."""
    report = _text(report, "report", "nội dung báo cáo")
    with perform(TASK, "report", actor=actor, case=task, expected_version=expected_version) as act:
        task = act.case
        task.report = report
        task.reported_at = timezone.now()
        act.save("report", "reported_at")
        act.record(et.TASK_REPORTED, report=report)
    return task


def complete_task(
    *, actor: Actor, task: Task, report: str, expected_version: int | None = None
) -> Task:
    """The assignee reports the task done, with the result; the chair and the secretary hear."""
    report = _text(report, "report", "kết quả thực hiện")
    with perform(
        TASK, "complete", actor=actor, case=task, expected_version=expected_version
    ) as act:
        task = act.case
        now = timezone.now()
        task.report = report
        task.reported_at = now
        task.done_at = now
        act.save("report", "reported_at", "done_at")
        act.record(et.TASK_COMPLETED, report=report)
        meeting = task.conclusion.meeting
        for official in {meeting.chair, meeting.secretary} - {None}:
            assert official is not None
            notify(
                act,
                official,
                key=f"meeting-task:{task.pk}:completed:{official.pk}",
                kind="task_completed",
                title=f"Nhiệm vụ đã hoàn thành: {task.title}"[:300],
                body=f"Kết quả thực hiện: {report}",
                link=tasks_link(),
                sms=False,
            )
    return task


def cancel_task(
    *, actor: Actor, task: Task, reason: str, expected_version: int | None = None
) -> Task:
    """The chair cancels a task, with the reason; the assignee hears."""
    reason = _text(reason, "reason", "lý do hủy")[:500]
    with perform(TASK, "cancel", actor=actor, case=task, expected_version=expected_version) as act:
        task = act.case
        task.cancel_reason = reason
        act.save("cancel_reason")
        act.record(et.TASK_CANCELLED, reason=reason)
        for official in task_recipients(task):
            notify(
                act,
                official,
                key=f"meeting-task:{task.pk}:cancelled:{official.pk}",
                kind="task_cancelled",
                title=f"Nhiệm vụ đã hủy: {task.title}"[:300],
                body=f"Lý do: {reason}",
                link=tasks_link(),
                sms=False,
            )
    return task


# --- reminders ----------------------------------------------------------------------------------


@dataclass
class ReminderReport:
    before_due: int = 0
    overdue: int = 0
    skipped: list[int] = field(default_factory=list)


class _NotDue(Exception):
    """Found under the lock: this reminder was sent meanwhile (or is no longer due)."""


def _due_kind(task: Task, now: datetime, calendar: WorkingCalendar) -> str | None:
    """Which reminder the task is due for now, if any."""
    if task.status != TaskStatus.OPEN or task.due_at is None:
        return None
    today = timezone.localdate(now)
    if not calendar.is_working_day(today):
        return None  # reminders go out on working days
    if task.due_at < now:
        last = task.last_reminded_at
        if last is None or timezone.localdate(last) < today:
            return "overdue"
        return None
    if task.reminded_before_at is None and (
        calendar.working_days_between(today, timezone.localdate(task.due_at)) <= BEFORE_DUE_DAYS
    ):
        return "before_due"
    return None


def _remind(task_id: int, now: datetime) -> str | None:
    with perform(TASK, "remind", actor=SYSTEM, case=task_id) as act:
        task = act.case
        calendar = WorkingCalendar.for_agency(task.assignee_agency_id)
        kind = _due_kind(task, now, calendar)
        if kind is None:
            raise _NotDue
        recipients = task_recipients(task)
        today = timezone.localdate(now)
        assert task.due_at is not None
        due = local_text(task.due_at)
        if kind == "overdue":
            task.last_reminded_at = now
            days = (today - timezone.localdate(task.due_at)).days
            title = f"Nhiệm vụ quá hạn: {task.title}"
            body = f"Nhiệm vụ đã quá hạn {max(days, 0)} ngày (hạn {due}). Vui lòng báo cáo kết quả."
            key = f"meeting-task:{task.pk}:overdue:{today.isoformat()}"
        else:
            task.reminded_before_at = now
            task.last_reminded_at = now
            title = f"Sắp đến hạn nhiệm vụ: {task.title}"
            body = f"Hạn hoàn thành: {due}. Vui lòng báo cáo tiến độ, kết quả."
            key = f"meeting-task:{task.pk}:before_due"
        for official in recipients:
            notify(
                act,
                official,
                key=f"{key}:{official.pk}",
                kind=f"task_{kind}",
                title=title[:300],
                body=body,
                link=tasks_link(),
            )
        act.save("last_reminded_at", "reminded_before_at")
        act.record(et.TASK_REMINDED, reminder=kind, recipients=len(recipients))
    return kind


def send_task_reminders(now: datetime | None = None) -> ReminderReport:
    """Two working days before the deadline (once), and every working day once overdue."""
    now = now or timezone.now()
    report = ReminderReport()
    soon = now + timedelta(days=10)  # two working days are never more than 10 days
    candidates = Task.objects.filter(status=TaskStatus.OPEN, due_at__isnull=False).filter(
        Q(due_at__lt=now) | Q(due_at__lte=soon, reminded_before_at__isnull=True)
    )
    for task in candidates:
        calendar = WorkingCalendar.for_agency(task.assignee_agency_id)
        if _due_kind(task, now, calendar) is None:
            continue
        try:
            kind = _remind(task.pk, now)
        except _NotDue:
            report.skipped.append(task.pk)
            continue
        if kind == "overdue":
            report.overdue += 1
        elif kind == "before_due":
            report.before_due += 1
    return report


# --- lists --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueTask:
    task: Task
    days: int  # calendar days past the due date (0: due earlier today)
    working_days: int


def overdue_tasks(chair: Official, now: datetime | None = None) -> list[OverdueTask]:
    """The open tasks past their deadline of the conclusions of meetings `chair` chaired, the
    longest overdue first."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rows = (
        Task.objects.filter(
            status=TaskStatus.OPEN, due_at__lt=now, conclusion__meeting__chair=chair
        )
        .select_related("conclusion__meeting", "assignee_agency", "assignee__user")
        .order_by("due_at", "id")
    )
    found: list[OverdueTask] = []
    for task in rows:
        assert task.due_at is not None
        due_day = timezone.localdate(task.due_at)
        calendar = WorkingCalendar.for_agency(task.assignee_agency_id)
        found.append(
            OverdueTask(
                task=task,
                days=(today - due_day).days,
                working_days=max(calendar.working_days_between(due_day, today), 0),
            )
        )
    return found


def assigned_to(official: Official) -> QuerySet[Task]:
    """The tasks the official reports on: named on them, or of their agency with nobody
    named."""
    return (
        Task.objects.filter(
            Q(assignee=official) | Q(assignee__isnull=True, assignee_agency_id=official.agency_id)
        )
        .select_related("conclusion__meeting", "assignee_agency", "assignee__user")
        .order_by("status", "due_at", "id")
    )
