"""The same figures computed the naive way: GROUP BY over the raw tables (dossiers, steps,
supplement requests, ratings, events), with no aggregate table involved.

The tests compare the aggregates with these, and the benchmarks time them as the baseline the
aggregate tables are measured against. Never call these from a page: they scan the dossiers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from egov.dossiers import event_types as E
from egov.dossiers.models import Channel, Dossier, DossierFile, Rating, Status
from egov.events.catalogue import read_payload
from egov.events.models import Event
from egov.onestop.models import DossierStep, SignedResult, StepStatus, SupplementRequest
from egov.workcalendar.deadlines import ended_in_time
from egov.workcalendar.services import WorkingCalendar

from .models import DOSSIER_COUNTERS, STEP_COUNTERS
from .projector import (
    DOSSIER_INFO_FIELDS,
    RECEIVER_ROLE,
    classify_resolved,
    dossier_info,
    handling_seconds,
    judged_at,
    legal_millidays,
    legal_seconds,
    millidays,
    promise_counters,
    repeated_supplement_is_late,
)

Key = tuple[Any, ...]
DOSSIER_KEY = ("agency_id", "procedure_id", "procedure__sector_id", "channel")


def _key_of(day: date, row: dict[str, Any]) -> Key:
    return (day, row["agency_id"], row["procedure_id"], row["procedure__sector_id"], row["channel"])


def _count_by_day(
    qs: QuerySet[Any], moment: str, out: dict[Key, dict[str, int]], name: str, **extra: Any
) -> None:
    rows = (
        qs.annotate(d=TruncDate(moment))
        .values("d", *DOSSIER_KEY)
        .annotate(n=Count("pk"), **extra)
        .order_by()
    )
    for row in rows:
        counters = out[_key_of(row["d"], row)]
        counters[name] += row["n"]
        for field in extra:
            counters[field] += row[field] or 0


def dossier_facts(calendar_for: Any = None) -> dict[Key, dict[str, int]]:
    """Every dossier counter per (local day, agency, procedure, sector, channel)."""
    out: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(DOSSIER_COUNTERS, 0))
    digitised = Q(channel=Channel.ONLINE) | Exists(
        DossierFile.objects.filter(dossier=OuterRef("pk"), kind=DossierFile.Kind.COMPONENT)
    )
    received = Dossier.objects.filter(received_at__isnull=False)
    _count_by_day(
        received,
        "received_at",
        out,
        "received",
        received_digitised=Sum(Case(When(digitised, then=Value(1)), default=Value(0))),
    )
    for status, name in (
        (Status.REFUSED, "refused"),
        (Status.WITHDRAWAL_REQUESTED, "withdrawn"),
        (Status.STOPPED, "stopped"),
    ):
        _count_by_day(Dossier.objects.filter(status=status), "finished_at", out, name)

    # 766 indicator 4.1: a result carrying a valid signature (onestop.SignedResult), not any
    # uploaded result file.
    electronic = Exists(SignedResult.objects.filter(dossier=OuterRef("pk")))
    online_electronic = electronic & Q(channel=Channel.ONLINE)
    _count_by_day(
        Dossier.objects.filter(status=Status.RETURNED),
        "returned_at",
        out,
        "returned",
        returned_electronic=Sum(Case(When(electronic, then=Value(1)), default=Value(0))),
        returned_online_electronic=Sum(
            Case(When(online_electronic, then=Value(1)), default=Value(0))
        ),
        returned_digitised=Sum(Case(When(electronic & digitised, then=Value(1)), default=Value(0))),
    )

    # Withdrawn or stopped after reception: judged by the on-time rule at the end of
    # processing, or where a supplement wait it ended in began.
    cancelled = list(
        Dossier.objects.filter(
            status__in=[Status.WITHDRAWAL_REQUESTED, Status.STOPPED], received_at__isnull=False
        ).values(*DOSSIER_INFO_FIELDS)
    )
    waits = dict(
        SupplementRequest.objects.filter(
            dossier_id__in=[r["id"] for r in cancelled], answered_at__isnull=True
        ).values_list("dossier_id", "requested_at")
    )
    for row in cancelled:
        info = dossier_info(row)
        assert info.finished_at is not None
        is_late = judged_at(info, waits.get(info.id)) == "late"
        key = (
            timezone.localdate(info.finished_at),
            info.agency_id,
            info.procedure_id,
            info.sector_id,
            info.channel,
        )
        out[key]["cancelled_late" if is_late else "cancelled_in_time"] += 1

    for row in (
        SupplementRequest.objects.annotate(d=TruncDate("requested_at"))
        .values("d", *(f"dossier__{k}" for k in DOSSIER_KEY))
        .annotate(n=Count("pk"))
        .order_by()
    ):
        values = {k: row[f"dossier__{k}"] for k in DOSSIER_KEY}
        out[_key_of(row["d"], values)]["supplements"] += row["n"]

    for row in (
        Rating.objects.annotate(d=TruncDate("created_at"))
        .values("d", "level", *(f"dossier__{k}" for k in DOSSIER_KEY))
        .annotate(n=Count("pk"))
        .order_by()
    ):
        values = {k: row[f"dossier__{k}"] for k in DOSSIER_KEY}
        out[_key_of(row["d"], values)][f"rating_{row['level']}"] += row["n"]

    # Per resolved dossier: on time or late (projector.classify_resolved, by date against the
    # legal appointment; an apology's promised date only feeds the promise counters), and the
    # handling and legal time, which need the working calendar.
    calendars: dict[int, WorkingCalendar] = {}
    pauses: dict[int, int] = defaultdict(int)
    for dossier_id, requested_at, seconds, received_at in SupplementRequest.objects.filter(
        answered_at__isnull=False, dossier__received_at__isnull=False
    ).values_list("dossier_id", "requested_at", "paused_seconds", "dossier__received_at"):
        if received_at is not None and requested_at >= received_at:
            pauses[dossier_id] += seconds
    for row in Dossier.objects.filter(status__in=[Status.DONE, Status.RETURNED]).values(
        *DOSSIER_INFO_FIELDS
    ):
        info = dossier_info(row)
        calendar = calendars.setdefault(info.agency_id, WorkingCalendar.for_agency(info.agency_id))
        assert info.finished_at is not None
        counters = out[
            (
                timezone.localdate(info.finished_at),
                info.agency_id,
                info.procedure_id,
                info.sector_id,
                info.channel,
            )
        ]
        handled = handling_seconds(info, calendar, pauses[info.id])
        legal = legal_seconds(info, calendar)
        counters["handling_seconds"] += handled
        counters["legal_seconds"] += legal
        counters["handling_millidays"] += millidays(handled, calendar)
        legal_days = legal_millidays(info)
        counters["legal_millidays"] += (
            millidays(legal, calendar) if legal_days is None else legal_days
        )
        counters[f"resolved_{classify_resolved(info)}"] += 1
        for name, value in promise_counters(info).items():
            counters[name] += value
    return {k: v for k, v in out.items() if any(v.values())}


def step_facts() -> dict[Key, dict[str, int]]:
    """Finished (and sent back) processing steps per (local day, agency, unit, procedure, step)."""
    out: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STEP_COUNTERS, 0))
    calendars: dict[int, WorkingCalendar] = {}
    rows = (
        DossierStep.objects.filter(
            status__in=[StepStatus.DONE, StepStatus.SENT_BACK], finished_at__isnull=False
        )
        .exclude(role=RECEIVER_ROLE)
        .values(
            "agency_id",
            "unit_id",
            "dossier__procedure_id",
            "order",
            "status",
            "due_at",
            "finished_at",
        )
    )
    for row in rows:
        finished_at = row["finished_at"]
        if finished_at is None:
            continue
        key = (
            timezone.localdate(finished_at),
            row["agency_id"],
            row["unit_id"] or 0,
            row["dossier__procedure_id"],
            row["order"],
        )
        counters = out[key]
        if row["status"] == StepStatus.SENT_BACK:
            counters["sent_back"] += 1
            continue
        counters["finished"] += 1
        due_at = row["due_at"]
        if due_at is not None and finished_at > due_at:
            calendar = calendars.setdefault(
                row["agency_id"], WorkingCalendar.for_agency(row["agency_id"])
            )
            counters["late"] += 1
            counters["overrun_seconds"] += int(
                calendar.working_time_between(due_at, finished_at).total_seconds()
            )
    return dict(out)


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


# The events that set or move the legal appointment. Not apology_approved: its date is a promise
# (events before #13 called it appointment_at all the same).
APPOINTMENT_EVENTS = (
    E.SUBMITTED.name,
    E.RECEIVED.name,
    E.SUPPLEMENT_PROVIDED.name,
)


def open_at_end_of(day: date) -> dict[Key, dict[str, int]]:
    """Dossiers in progress at the end of `day` (received, processing not ended), per (agency,
    procedure, sector, channel): paused for a supplement (and of those, already late when the
    wait began: paused_late), overdue (judged with `day` as their
    end: appointment day before `day`, or more than one supplement request), or on time. The
    appointment in force that day is read from the events."""
    end = _end_of(day)
    out: dict[Key, dict[str, int]] = defaultdict(
        lambda: {"on_time": 0, "overdue": 0, "paused": 0, "paused_late": 0}
    )
    dossiers = list(
        Dossier.objects.filter(received_at__lt=end)
        .exclude(finished_at__lt=end)
        .values(*DOSSIER_INFO_FIELDS)
    )
    ids = [d["id"] for d in dossiers]
    requests: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for dossier_id, requested_at, answered_at in SupplementRequest.objects.filter(
        dossier_id__in=ids, requested_at__lt=end
    ).values_list("dossier_id", "requested_at", "answered_at"):
        requests[dossier_id].append((requested_at, answered_at))
    appointments: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for code, event_type, payload, occurred_at in (
        Event.objects.filter(
            subject_type="dossier",
            subject_id__in=[d["code"] for d in dossiers],
            event_type__in=APPOINTMENT_EVENTS,
            occurred_at__lt=end,
        )
        .order_by("id")
        .values_list("subject_id", "event_type", "payload", "occurred_at")
    ):
        at = read_payload(event_type, payload).appointment_at
        if at is not None:
            appointments[code].append((occurred_at, at))

    def in_force(code: str, moment: datetime) -> datetime | None:
        found = [at for when, at in appointments[code] if when <= moment]
        return found[-1] if found else None

    appointment = {code: moves[-1][1] for code, moves in appointments.items() if moves}
    for d in dossiers:
        key = (d["agency_id"], d["procedure_id"], d["procedure__sector_id"], d["channel"])
        asked = sorted(requests[d["id"]])
        waiting = [
            (n, at)
            for n, (at, answered) in enumerate(asked, 1)
            if answered is None or answered >= end
        ]
        if waiting:
            out[key]["paused"] += 1
            count, began = waiting[0]
            # Judged where the wait began, against the appointment then in force.
            info = replace(
                dossier_info(d),
                appointment_at=in_force(d["code"], began),
                supplement_count=count,
            )
            out[key]["paused_late"] += int(judged_at(info, began) == "late")
            continue
        if len(asked) > 1 and repeated_supplement_is_late():
            out[key]["overdue"] += 1
            continue
        moment = appointment.get(d["code"])
        if moment is None:
            out[key]["on_time"] += 1
            continue
        out[key][
            "on_time" if ended_in_time(end - timedelta(microseconds=1), moment) else "overdue"
        ] += 1
    return dict(out)
