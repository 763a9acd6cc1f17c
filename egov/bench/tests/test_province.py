"""The scale generator writes what the one-stop engine and the projector would have: its read
models equal the naive GROUP BY over the rows it wrote, and its dates follow the real working-day
calendar (checked with the calendar service itself, not the generator's timeline)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from egov.bench.province import GenConfig, generate
from egov.catalog.models import TimeUnit
from egov.dossiers.models import Dossier, Status
from egov.dossiers.services import due_date
from egov.events.catalogue import read_payload
from egov.events.models import Event
from egov.onestop.models import DossierStep, StepStatus, SupplementRequest
from egov.stats import naive
from egov.stats.models import (
    OpenDaily,
    OpenDossier,
    OpenLedger,
    StatsState,
)
from egov.stats.tests.test_aggregates import (
    by_month,
    daily_table,
    monthly_table,
    rollups_match,
    step_table,
)
from egov.workcalendar.deadlines import due_after_pause
from egov.workcalendar.services import WorkingCalendar

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's"),
]

NOW = datetime(2026, 2, 24, 4, 30, tzinfo=UTC)  # across Tết 2026 (16-20 February)


@pytest.fixture
def generated() -> Any:
    config = GenConfig(
        dossiers=2500,
        years=0.4,
        agencies=12,
        now=NOW,
        seed=7,
        supplement_share=0.2,
        second_supplement_share=0.3,
        withdrawn_share=0.02,
        late_share=0.2,
    )
    return generate(config, log=lambda _line: None)


def _in_force(
    dossier: Dossier, pauses: list[SupplementRequest], end: datetime, cal: WorkingCalendar
) -> datetime:
    """The appointment a dossier had at `end`: reception plus legal time, moved by every pause
    answered before `end` (as onestop.services.resume_after_supplement does: to the end of the
    day, of the session for procedures counted in hours)."""
    moment = due_date(
        dossier.procedure, dossier.agency, dossier.received_at, dossier.process_version
    )
    source = dossier.process_version or dossier.procedure
    by_session = source.time_unit == TimeUnit.WORKING_HOURS
    for p in pauses:
        if p.answered_at is not None and p.answered_at < end and p.paused_seconds:
            paused = timedelta(seconds=p.paused_seconds)
            moment = due_after_pause(cal, moment, paused, by_session=by_session)
    return moment


def test_generated_province_matches_direct_sql_and_the_calendar(generated):
    assert generated.dossiers == 2500 and generated.agencies >= 12
    statuses = set(Dossier.objects.values_list("status", flat=True))
    assert {Status.RETURNED, Status.PROCESSING, Status.REFUSED} <= statuses

    # Read models equal the naive GROUP BY over what was written.
    expected = naive.dossier_facts()
    assert daily_table() == expected
    assert monthly_table() == by_month(expected)
    steps = naive.step_facts()
    assert step_table() == steps
    rollups_match(expected, steps)
    assert sum(v["late"] for v in steps.values()) > 0

    cal = WorkingCalendar.for_agency(None)
    pauses: dict[int, list[SupplementRequest]] = defaultdict(list)
    for p in SupplementRequest.objects.order_by("requested_at"):
        pauses[p.dossier_id].append(p)
    assert any(len(v) > 1 for v in pauses.values())
    received = list(
        Dossier.objects.filter(received_at__isnull=False).select_related(
            "procedure", "agency", "process_version"
        )
    )
    # Appointments: the calendar service's due date, moved by the answered pauses.
    far = NOW + timedelta(days=3650)
    for d in received:
        assert d.appointment_at == _in_force(d, pauses[d.id], far, cal), d.code
        assert d.supplement_count == len(pauses[d.id])
    # Step due times: their budget in working hours from their start (plus pauses).
    # (From the process step's budget: the stored budget_hours is rounded to 0.01 h.)
    day_hours = Decimal(cal.day_length.total_seconds()) / 3600
    for step in DossierStep.objects.filter(started_at__isnull=False).select_related(
        "dossier__process_version", "process_step"
    ):
        budget = step.process_step.budget
        hours = budget if step.dossier.process_version.time_unit == "hours" else budget * day_hours
        paused = sum(
            p.paused_seconds
            for p in pauses[step.dossier_id]
            if p.answered_at
            and step.started_at <= p.requested_at
            and (step.finished_at is None or p.answered_at <= step.finished_at)
        )
        due = cal.add_working_hours(step.started_at, hours)
        if paused:
            due = cal.add_working_hours(due, timedelta(seconds=paused))
        assert step.due_at == due, (step.dossier.code, step.order)

    # End-of-day open counts, day by day, from the rows and the calendar.
    closed = StatsState.objects.get().closed_through
    assert closed == timezone.localdate(NOW) - timedelta(days=1)
    day = closed - timedelta(days=40)
    while day <= closed:
        end = datetime.combine(
            day + timedelta(days=1), datetime.min.time(), timezone.get_current_timezone()
        )
        want: dict[tuple[Any, ...], dict[str, int]] = defaultdict(
            lambda: {"on_time": 0, "overdue": 0, "paused": 0}
        )
        for d in received:
            if d.received_at >= end or (d.finished_at is not None and d.finished_at < end):
                continue
            key = (d.agency_id, d.procedure_id, d.procedure.sector_id, d.channel)
            asked = [p for p in pauses[d.id] if p.requested_at < end]
            if any(p.answered_at is None or p.answered_at >= end for p in asked):
                want[key]["paused"] += 1
            elif len(asked) > 1 or timezone.localdate(_in_force(d, pauses[d.id], end, cal)) < day:
                want[key]["overdue"] += 1
            else:
                want[key]["on_time"] += 1
        have = {
            (r.agency_id, r.procedure_id, r.sector_id, r.channel): {
                "on_time": r.on_time,
                "overdue": r.overdue,
                "paused": r.paused,
            }
            for r in OpenDaily.objects.filter(day=day)
        }
        assert have == dict(want), day
        day += timedelta(days=1)

    # The live tracker holds exactly the open dossiers; the ledger counts the in-progress ones.
    open_codes = set(
        Dossier.objects.filter(
            status__in=[Status.NEW, Status.PROCESSING, Status.SUPPLEMENT_REQUESTED, Status.DONE]
        ).values_list("code", flat=True)
    )
    assert set(OpenDossier.objects.values_list("code", flat=True)) == open_codes
    in_progress = Dossier.objects.filter(
        status__in=[Status.PROCESSING, Status.SUPPLEMENT_REQUESTED]
    ).count()
    assert sum(OpenLedger.objects.values_list("delta", flat=True)) == in_progress
    # Every in-progress dossier has exactly one active step with an assignee.
    active = DossierStep.objects.filter(status=StepStatus.ACTIVE)
    assert active.filter(assignee__isnull=True).count() == 0
    assert (
        active.values("dossier").distinct().count()
        == len(open_codes) - Dossier.objects.filter(status=Status.NEW).count()
    )

    # History is rows, not events: no dossier event; what the set-up recorded (agencies,
    # procedures...) reads back through the event catalogue.
    assert not Event.objects.filter(subject_type="dossier").exists()
    for event in Event.objects.all():
        read_payload(event.event_type, event.payload)

    # Generating twice would mix two histories: refused.
    with pytest.raises(RuntimeError, match="already has dossiers"):
        generate(GenConfig(dossiers=10, agencies=12, now=NOW), log=lambda _line: None)
