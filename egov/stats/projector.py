"""From one dossier event to the read models: counter increments, the open-dossier tracker, the
open ledger and the step counters.

The same `apply` runs in two places, against two stores:
- `LiveStore`, inside `record_event` (registered below): writes go to the database in the
  event's own transaction (see aggregates.py for why);
- `aggregates.MemoryStore`, when `rebuild_stats` replays the whole log in id order.

What an event may read besides its payload: the dossier's row for facts fixed once set (agency,
procedure, channel, reception and end times, and — once processing is done — its final
appointment date, promised date and supplement count), its finished step rows (immutable once
finished), its supplement pauses (immutable once answered). Anything that moves while a dossier
is open (the current appointment date, the pause) comes from the events themselves, so a replay
sees each event as it was.

On time or late is judged against the legal appointment only (`appointment_at`, moved by
supplement pauses), by date (workcalendar.deadlines.timeliness). The date an apology letter
(form 04) promises never moves it — old `apology_approved` events carried that promise as
`appointment_at`, and are read as a promise too; whether the promise was kept is counted apart
(`resolved_promised`, `resolved_promise_kept`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.db.models import Sum

from egov.dossiers import event_types as E
from egov.dossiers.models import Channel, Dossier, Status
from egov.events.catalogue import CATALOGUE
from egov.events.models import Event
from egov.events.services import register_projector
from egov.workcalendar.deadlines import LATE, ended_in_time, local_date, timeliness
from egov.workcalendar.services import WorkingCalendar

from .models import OpenDossier

# Ledger bucket of a dossier that counts as late whatever the day (more than one supplement
# request, ONESTOP_REPEATED_SUPPLEMENT_IS_LATE): always before any reporting day.
LATE_DAY = date(2000, 1, 1)
# Ledger bucket of a received dossier without an appointment date: never overdue.
NO_DUE_DAY = date(9999, 12, 31)
# Ledger bucket of a dossier waiting for a supplement that was already late when its clock
# stopped (a paused dossier in time has due_day NULL): paused, and late for indicator 2.1.
PAUSED_LATE_DAY = date(2000, 1, 2)

RECEIVER_ROLE = "receiver"


def month_of(day: date) -> date:
    return day.replace(day=1)


def repeated_supplement_is_late() -> bool:
    return bool(getattr(settings, "ONESTOP_REPEATED_SUPPLEMENT_IS_LATE", True))


@dataclass
class DossierInfo:
    """A dossier's facts that never change once set (read from its row)."""

    id: int
    code: str
    agency_id: int
    procedure_id: int
    sector_id: int
    channel: int
    received_at: datetime | None
    finished_at: datetime | None
    appointment_at: datetime | None
    supplement_count: int
    processing_time: Decimal
    time_unit: str
    promised_at: datetime | None = None  # set by an approved apology letter (form 04)


@dataclass
class StepInfo:
    agency_id: int
    unit_id: int
    role: str
    order: int
    name: str
    due_at: datetime | None
    finished_at: datetime | None


DOSSIER_INFO_FIELDS = (
    "id",
    "code",
    "agency_id",
    "procedure_id",
    "procedure__sector_id",
    "channel",
    "received_at",
    "finished_at",
    "appointment_at",
    "supplement_count",
    "procedure__processing_time",
    "procedure__time_unit",
    "process_version__processing_time",
    "process_version__time_unit",
    "promised_at",
)


def dossier_info(row: dict[str, Any]) -> DossierInfo:
    has_version = row["process_version__processing_time"] is not None
    return DossierInfo(
        id=row["id"],
        code=row["code"],
        agency_id=row["agency_id"],
        procedure_id=row["procedure_id"],
        sector_id=row["procedure__sector_id"],
        channel=row["channel"],
        received_at=row["received_at"],
        finished_at=row["finished_at"],
        appointment_at=row["appointment_at"],
        supplement_count=row["supplement_count"],
        processing_time=Decimal(
            row["process_version__processing_time"]
            if has_version
            else row["procedure__processing_time"]
        ),
        time_unit=row["process_version__time_unit"] if has_version else row["procedure__time_unit"],
        promised_at=row["promised_at"],
    )


STEP_INFO_FIELDS = ("agency_id", "unit_id", "role", "order", "name", "due_at", "finished_at")


def step_info(row: dict[str, Any]) -> StepInfo:
    return StepInfo(
        agency_id=row["agency_id"],
        unit_id=row["unit_id"] or 0,
        role=row["role"],
        order=row["order"],
        name=row["name"],
        due_at=row["due_at"],
        finished_at=row["finished_at"],
    )


