"""Near-due and overdue reminders for active steps, with escalation (run by tasks.py).

Levels, each sent once per step (the `dossier.reminder_sent` event is the record; the outbox key
`reminder:<step id>:<level>` makes the e-mail itself idempotent):

- ``near_due``: near due by the one rule of ``workcalendar.deadlines`` (by default within one
  working day) → the assignee (the unit head when unassigned);
- ``overdue``: past its due time → the assignee and the unit head;
- ``escalated``: overdue by more than one working day → also the agency's leaders.

Steps of a dossier waiting for the applicant's supplement are skipped: their clock is stopped
and their due time moves when the applicant answers.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from egov.core.actors import SYSTEM
from egov.dossiers import event_types as E
from egov.dossiers.models import Status
from egov.events.models import Event
from egov.events.services import enqueue, record_event
from egov.org.models import Agency, OfficialRole, Role
from egov.workcalendar import deadlines
from egov.workcalendar.services import WorkingCalendar

from .models import DossierStep, StepStatus

logger = logging.getLogger("egov.onestop.reminders")

NEAR_DUE = deadlines.NEAR_DUE
OVERDUE = deadlines.OVERDUE
ESCALATED = "escalated"
ON_TIME = deadlines.ON_TIME
EVENT_TYPE = E.REMINDER_SENT.name

LEVEL_LABELS = {
    NEAR_DUE: "Sắp đến hạn xử lý",
    OVERDUE: "Quá hạn xử lý",
    ESCALATED: "Quá hạn hơn 1 ngày làm việc",
}


def urgency(due_at: datetime | None, now: datetime, calendar: WorkingCalendar) -> str:
    """on_time, near_due or overdue by the platform's one deadline rule (workcalendar.deadlines),
    or escalated: overdue by more than one working day of the agency's calendar."""
    state = deadlines.deadline_state(due_at, now, calendar)
    if state is None:
        return ON_TIME
    if state == deadlines.OVERDUE:
        assert due_at is not None
        return ESCALATED if _escalated(due_at, now, calendar) else OVERDUE
    return state


def urgencies(
    dues: Sequence[datetime | None], now: datetime, calendar: WorkingCalendar
) -> list[str]:
    """urgency() of each moment of a page, with a few walks of the calendar rather than one or
    two per row: the near-due bound is computed once (deadlines.near_due_before, the same rule),
    and "overdue by more than a working day" holds for every moment up to some boundary (the
    earlier the due moment, the more working time since), found by bisection."""
    near = deadlines.near_due_before(now, calendar)
    late = sorted({due for due in dues if due is not None and due < now})
    lo, hi = 0, len(late)  # late[:lo] escalated, late[hi:] not
    while lo < hi:
        mid = (lo + hi) // 2
        if _escalated(late[mid], now, calendar):
            lo = mid + 1
        else:
            hi = mid
    last_escalated = late[lo - 1] if lo else None
    out = []
    for due in dues:
        if due is None or due >= near:
            out.append(ON_TIME)
        elif due >= now:
            out.append(NEAR_DUE)
        elif last_escalated is not None and due <= last_escalated:
            out.append(ESCALATED)
        else:
            out.append(OVERDUE)
    return out


def _escalated(due_at: datetime, now: datetime, calendar: WorkingCalendar) -> bool:
    day = calendar.day_length
    return calendar.working_time_between(due_at, now, cap=day + TICK) > day


TICK = timedelta(microseconds=1)  # a cap just past the threshold keeps the comparison exact


@dataclass
class ReminderReport:
    checked: int = 0
    sent: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    skipped_day_off: bool = False

    @property
    def total(self) -> int:
        return sum(self.sent.values())


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    role: str  # "assignee", "unit_head", "leader"


def _levels(state: str) -> list[str]:
    if state == NEAR_DUE:
        return [NEAR_DUE]
    if state == OVERDUE:
        return [OVERDUE]
    if state == ESCALATED:
        return [OVERDUE, ESCALATED]
    return []


def _already_sent(codes: list[str]) -> set[tuple[int, str]]:
    """(step id, level) of reminders already recorded for these dossiers: one indexed query per
    500 dossiers on (subject_type, subject_id)."""
    sent: set[tuple[int, str]] = set()
    for i in range(0, len(codes), 500):
        payloads = Event.objects.filter(
            subject_type="dossier", subject_id__in=codes[i : i + 500], event_type=EVENT_TYPE
        ).values_list("payload", flat=True)
        for payload in payloads:
            reminder = E.REMINDER_SENT.read(payload)
            sent.add((reminder.step_id, reminder.level))
    return sent


