"""Incrementally maintained aggregates of the dossier events, and how they stay right.

Design
======

Where the projection runs. `egov.events.services.record_event` calls the registered projectors
(`register_projector("dossier.")` in projector.py) at its end, inside the transaction of the
state change. We chose this over a consumer that reads the log after commit because:

- exactly-once is free: the aggregates commit or roll back with the event itself; no checkpoint,
  no replay window, no double count after a crash;
- event ids are not commit-ordered (a sequence value is taken at INSERT, the commit comes later),
  so an after-commit consumer that checkpoints "last id seen" can skip an event that commits late;
  avoiding that needs gap tracking and timeouts we do not need here;
- the dashboard is right the moment a transaction commits; no lag to explain to a leader.

The cost is a few inserts per event in the writer's transaction, and the risk such designs carry
is lock contention on hot counter rows (every dossier of an agency bumping the same row, and two
chains locked in different orders: a deadlock). We avoid it by never updating a shared row on
the write path:

- counters go to `DossierDelta` / `StepDelta` as INSERTs (no unique key, no row anyone else
  holds); `compact()` (a job every minute) folds them into `DailyFact` / `MonthlyFact` and
  `StepDaily` / `StepMonthly` (and the roll-ups `AgencyDailyFact` / `AgencyMonthlyFact`,
  `UnitStep*`, `OrderStep*`, `ProcedureStep*`) with one statement per table and deletes
  exactly what it folded (PostgreSQL: one `WITH moved AS (DELETE ... RETURNING ...) INSERT ...
  ON CONFLICT DO UPDATE`, one snapshot, so a row committed meanwhile is neither lost nor counted
  twice). Readers add the few pending delta rows to the facts, so figures are exact between two
  compactions.
- the tracker row (`OpenDossier`) belongs to one dossier, whose row the service already holds
  locked: no new contention.
- in-progress dossiers on time / overdue at the end of any day come from `OpenLedger`: +1/-1
  movements between "due on day D" and "paused" buckets, dated when they happen (inserts again).
  `close_days()` snapshots the end of each finished day into `OpenDaily` and folds older ledger
  rows into one net row per bucket, so the ledger stays the size of the open set.

Scale (10 million dossiers a year): the daily fact table holds one row per (day, agency,
procedure, sector, channel) that saw any event, about 1-2 million rows a year; the monthly one
about 50 times fewer. A period is read as its whole months from `MonthlyFact` plus the days at
its ragged edges from `DailyFact`, through (agency_id, month|day) indexes; a question that filters
by neither sector nor procedure (the province, an agency subtree, the 766 index) reads the
per-agency roll-ups instead, so a province-year is a few thousand rows, never the dossiers.

Recovery: `rebuild()` (`manage.py rebuild_stats`) replays the whole log in id order in memory
(the same `projector.apply`, against `MemoryStore`) and rewrites every table. On PostgreSQL it
first takes EXCLUSIVE locks on the stats tables, so live writers wait for it and then apply their
events on top of the rebuilt state.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Case, IntegerField, Q, Sum, Value, When
from django.utils import timezone

from egov.dossiers import event_types as E
from egov.dossiers.models import Dossier
from egov.events.catalogue import read_payload
from egov.events.models import Event
from egov.workcalendar.services import VN_TZ, WorkingCalendar

from . import projector
from .models import (
    AGENCY_KEYS,
    DOSSIER_COUNTERS,
    ORDER_STEP_KEYS,
    PROCEDURE_STEP_KEYS,
    STEP_COUNTERS,
    UNIT_STEP_KEYS,
    AgencyDailyFact,
    AgencyMonthlyFact,
    DailyFact,
    DossierDelta,
    MonthlyFact,
    OpenDaily,
    OpenDossier,
    OpenLedger,
    OrderStepDaily,
    OrderStepMonthly,
    ProcedureStepDaily,
    ProcedureStepMonthly,
    StatsState,
    StepDaily,
    StepDelta,
    StepMonthly,
    UnitStepDaily,
    UnitStepMonthly,
)
from .projector import DossierInfo, StepInfo, month_of

logger = logging.getLogger("egov.stats")

DOSSIER_KEY_COLUMNS = ("agency_id", "procedure_id", "sector_id", "channel")
STEP_KEY_COLUMNS = ("agency_id", "unit_id", "procedure_id", "step_order")


def _state() -> StatsState:
    StatsState.objects.get_or_create(pk=1)
    return StatsState.objects.select_for_update().get(pk=1)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- compaction ----------------------------------------------------------------------------------


def _fold_sql(
    delta_table: str,
    delta_keys: tuple[str, ...],
    # (table, period column in the delta: "day" or "month", the table's key columns)
    targets: list[tuple[str, str, tuple[str, ...]]],
    counters: tuple[str, ...],
) -> list[str]:
    """Statements that move every delta row into the fact tables (added to existing rows)."""
    sums = ", ".join(f"SUM({c})" for c in counters)
    cols = ", ".join(counters)

    def upsert(table: str, period: str, keys: tuple[str, ...], source: str, where: str) -> str:
        key_cols = ", ".join(keys)
        updates = ", ".join(f"{c} = {table}.{c} + EXCLUDED.{c}" for c in counters)
        return (
            f"INSERT INTO {table} ({period}, {key_cols}, {cols}) "  # noqa: S608 - model names
            f"SELECT {period}, {key_cols}, {sums} FROM {source} {where} "
            f"GROUP BY {period}, {key_cols} "
            f"ON CONFLICT ({period}, {key_cols}) DO UPDATE SET {updates}"
        )

    if _is_postgres():
        moved_cols = ", ".join(["day", "month", *delta_keys, *counters])
        parts = [f"moved AS (DELETE FROM {delta_table} RETURNING {moved_cols})"]  # noqa: S608
        for i, (table, period, keys) in enumerate(targets[:-1]):
            parts.append(f"t{i} AS ({upsert(table, period, keys, 'moved', '')} RETURNING 1)")
        table, period, keys = targets[-1]
        return [f"WITH {', '.join(parts)} {upsert(table, period, keys, 'moved', '')}"]
    # SQLite serialises writers: within this transaction nothing commits between the statements.
    statements = [
        upsert(table, period, keys, delta_table, "WHERE 1") for table, period, keys in targets
    ]
    statements.append(f"DELETE FROM {delta_table}")  # noqa: S608 - a model's table name
    return statements


def compact() -> int:
    """Fold pending counter increments into the daily and monthly tables and their roll-ups.
    Returns how many delta rows there were (roughly: they may grow while we fold)."""
    with transaction.atomic():
        state = _state()
        pending = DossierDelta.objects.count() + StepDelta.objects.count()
        if pending:
            statements = _fold_sql(
                DossierDelta._meta.db_table,
                DOSSIER_KEY_COLUMNS,
                [
                    (DailyFact._meta.db_table, "day", DOSSIER_KEY_COLUMNS),
                    (MonthlyFact._meta.db_table, "month", DOSSIER_KEY_COLUMNS),
                    (AgencyDailyFact._meta.db_table, "day", AGENCY_KEYS),
                    (AgencyMonthlyFact._meta.db_table, "month", AGENCY_KEYS),
                ],
                DOSSIER_COUNTERS,
            ) + _fold_sql(
                StepDelta._meta.db_table,
                STEP_KEY_COLUMNS,
                [
                    (StepDaily._meta.db_table, "day", STEP_KEY_COLUMNS),
                    (StepMonthly._meta.db_table, "month", STEP_KEY_COLUMNS),
                    (UnitStepDaily._meta.db_table, "day", UNIT_STEP_KEYS),
                    (UnitStepMonthly._meta.db_table, "month", UNIT_STEP_KEYS),
                    (OrderStepDaily._meta.db_table, "day", ORDER_STEP_KEYS),
                    (OrderStepMonthly._meta.db_table, "month", ORDER_STEP_KEYS),
                    (ProcedureStepDaily._meta.db_table, "day", PROCEDURE_STEP_KEYS),
                    (ProcedureStepMonthly._meta.db_table, "month", PROCEDURE_STEP_KEYS),
                ],
                STEP_COUNTERS,
            )
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
        state.compacted_at = timezone.now()
        state.save(update_fields=["compacted_at"])
    return pending


ROLLUPS: list[
    tuple[type[models.Model], type[models.Model], str, tuple[str, ...], tuple[str, ...]]
] = [
    # (roll-up, fine table it sums, period column, its key, its counters)
    (AgencyDailyFact, DailyFact, "day", AGENCY_KEYS, DOSSIER_COUNTERS),
    (AgencyMonthlyFact, MonthlyFact, "month", AGENCY_KEYS, DOSSIER_COUNTERS),
    (UnitStepDaily, StepDaily, "day", UNIT_STEP_KEYS, STEP_COUNTERS),
    (UnitStepMonthly, StepMonthly, "month", UNIT_STEP_KEYS, STEP_COUNTERS),
    (OrderStepDaily, StepDaily, "day", ORDER_STEP_KEYS, STEP_COUNTERS),
    (OrderStepMonthly, StepMonthly, "month", ORDER_STEP_KEYS, STEP_COUNTERS),
    (ProcedureStepDaily, StepDaily, "day", PROCEDURE_STEP_KEYS, STEP_COUNTERS),
    (ProcedureStepMonthly, StepMonthly, "month", PROCEDURE_STEP_KEYS, STEP_COUNTERS),
]


def rebuild_rollups() -> None:
    """Recompute the roll-ups from the fine fact tables (after a rebuild or a bulk load)."""
    with transaction.atomic(), connection.cursor() as cursor:
        for rollup, source, period, keys, counters in ROLLUPS:
            rollup._default_manager.all().delete()
            key_cols = ", ".join(keys)
            cursor.execute(
                f"INSERT INTO {rollup._meta.db_table} "  # noqa: S608 - model names
                f"({period}, {key_cols}, {', '.join(counters)}) "
                f"SELECT {period}, {key_cols}, {', '.join(f'SUM({c})' for c in counters)} "
                f"FROM {source._meta.db_table} GROUP BY {period}, {key_cols}"
            )


# --- closing days: in-progress dossiers at the end of each day --------------------------------


def open_at_end_of(day: date, rows: Iterable[OpenLedger] | None = None) -> list[dict[str, Any]]:
    """In-progress dossiers at the end of `day`, per (agency, procedure, sector, channel), from
    the ledger rows dated up to that day."""
    qs = OpenLedger.objects.filter(day__lte=day)
    return [
        r
        for r in qs.values(*DOSSIER_KEY_COLUMNS).annotate(**ledger_sums(day)).order_by()
        if r["on_time"] or r["overdue"] or r["paused"]
    ]


def ledger_sums(day: date) -> dict[str, Sum]:
    """The in-progress counts at the end of `day` as sums over OpenLedger rows dated up to it,
    judged with `day` as their end (deadlines.ended_in_time): a due day on or after `day` is on
    time, before it overdue; paused rows have no due day, or PAUSED_LATE_DAY when they were
    already late as the wait began."""
    paused_late = Q(due_day=projector.PAUSED_LATE_DAY)

    def total(condition: Q) -> Sum:
        return Sum(
            Case(When(condition, then="delta"), default=Value(0)), output_field=IntegerField()
        )

    return {
        "on_time": total(Q(due_day__gte=day)),
        "overdue": total(Q(due_day__lt=day) & ~paused_late),
        "paused": total(Q(due_day__isnull=True) | paused_late),
        "paused_late": total(paused_late),
    }


def _fold_ledger(through: date) -> None:
    """Replace the ledger rows dated up to `through` by one net row per bucket (dated
    `through`); buckets that net to zero (dossiers that came and went) disappear."""
    table = OpenLedger._meta.db_table
    keys = ", ".join(DOSSIER_KEY_COLUMNS)
    if _is_postgres():
        sql = (
            f"WITH moved AS (DELETE FROM {table} WHERE day <= %s "  # noqa: S608 - model names
            f"RETURNING {keys}, due_day, delta) "
            f"INSERT INTO {table} (day, {keys}, due_day, delta) "
            f"SELECT %s, {keys}, due_day, SUM(delta) FROM moved "
            f"GROUP BY {keys}, due_day HAVING SUM(delta) <> 0"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [through, through])
        return
    rows = list(
        OpenLedger.objects.filter(day__lte=through)
        .values(*DOSSIER_KEY_COLUMNS, "due_day")
        .annotate(net=Sum("delta"))
        .order_by()
    )
    OpenLedger.objects.filter(day__lte=through).delete()
    OpenLedger.objects.bulk_create(
        OpenLedger(
            day=through,
            due_day=r["due_day"],
            delta=r["net"],
            **{k: r[k] for k in DOSSIER_KEY_COLUMNS},
        )
        for r in rows
        if r["net"]
    )


def yesterday() -> date:
    return timezone.localdate() - timedelta(days=1)


def close_days(until: date | None = None) -> int:
    """Snapshot the end of every day not yet closed, up to `until` (default: yesterday), into
    OpenDaily. Returns how many days were closed. Idempotent."""
    until = until or yesterday()
    with transaction.atomic():
        state = _state()
        if state.closed_through is not None:
            start = state.closed_through + timedelta(days=1)
        else:
            first = OpenLedger.objects.order_by("day").values_list("day", flat=True).first()
            start = first or until + timedelta(days=1)
        closed = 0
        day = start
        while day <= until:
            OpenDaily.objects.filter(day=day).delete()
            OpenDaily.objects.bulk_create(OpenDaily(day=day, **row) for row in open_at_end_of(day))
            closed += 1
            day += timedelta(days=1)
        if closed:
            _fold_ledger(until)
        if state.closed_through is None or until > state.closed_through:
            state.closed_through = until
            state.save(update_fields=["closed_through"])
    return closed


def maintain() -> tuple[int, int]:
    """The periodic job: fold counters, close finished days."""
    return compact(), close_days()


# --- rebuild from the event log -------------------------------------------------------------------


# The events whose finished step the projector looks up (`Store.step`, by the payload's step_id).
STEP_FINISHING = frozenset({E.FORWARDED.name, E.APPROVED.name, E.SENT_BACK.name})


@dataclass
class MemoryStore:
    """`projector.Store` in memory, for the replay of the whole log."""

    infos: dict[str, DossierInfo] = field(default_factory=dict)
    trackers: dict[str, OpenDossier] = field(default_factory=dict)
    daily: dict[tuple[Any, ...], list[int]] = field(default_factory=lambda: defaultdict(_zeros))
    steps: dict[tuple[Any, ...], list[int]] = field(
        default_factory=lambda: defaultdict(_step_zeros)
    )
    # Ledger movements per day: {day: {(agency, procedure, sector, channel, due_day): delta}}.
    movements: dict[date, dict[tuple[Any, ...], int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    step_rows: dict[int, StepInfo] = field(default_factory=dict)
    calendars: dict[int, WorkingCalendar] = field(default_factory=dict)
    pauses: dict[int, list[tuple[Any, int]]] = field(default_factory=dict)

    def prefetch(self, events: list[Event]) -> None:
        """Load the dossier rows (and finished step rows) a batch of events will need."""
        codes = {e.subject_id for e in events} - self.infos.keys()
        for chunk in _chunks(sorted(codes), 500):
            for row in Dossier.objects.filter(code__in=chunk).values(
                *projector.DOSSIER_INFO_FIELDS
            ):
                self.infos[row["code"]] = projector.dossier_info(row)
        done = [
            self.infos[e.subject_id].id
            for e in events
            if e.event_type == E.DONE.name and e.subject_id in self.infos
        ]
        if done:
            from egov.onestop.models import SupplementRequest

            for chunk in _chunks(sorted(set(done)), 500):
                for dossier_id in chunk:
                    self.pauses[dossier_id] = []
                for dossier_id, requested_at, seconds in SupplementRequest.objects.filter(
                    dossier_id__in=chunk, answered_at__isnull=False
                ).values_list("dossier_id", "requested_at", "paused_seconds"):
                    self.pauses[dossier_id].append((requested_at, seconds))
        step_ids = {
            read_payload(e.event_type, e.payload).step_id
            for e in events
            if e.event_type in STEP_FINISHING
        } - self.step_rows.keys()
        if step_ids:
            from egov.onestop.models import DossierStep

            for chunk in _chunks(sorted(step_ids), 500):
                for row in DossierStep.objects.filter(pk__in=chunk).values(
                    "pk", *projector.STEP_INFO_FIELDS
                ):
                    self.step_rows[row["pk"]] = projector.step_info(row)

    def forget(self, keep: set[str]) -> None:
        """Drop cached rows no longer needed (bounded memory on a long log)."""
        self.infos = {c: i for c, i in self.infos.items() if c in keep}
        self.step_rows = {}
        self.pauses = {}

    def dossier(self, code: str) -> DossierInfo | None:
        if code not in self.infos:
            row = Dossier.objects.filter(code=code).values(*projector.DOSSIER_INFO_FIELDS).first()
            if row is None:
                return None
            self.infos[code] = projector.dossier_info(row)
        return self.infos[code]

    def tracker(self, code: str) -> OpenDossier | None:
        return self.trackers.get(code)

    def save_tracker(self, track: OpenDossier, created: bool) -> None:
        self.trackers[track.code] = track

    def delete_tracker(self, track: OpenDossier) -> None:
        self.trackers.pop(track.code, None)

    def add(self, day: date, key: tuple[int, int, int, int], counters: dict[str, int]) -> None:
        row = self.daily[(day, *key)]
        for name, value in counters.items():
            row[_COUNTER_INDEX[name]] += value

    def ledger(
        self, day: date, key: tuple[int, int, int, int], due_day: date | None, delta: int
    ) -> None:
        self.movements[day][(*key, due_day)] += delta

    def add_step(self, day: date, key: tuple[int, int, int, int], counters: dict[str, int]) -> None:
        row = self.steps[(day, *key)]
        for name, value in counters.items():
            row[_STEP_INDEX[name]] += value

    def step(self, step_id: int | None, dossier_id: int, order: int | None) -> StepInfo | None:
        if step_id and step_id in self.step_rows:
            return self.step_rows[step_id]
        return projector.LiveStore().step(step_id, dossier_id, order)

    def active_step(self, dossier_id: int) -> StepInfo | None:
        return None  # the current step of each open dossier is read once, after the replay

    def calendar(self, agency_id: int) -> WorkingCalendar:
        if agency_id not in self.calendars:
            self.calendars[agency_id] = WorkingCalendar.for_agency(agency_id)
        return self.calendars[agency_id]

    def paused_seconds(self, info: DossierInfo) -> int:
        if info.id not in self.pauses:
            return projector.paused_seconds_of(info)
        if info.received_at is None:
            return 0
        return sum(s for at, s in self.pauses[info.id] if at >= info.received_at)

    def close(self, last: date) -> tuple[list[OpenDaily], dict[tuple[Any, ...], int]]:
        """Replay the ledger movements day by day, like the live `close_days`: the in-progress
        dossiers at the end of every day up to `last`, and the open set after all movements."""
        running: dict[tuple[Any, ...], int] = defaultdict(int)
        snapshots: list[OpenDaily] = []
        days = sorted(self.movements)
        if not days:
            return snapshots, running
        day = days[0]
        while day <= last or (days and day <= days[-1]):
            for bucket_key, delta in self.movements.get(day, {}).items():
                running[bucket_key] += delta
            if day <= last:
                snapshots.extend(_snapshot(day, running))
            day += timedelta(days=1)
        return snapshots, {k: n for k, n in running.items() if n}


def _snapshot(day: date, counts: dict[tuple[Any, ...], int]) -> list[OpenDaily]:
    groups: dict[tuple[int, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (*key, due), count in counts.items():
        if not count:
            continue
        if due == projector.PAUSED_LATE_DAY:
            groups[tuple(key)][3] += count
            slot = 2
        else:
            slot = 2 if due is None else (0 if due >= day else 1)  # due that day: on time
        groups[tuple(key)][slot] += count
    return [
        OpenDaily(
            day=day,
            agency_id=k[0],
            procedure_id=k[1],
            sector_id=k[2],
            channel=k[3],
            on_time=v[0],
            overdue=v[1],
            paused=v[2],
            paused_late=v[3],
        )
        for k, v in groups.items()
        if any(v)
    ]


def _zeros() -> list[int]:
    return [0] * len(DOSSIER_COUNTERS)


def _step_zeros() -> list[int]:
    return [0] * len(STEP_COUNTERS)


_COUNTER_INDEX = {name: i for i, name in enumerate(DOSSIER_COUNTERS)}
_STEP_INDEX = {name: i for i, name in enumerate(STEP_COUNTERS)}


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _events(batch: int) -> Iterator[list[Event]]:
    last = 0
    while True:
        page = list(
            Event.objects.filter(subject_type="dossier", id__gt=last)
            .only("id", "occurred_at", "event_type", "subject_id", "payload")
            .order_by("id")[:batch]
        )
        if not page:
            return
        yield page
        last = page[-1].id


STATS_TABLES = (
    OpenDossier,
    DossierDelta,
    StepDelta,
    OpenLedger,
    DailyFact,
    MonthlyFact,
    AgencyDailyFact,
    AgencyMonthlyFact,
    StepDaily,
    StepMonthly,
    UnitStepDaily,
    UnitStepMonthly,
    OrderStepDaily,
    OrderStepMonthly,
    ProcedureStepDaily,
    ProcedureStepMonthly,
    OpenDaily,
)


@dataclass
class RebuildReport:
    events: int = 0
    open_dossiers: int = 0
    daily_rows: int = 0
    days_closed: int = 0


def rebuild(*, batch: int = 5000, today: date | None = None) -> RebuildReport:
    """Recompute every aggregate from the event log, in one transaction."""
    today = today or timezone.localdate()
    report = RebuildReport()
    store = MemoryStore()
    with transaction.atomic():
        if _is_postgres():
            with connection.cursor() as cursor:
                for model in STATS_TABLES:
                    cursor.execute(f"LOCK TABLE {model._meta.db_table} IN EXCLUSIVE MODE")
        state = _state()
        for page in _events(batch):
            store.prefetch(page)
            for event in page:
                projector.apply(event, store)
                report.events += 1
            store.forget(set(store.trackers))
        last_closed = today - timedelta(days=1)
        snapshots, open_counts = store.close(last_closed)

        for model in STATS_TABLES:
            model.objects.all().delete()
        _write_facts(store)
        rebuild_rollups()
        OpenDaily.objects.bulk_create(snapshots, batch_size=2000)
        _write_trackers(store)
        OpenLedger.objects.bulk_create(
            (
                OpenLedger(
                    day=today,
                    agency_id=k[0],
                    procedure_id=k[1],
                    sector_id=k[2],
                    channel=k[3],
                    due_day=k[4],
                    delta=n,
                )
                for k, n in open_counts.items()
            ),
            batch_size=2000,
        )
        state.closed_through = last_closed
        state.compacted_at = state.rebuilt_at = timezone.now()
        state.save()
        report.open_dossiers = len(store.trackers)
        report.daily_rows = len(store.daily)
        report.days_closed = len({s.day for s in snapshots})
    return report


def _write_facts(store: MemoryStore) -> None:
    monthly: dict[tuple[Any, ...], list[int]] = defaultdict(_zeros)
    daily_rows = []
    for (day, *key), values in store.daily.items():
        daily_rows.append(
            DailyFact(day=day, **_key(key), **dict(zip(DOSSIER_COUNTERS, values, strict=True)))
        )
        target = monthly[(month_of(day), *key)]
        for i, v in enumerate(values):
            target[i] += v
    DailyFact.objects.bulk_create(daily_rows, batch_size=2000)
    MonthlyFact.objects.bulk_create(
        (
            MonthlyFact(month=m, **_key(key), **dict(zip(DOSSIER_COUNTERS, v, strict=True)))
            for (m, *key), v in monthly.items()
        ),
        batch_size=2000,
    )
    step_monthly: dict[tuple[Any, ...], list[int]] = defaultdict(_step_zeros)
    step_rows = []
    for (day, *key), values in store.steps.items():
        step_rows.append(
            StepDaily(day=day, **_step_key(key), **dict(zip(STEP_COUNTERS, values, strict=True)))
        )
        target = step_monthly[(month_of(day), *key)]
        for i, v in enumerate(values):
            target[i] += v
    StepDaily.objects.bulk_create(step_rows, batch_size=2000)
    StepMonthly.objects.bulk_create(
        (
            StepMonthly(month=m, **_step_key(key), **dict(zip(STEP_COUNTERS, v, strict=True)))
            for (m, *key), v in step_monthly.items()
        ),
        batch_size=2000,
    )


def _key(key: list[Any]) -> dict[str, Any]:
    return dict(zip(DOSSIER_KEY_COLUMNS, key, strict=True))


def _step_key(key: list[Any]) -> dict[str, Any]:
    return dict(zip(STEP_KEY_COLUMNS, key, strict=True))


def _write_trackers(store: MemoryStore) -> None:
    """The open dossiers, with where each one is now (its active step row)."""
    from egov.onestop.models import DossierStep, StepStatus

    trackers = list(store.trackers.values())
    by_id = {t.dossier_id: t for t in trackers}
    for chunk in _chunks(sorted(by_id), 500):
        for row in DossierStep.objects.filter(
            dossier_id__in=chunk, status=StepStatus.ACTIVE
        ).values("dossier_id", *projector.STEP_INFO_FIELDS):
            projector.set_current_step(by_id[row["dossier_id"]], projector.step_info(row))
    OpenDossier.objects.bulk_create(trackers, batch_size=2000)


def live_open_filter(now: Any) -> dict[str, Q]:
    """Conditions on OpenDossier for the live in-progress figures at `now`."""
    in_progress = Q(received_at__isnull=False, ended=False)
    paused = in_progress & Q(paused_since__isnull=False)
    running = in_progress & Q(paused_since__isnull=True)
    forced = Q(ledger_due=projector.LATE_DAY)
    # By date (deadlines.ended_in_time): due today is still on time until the day is over.
    today = datetime.combine(timezone.localdate(now), time.min, VN_TZ)
    overdue = running & (forced | Q(appointment_at__lt=today))
    on_time = running & ~forced & (Q(appointment_at__gte=today) | Q(appointment_at__isnull=True))
    return {
        "waiting": Q(received_at__isnull=True),
        "on_time": on_time,
        "overdue": overdue,
        "paused": paused,
        "paused_late": paused & Q(paused_late=True),
        "to_return": Q(ended=True),
    }