class Store(Protocol):
    """Where `apply` reads what it needs and writes what it decides."""

    def dossier(self, code: str) -> DossierInfo | None: ...

    def tracker(self, code: str) -> OpenDossier | None: ...

    def save_tracker(self, track: OpenDossier, created: bool) -> None: ...

    def delete_tracker(self, track: OpenDossier) -> None: ...

    def add(self, day: date, key: tuple[int, int, int, int], counters: dict[str, int]) -> None: ...

    def ledger(
        self, day: date, key: tuple[int, int, int, int], due_day: date | None, delta: int
    ) -> None: ...

    def add_step(
        self, day: date, key: tuple[int, int, int, int], counters: dict[str, int]
    ) -> None: ...

    def step(self, step_id: int | None, dossier_id: int, order: int | None) -> StepInfo | None: ...

    def active_step(self, dossier_id: int) -> StepInfo | None: ...

    def calendar(self, agency_id: int) -> WorkingCalendar: ...

    def paused_seconds(self, info: DossierInfo) -> int: ...


# --- the rules ---------------------------------------------------------------------------------


def classify_resolved(info: DossierInfo) -> str:
    """early / on_time / late for a dossier whose processing is done (the 766 rule, as
    onestop.services.is_on_time applies it): late when it ended on a later date than its legal
    appointment, or had more than one supplement request; early when it ended on an earlier date.
    A date promised by an apology letter plays no part (see `promise_counters`)."""
    if info.appointment_at is None or info.finished_at is None:
        return "on_time"
    if info.supplement_count > 1 and repeated_supplement_is_late():
        return LATE
    return timeliness(info.finished_at, info.appointment_at)


def promise_counters(info: DossierInfo) -> dict[str, int]:
    """For a dossier done after an approved apology letter: it had a promise, and whether it
    ended by the promised date. Nothing for the others."""
    if info.promised_at is None or info.finished_at is None:
        return {}
    kept = ended_in_time(info.finished_at, info.promised_at)
    return {"resolved_promised": 1, "resolved_promise_kept": int(kept)}


def judged_at(info: DossierInfo, moment: datetime | None) -> str:
    """classify_resolved as if processing had ended at `moment`: a dossier withdrawn or stopped
    while waiting for a supplement, or still waiting at the end of a period, is judged with its
    clock stopped where the wait began (the wait is not counted)."""
    return classify_resolved(replace(info, finished_at=moment or info.finished_at))


def millidays(seconds: int, calendar: WorkingCalendar) -> int:
    """Working seconds in thousandths of the calendar's working day, rounded half up."""
    return to_millidays(seconds, int(calendar.day_length.total_seconds()))


def to_millidays(seconds: int, day_seconds: int) -> int:
    if day_seconds <= 0:
        return 0
    return (2 * seconds * 1000 + day_seconds) // (2 * day_seconds)


def legal_millidays(info: DossierInfo) -> int | None:
    """The legal time in thousandths of a working day when it is set in days (None in hours)."""
    if info.time_unit == "hours":
        return None
    return int(info.processing_time * 1000)


def legal_seconds(info: DossierInfo, calendar: WorkingCalendar) -> int:
    if info.time_unit == "hours":
        return int(info.processing_time * 3600)
    return int(info.processing_time * Decimal(calendar.day_length.total_seconds()))


def handling_seconds(info: DossierInfo, calendar: WorkingCalendar, paused: int) -> int:
    """Working time from reception to the end of processing, less the supplement pauses."""
    if info.received_at is None or info.finished_at is None:
        return 0
    spent = calendar.working_time_between(info.received_at, info.finished_at)
    return max(int(spent.total_seconds()) - paused, 0)


def bucket(track: OpenDossier) -> tuple[str, date | None]:
    """Where an open dossier belongs in the ledger now."""
    if track.received_at is None or track.ended:
        return OpenDossier.Ledger.NONE, None
    if track.paused_since is not None:
        return OpenDossier.Ledger.PAUSED, PAUSED_LATE_DAY if track.paused_late else None
    if track.supplement_count > 1 and repeated_supplement_is_late():
        return OpenDossier.Ledger.DUE, LATE_DAY
    if track.appointment_at is None:
        return OpenDossier.Ledger.DUE, NO_DUE_DAY
    # The legal due date (deadlines.local_date): open at the end of day D, the dossier is judged
    # with D as its end, so it is overdue there once this day is before D.
    return OpenDossier.Ledger.DUE, local_date(track.appointment_at)