class _Directory:
    """Unit heads and leaders of the agencies concerned, loaded in one query."""

    def __init__(self, agency_ids: set[int]) -> None:
        self.heads: dict[tuple[int, int | None], list[Recipient]] = defaultdict(list)
        self.leaders: dict[int, list[Recipient]] = defaultdict(list)
        rows = OfficialRole.objects.filter(
            role__in=[Role.UNIT_HEAD, Role.LEADER],
            official__agency_id__in=agency_ids,
            official__user__is_active=True,
        ).select_related("official__user")
        for row in rows.order_by("official_id"):
            official = row.official
            person = Recipient(
                official.user.get_full_name() or official.user.username,
                official.user.email,
                row.role,
            )
            if row.role == Role.LEADER:
                self.leaders[official.agency_id].append(person)
            else:
                self.heads[(official.agency_id, official.unit_id)].append(person)

    def unit_heads(self, step: DossierStep) -> list[Recipient]:
        heads = self.heads.get((step.agency_id, step.unit_id), []) if step.unit_id else []
        # A step with no unit, or a unit with no head: the agency's leaders answer for it.
        return heads or self.leaders.get(step.agency_id, [])

    def agency_leaders(self, step: DossierStep) -> list[Recipient]:
        return self.leaders.get(step.agency_id, [])


def _recipients(step: DossierStep, level: str, directory: _Directory) -> list[Recipient]:
    assignee = []
    if step.assignee is not None:
        user = step.assignee.user
        assignee = [Recipient(user.get_full_name() or user.username, user.email, "assignee")]
    if level == NEAR_DUE:
        return assignee or directory.unit_heads(step)
    if level == OVERDUE:
        return _unique(assignee + directory.unit_heads(step))
    return directory.agency_leaders(step)


def _unique(people: list[Recipient]) -> list[Recipient]:
    seen: set[tuple[str, str]] = set()
    result = []
    for p in people:
        if (p.name, p.email) not in seen:
            seen.add((p.name, p.email))
            result.append(p)
    return result


def _message(step: DossierStep, level: str) -> tuple[str, str]:
    dossier = step.dossier
    due = timezone.localtime(step.due_at) if step.due_at else None
    subject = {
        NEAR_DUE: f"[Nhắc hạn] Hồ sơ {dossier.code} sắp đến hạn xử lý",
        OVERDUE: f"[Quá hạn] Hồ sơ {dossier.code} đã quá hạn xử lý",
        ESCALATED: f"[Báo cáo lãnh đạo] Hồ sơ {dossier.code} quá hạn hơn 1 ngày làm việc",
    }[level]
    holder = step.assignee.user.get_full_name() if step.assignee else "chưa phân công"
    lines = [
        f"Hồ sơ: {dossier.code}",
        f"Thủ tục: {dossier.procedure.name}",
        f"Chủ hồ sơ: {dossier.applicant_name}",
        f"Bước xử lý: {step.order}. {step.name}",
        f"Đơn vị: {step.unit.name if step.unit else step.agency.name}",
        f"Người xử lý: {holder}",
        f"Hạn xử lý bước: {due:%H:%M ngày %d/%m/%Y}" if due else "Hạn xử lý bước: —",
    ]
    if dossier.appointment_at:
        lines.append(f"Ngày hẹn trả kết quả: {timezone.localtime(dossier.appointment_at):%d/%m/%Y}")
    if dossier.promised_at:  # form 04: promised to the applicant, on time still by the above
        lines.append(
            f"Ngày hẹn lại (phiếu xin lỗi): {timezone.localtime(dossier.promised_at):%d/%m/%Y}"
        )
    lines.append("")
    lines.append(
        {
            NEAR_DUE: "Đề nghị hoàn thành bước xử lý trước hạn.",
            OVERDUE: "Bước xử lý đã quá hạn. Đề nghị xử lý ngay hoặc lập phiếu xin lỗi và hẹn "
            "lại ngày trả kết quả.",
            ESCALATED: "Bước xử lý đã quá hạn hơn 1 ngày làm việc, đề nghị lãnh đạo chỉ đạo "
            "giải quyết.",
        }[level]
    )
    return subject, "\n".join(lines)


