"""Running dossiers' deadlines when the working-day calendar changes (workcalendar.impact).

An operator who enters a day off for a date inside a running deadline takes a working day away
from it (a swap working day adds one). Registered as a deadline source of the calendar, this
module counts the dossiers such a change touches (for the operator's confirmation) and, in the
same transaction as the change, moves for each: its appointment date (the legal due date,
counted on the receiving agency's calendar) and the due time of its current step (on the
holding agency's), each keeping the working time it had left. One ``dossier.deadline_moved``
event per dossier records the old and new dates. The date written on the receipt (form 01) and
a date promised by an apology letter (form 04) are what the applicant was told: they stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Q

from egov.dossiers import event_types as E
from egov.dossiers.models import Dossier, Status
from egov.events.services import record_event
from egov.org.models import Agency
from egov.workcalendar import impact
from egov.workcalendar.impact import VN_TZ, CalendarShift, DeadlineMoves

from .models import DossierStep, StepStatus

RUNNING = (
    Status.NEW,
    Status.RECEIVED,
    Status.PROCESSING,
    Status.SUPPLEMENT_REQUESTED,
    Status.PAYMENT_REQUESTED,
    Status.WITHDRAWAL_REQUESTED,
)


@dataclass
class _Move:
    dossier: Dossier
    appointment_at: datetime | None  # the new one, None: unchanged
    step: DossierStep | None
    step_due_at: datetime | None  # the new one, None: unchanged
    days: list[date]


class DossierDeadlines:
    """The deadline source for dossiers (registered in OnestopConfig.ready)."""

    def _moves(self, shift: CalendarShift, today: date) -> list[_Move]:
        future = [d for d in shift.days if d > today]
        if not future:
            return []
        start = datetime.combine(min(future), time(0), VN_TZ)
        dossiers = Dossier.objects.filter(status__in=RUNNING, finished_at__isnull=True)
        steps = DossierStep.objects.filter(
            status=StepStatus.ACTIVE, due_at__gte=start, dossier__status__in=RUNNING
        )
        if shift.agency_id is not None:
            dossiers = dossiers.filter(
                Q(agency_id=shift.agency_id) | Q(steps__in=steps.filter(agency_id=shift.agency_id))
            )
            steps = steps.filter(agency_id=shift.agency_id)
        dossiers = dossiers.filter(Q(appointment_at__gte=start) | Q(steps__in=steps)).distinct()
        active = {s.dossier_id: s for s in steps}

        def moved(agency_id: int, due: datetime | None) -> tuple[datetime | None, list[date]]:
            if due is None:
                return None, []
            last = due.astimezone(VN_TZ).date()
            days = [d for d in shift.moved_days(agency_id, after_day=today) if d <= last]
            if not days:
                return None, []
            new = impact.shift(
                shift.before(agency_id), shift.after_calendar(agency_id), due, min(days)
            )
            return (new, days) if new != due else (None, [])

        found: list[_Move] = []
        for dossier in dossiers.select_related("agency").order_by("pk"):
            appointment, days = moved(dossier.agency_id, dossier.appointment_at)
            step = active.get(dossier.pk)
            step_due, step_days = moved(step.agency_id, step.due_at) if step else (None, [])
            if appointment is None and step_due is None:
                continue
            found.append(_Move(dossier, appointment, step, step_due, sorted(set(days + step_days))))
        return found

    @staticmethod
    def _summary(moves: list[_Move]) -> DeadlineMoves:
        ids = list(dict.fromkeys(m.dossier.agency_id for m in moves))
        names = dict(Agency.objects.filter(pk__in=ids).values_list("pk", "name"))
        return DeadlineMoves(len(moves), tuple(names[i] for i in ids if i in names))

    def preview(self, shift: CalendarShift, today: date) -> DeadlineMoves:
        return self._summary(self._moves(shift, today))

    def apply(self, shift: CalendarShift, today: date, *, actor: Any) -> DeadlineMoves:
        moves = self._moves(shift, today)
        for move in moves:
            dossier = Dossier.objects.select_for_update().get(pk=move.dossier.pk)
            previous = dossier.appointment_at
            if move.appointment_at is not None:
                dossier.appointment_at = move.appointment_at
            dossier.version += 1
            dossier.save(update_fields=["appointment_at", "version", "updated_at"])
            previous_step_due = move.step.due_at if move.step else None
            if move.step is not None and move.step_due_at is not None:
                move.step.due_at = move.step_due_at
                move.step.save(update_fields=["due_at"])
            record_event(
                actor=actor,
                event_type=E.DEADLINE_MOVED,
                subject_type="dossier",
                subject_id=dossier.code,
                agency_id=dossier.agency_id,
                payload={
                    "status": dossier.status,
                    "days": move.days,
                    "appointment_at": dossier.appointment_at,
                    "previous_appointment_at": previous,
                    "step_id": move.step.pk if move.step else None,
                    "step_due_at": move.step.due_at if move.step else None,
                    "previous_step_due_at": previous_step_due,
                },
            )
        return self._summary(moves)