def relocate(track: OpenDossier, day: date, store: Store) -> None:
    """Move the dossier in the ledger if its bucket changed (-1 from the old, +1 to the new)."""
    state, due = bucket(track)
    if (state, due) == (track.ledger, track.ledger_due):
        return
    key = (track.agency_id, track.procedure_id, track.sector_id, track.channel)
    if track.ledger:
        store.ledger(day, key, track.ledger_due, -1)
    if state:
        store.ledger(day, key, due, +1)
    track.ledger, track.ledger_due = state, due


def _new_tracker(info: DossierInfo, status: int) -> OpenDossier:
    return OpenDossier(
        dossier_id=info.id,
        code=info.code,
        agency_id=info.agency_id,
        procedure_id=info.procedure_id,
        sector_id=info.sector_id,
        channel=info.channel,
        status=status,
    )


def set_current_step(track: OpenDossier, step: StepInfo) -> None:
    """The dossier's current step, from its row."""
    track.step_agency_id = step.agency_id
    track.step_unit_id = step.unit_id
    track.step_order = step.order
    track.step_name = step.name[:255]
    track.step_due_at = step.due_at


def _set_step(
    track: OpenDossier, step: StepInfo | None, payload: E.StepStarted | E.SentBack | E.Done
) -> None:
    """The dossier's current step: the row when the store can see it, else the payload (the step
    that started, or the one the dossier was handed on to)."""
    if step is not None:
        set_current_step(track, step)
        return
    if isinstance(payload, E.StepStarted):
        order, name, due_at = payload.step, payload.step_name, payload.due_at
    elif payload.next_step is not None:
        order, name, due_at = payload.next_step, payload.next_step_name, payload.next_due_at
        if not name and isinstance(payload, E.SentBack):
            name = payload.step_name
    elif isinstance(payload, E.SentBack):
        order, name, due_at = payload.step, payload.step_name, None
    else:
        return
    track.step_order = order
    track.step_name = name[:255]
    track.step_due_at = due_at