def _send(step_id: int, level: str, directory: _Directory) -> bool:
    """One reminder, in its own transaction, on the locked step: sent at most once."""
    with transaction.atomic():
        step = (
            DossierStep.objects.select_for_update(of=("self",))
            .select_related("dossier__procedure", "agency", "unit", "assignee__user")
            .filter(pk=step_id, status=StepStatus.ACTIVE)
            .first()
        )
        if step is None:
            return False
        already = Event.objects.filter(
            subject_type="dossier",
            subject_id=step.dossier.code,
            event_type=EVENT_TYPE,
            payload__step_id=step.pk,
            payload__level=level,
        ).exists()
        if already:
            return False
        people = _recipients(step, level, directory)
        emails = sorted({p.email for p in people if p.email})
        if emails:
            subject, body = _message(step, level)
            enqueue(
                "email",
                {"to": emails, "subject": subject, "body": body},
                idempotency_key=f"reminder:{step.pk}:{level}",
            )
        record_event(
            actor=SYSTEM,
            event_type=EVENT_TYPE,
            subject_type="dossier",
            subject_id=step.dossier.code,
            agency_id=step.agency_id,
            payload={
                "level": level,
                "level_label": LEVEL_LABELS[level],
                "step_id": step.pk,
                "step": step.order,
                "step_name": step.name,
                "due_at": step.due_at,
                "recipients": [{"name": p.name, "role": p.role} for p in people],
                "emailed": len(emails),
            },
        )
    return True


def due_steps(horizon: datetime) -> QuerySet[DossierStep]:
    """Active steps due before `horizon`, most urgent first.

    The agency ids are listed so PostgreSQL reads the (agency, status, due_at) index
    (`agency_id = ANY(...) AND status = 'active' AND due_at < horizon`) instead of scanning
    every finished step whose due time is also in the past."""
    agency_ids = list(Agency.objects.order_by("pk").values_list("pk", flat=True))
    return (
        DossierStep.objects.filter(
            agency_id__in=agency_ids, status=StepStatus.ACTIVE, due_at__lt=horizon
        )
        .exclude(dossier__status=Status.SUPPLEMENT_REQUESTED)
        .select_related("dossier")
        .only("id", "agency_id", "unit_id", "due_at", "dossier__code", "dossier__status")
        .order_by("due_at", "id")
    )


def send_due_reminders(*, now: datetime | None = None) -> ReminderReport:
    """Remind and escalate for every active step near due or overdue.

    One indexed query over active steps with `due_at` before the horizon (near due by the
    province calendar), then each agency's own calendar decides precisely. An
    agency with extra days off of its own may be reminded a little later than exact."""
    now = now or timezone.now()
    report = ReminderReport()
    province = WorkingCalendar.for_agency(None)
    if not province.is_working_day(timezone.localdate(now)):
        report.skipped_day_off = True
        return report
    horizon = deadlines.near_due_before(now, province)
    steps = list(due_steps(horizon))
    report.checked = len(steps)
    if not steps:
        return report
    sent = _already_sent(sorted({s.dossier.code for s in steps}))
    calendars: dict[int, WorkingCalendar] = {}
    todo: list[tuple[int, str]] = []
    for step in steps:
        calendar = calendars.get(step.agency_id)
        if calendar is None:
            calendar = calendars[step.agency_id] = WorkingCalendar.for_agency(step.agency_id)
        for level in _levels(urgency(step.due_at, now, calendar)):
            if (step.pk, level) not in sent:
                todo.append((step.pk, level))
    if not todo:
        return report
    directory = _Directory({s.agency_id for s in steps})
    for step_id, level in todo:
        try:
            if _send(step_id, level, directory):
                report.sent[level] += 1
        except Exception:  # one bad row must not stop the others; the next run retries it
            logger.exception("reminder %s for step %s failed", level, step_id)
    return report


def reminders_of(dossier_code: str) -> list[dict[str, Any]]:
    """The reminders recorded for a dossier (for pages and tests), as their schema reads them."""
    return [
        dict(E.REMINDER_SENT.read(e.payload).model_dump(), at=e.occurred_at)
        for e in Event.objects.filter(
            subject_type="dossier", subject_id=dossier_code, event_type=EVENT_TYPE
        ).order_by("id")
    ]