def apply(event: Event, store: Store) -> None:
    """Project one dossier event. Unknown event types change nothing."""
    kind = event.event_type.removeprefix("dossier.")
    if kind not in HANDLED:
        return
    # Parsed once, by the event type's declared schema ("synced" carries nothing we read).
    declared = CATALOGUE.get(event.event_type)
    payload = declared.read(event.payload or {}) if declared is not None else None
    code = event.subject_id
    day = local_date(event.occurred_at)
    track = store.tracker(code)
    created = False
    info: DossierInfo | None = None

    def need_info() -> DossierInfo | None:
        nonlocal info
        if info is None:
            info = store.dossier(code)
        return info

    def key() -> tuple[int, int, int, int] | None:
        if track is not None:
            return (track.agency_id, track.procedure_id, track.sector_id, track.channel)
        found = need_info()
        if found is None:
            return None
        return (found.agency_id, found.procedure_id, found.sector_id, found.channel)

    # The dossier's status after the action: every type but rated (and synced) carries one.
    status: int | None = getattr(payload, "status", None)

    if isinstance(payload, E.Submitted | E.Received):
        found = need_info()
        if found is None:
            return
        if track is None:
            track, created = _new_tracker(found, int(status or Status.NEW)), True
        if isinstance(payload, E.Received):
            track.received_at = found.received_at or event.occurred_at
            digitised = found.channel == Channel.ONLINE or bool(payload.files)
            track.components_digitised = digitised
            counters = {"received": 1, "received_digitised": int(digitised)}
            store.add(
                day, (found.agency_id, found.procedure_id, found.sector_id, found.channel), counters
            )
        track.appointment_at = payload.appointment_at or found.appointment_at
    elif track is None and kind in TRACKED_ONLY:
        return  # an event about a dossier the tracker never saw (before the stats app): skip

    if isinstance(payload, E.StepStarted):
        if track is not None:
            _set_step(track, store.active_step(track.dossier_id), payload)
    elif isinstance(payload, E.StepFinished | E.SentBack):  # forwarded, approved, sent_back
        group = key()
        dossier_id = track.dossier_id if track is not None else info.id if info else 0
        step = store.step(payload.step_id, dossier_id, payload.step)
        if step is not None and step.role != RECEIVER_ROLE and group is not None:
            counters = {"finished": 1}
            if kind == "sent_back":
                counters = {"sent_back": 1}
            elif step.due_at and step.finished_at and step.finished_at > step.due_at:
                overrun = store.calendar(step.agency_id).working_time_between(
                    step.due_at, step.finished_at
                )
                counters["late"] = 1
                counters["overrun_seconds"] = int(overrun.total_seconds())
            store.add_step(
                local_date(step.finished_at or event.occurred_at),
                (step.agency_id, step.unit_id, group[1], step.order),
                counters,
            )
        if isinstance(payload, E.SentBack) and track is not None:
            _set_step(track, store.active_step(track.dossier_id), payload)
    elif isinstance(payload, E.SupplementRequested):
        group = key()
        if group is not None:
            store.add(day, group, {"supplements": 1})
        if track is not None:
            track.supplement_count = payload.count or track.supplement_count + 1
            track.paused_since = event.occurred_at
            found = need_info()
            if found is not None and track.received_at is not None:
                # Judged as it stood when the clock stopped: the appointment then in force.
                waiting = replace(
                    found,
                    appointment_at=track.appointment_at,
                    supplement_count=track.supplement_count,
                )
                track.paused_late = judged_at(waiting, event.occurred_at) == "late"
    elif isinstance(payload, E.SupplementProvided):
        if track is not None:
            track.paused_since = None
            track.paused_late = False
            found = need_info()
            track.appointment_at = payload.appointment_at or (
                found.appointment_at if found else track.appointment_at
            )
    elif isinstance(payload, E.ApologyApproved):
        pass  # a promise to the applicant, not a due date: the ledger stays (module docstring)
    elif isinstance(payload, E.DeadlineMoved):
        # A day off (or swap working day) entered inside the running deadline moved it.
        if track is not None:
            track.appointment_at = payload.appointment_at or track.appointment_at
            if payload.step_due_at is not None:
                track.step_due_at = payload.step_due_at
    elif kind == "result_signed" or (isinstance(payload, E.ResultRecorded) and payload.signed):
        # 766 indicator 4.1: only a result carrying a valid signature is an electronic result
        # (signed by the leader at approval, or uploaded already signed); an unsigned upload is
        # a scan, however it is returned.
        if track is not None:
            track.has_result = True
    elif isinstance(payload, E.Done):
        found = need_info()
        group = key()
        if found is not None and group is not None:
            calendar = store.calendar(found.agency_id)
            handled = handling_seconds(found, calendar, store.paused_seconds(found))
            legal = legal_seconds(found, calendar)
            legal_days = legal_millidays(found)
            store.add(
                day,
                group,
                {
                    f"resolved_{classify_resolved(found)}": 1,
                    "handling_seconds": handled,
                    "legal_seconds": legal,
                    # Days of the agency's own calendar, fixed now (see models.DossierCounters).
                    "handling_millidays": millidays(handled, calendar),
                    "legal_millidays": (
                        millidays(legal, calendar) if legal_days is None else legal_days
                    ),
                    **promise_counters(found),
                },
            )
        if track is not None:
            track.ended = True
            _set_step(track, store.active_step(track.dossier_id), payload)
    elif kind in ENDING:
        group = key()
        if group is not None:
            counters = {kind: 1}
            if kind == "returned":
                electronic = bool(track and track.has_result)
                counters["returned_electronic"] = int(electronic)
                counters["returned_online_electronic"] = int(
                    electronic and track is not None and track.channel == Channel.ONLINE
                )
                counters["returned_digitised"] = int(
                    electronic and track is not None and track.components_digitised
                )
            elif kind in ("withdrawn", "stopped") and track is not None and track.received_at:
                # The 766 rule ends processing here too: judged like a resolved dossier, at the
                # start of a supplement wait it ended in.
                found = need_info()
                if found is not None:
                    late = judged_at(found, track.paused_since) == "late"
                    counters["cancelled_late" if late else "cancelled_in_time"] = 1
            store.add(day, group, counters)
        if track is not None:
            track.ended = True
    elif isinstance(payload, E.Rated):
        group = key()
        if group is not None and payload.level in (1, 2, 3, 4, 5):
            store.add(day, group, {f"rating_{payload.level}": 1})
    elif kind == "synced":
        group = key()
        if group is not None:
            store.add(day, group, {"synced": 1})

    if track is None:
        return
    if status is not None:
        track.status = status
    relocate(track, day, store)
    if kind in ENDING:
        if not created:
            store.delete_tracker(track)
        return
    store.save_tracker(track, created)


HANDLED = frozenset(
    {
        "submitted",
        "received",
        "step_started",
        "forwarded",
        "approved",
        "sent_back",
        "supplement_requested",
        "supplement_provided",
        "payment_requested",
        "payment_received",
        "apology_approved",
        "result_recorded",
        "result_signed",
        "done",
        "returned",
        "refused",
        "withdrawn",
        "stopped",
        "rated",
        "synced",
        "deadline_moved",
    }
)
# Events that end a dossier's life at the desk: counted, and the tracker let go.
ENDING = frozenset({"returned", "refused", "withdrawn", "stopped"})
# Events that only move the tracker: nothing to do for a dossier it does not hold.
TRACKED_ONLY = frozenset(
    {
        "step_started",
        "supplement_provided",
        "payment_requested",
        "payment_received",
        "apology_approved",
        "result_recorded",
        "deadline_moved",
        "result_signed",
    }
)


# --- the live store ----------------------------------------------------------------------------


class LiveStore:
    """Reads and writes in the event's transaction. Counter and ledger changes are inserts into
    append-only tables (no row another writer could hold); the tracker row belongs to the
    dossier, whose row the service already holds locked."""

    def dossier(self, code: str) -> DossierInfo | None:
        row = Dossier.objects.filter(code=code).values(*DOSSIER_INFO_FIELDS).first()
        return dossier_info(row) if row else None

    def tracker(self, code: str) -> OpenDossier | None:
        return OpenDossier.objects.select_for_update().filter(code=code).first()

    def save_tracker(self, track: OpenDossier, created: bool) -> None:
        if created:
            OpenDossier.objects.filter(pk=track.pk).delete()  # a leftover of an old replay
        track.save(force_insert=created)

    def delete_tracker(self, track: OpenDossier) -> None:
        OpenDossier.objects.filter(pk=track.pk).delete()

    def add(self, day: date, key: tuple[int, int, int, int], counters: dict[str, int]) -> None:
        from .models import DossierDelta

        agency_id, procedure_id, sector_id, channel = key
        DossierDelta.objects.create(
            day=day,
            month=month_of(day),
            agency_id=agency_id,
            procedure_id=procedure_id,
            sector_id=sector_id,
            channel=channel,
            **counters,
        )

    def ledger(
        self, day: date, key: tuple[int, int, int, int], due_day: date | None, delta: int
    ) -> None:
        from .models import OpenLedger

        agency_id, procedure_id, sector_id, channel = key
        OpenLedger.objects.create(
            day=day,
            agency_id=agency_id,
            procedure_id=procedure_id,
            sector_id=sector_id,
            channel=channel,
            due_day=due_day,
            delta=delta,
        )

    def add_step(self, day: date, key: tuple[int, int, int, int], counters: dict[str, int]) -> None:
        from .models import StepDelta

        agency_id, unit_id, procedure_id, order = key
        StepDelta.objects.create(
            day=day,
            month=month_of(day),
            agency_id=agency_id,
            unit_id=unit_id,
            procedure_id=procedure_id,
            step_order=order,
            **counters,
        )

    def step(self, step_id: int | None, dossier_id: int, order: int | None) -> StepInfo | None:
        from egov.onestop.models import DossierStep, StepStatus

        rows = DossierStep.objects.all()
        if step_id:
            row = rows.filter(pk=step_id).values(*STEP_INFO_FIELDS).first()
        elif order is not None:
            row = (
                rows.filter(
                    dossier_id=dossier_id,
                    order=order,
                    status__in=[StepStatus.DONE, StepStatus.SENT_BACK],
                )
                .order_by("-finished_at", "-id")
                .values(*STEP_INFO_FIELDS)
                .first()
            )
        else:
            row = None
        return step_info(row) if row else None

    def active_step(self, dossier_id: int) -> StepInfo | None:
        from egov.onestop.models import DossierStep, StepStatus

        row = (
            DossierStep.objects.filter(dossier_id=dossier_id, status=StepStatus.ACTIVE)
            .order_by("-id")
            .values(*STEP_INFO_FIELDS)
            .first()
        )
        return step_info(row) if row else None

    def calendar(self, agency_id: int) -> WorkingCalendar:
        return WorkingCalendar.for_agency(agency_id)

    def paused_seconds(self, info: DossierInfo) -> int:
        return paused_seconds_of(info)


def paused_seconds_of(info: DossierInfo) -> int:
    """The supplement pauses after reception (a request made before reception pauses nothing
    that counts). Answered requests never change again."""
    from egov.onestop.models import SupplementRequest

    if info.received_at is None:
        return 0
    total = SupplementRequest.objects.filter(
        dossier_id=info.id,
        requested_at__gte=info.received_at,
        answered_at__isnull=False,
    ).aggregate(s=Sum("paused_seconds"))["s"]
    return int(total or 0)


_live = LiveStore()


@register_projector("dossier.")
def project_live(event: Event) -> None:
    apply(event, _live)
