"""The read side: every figure of the dashboard, the 766 index and the public page, read from the
aggregate tables (never from the dossiers), through `visible_to`, in a fixed number of queries
whatever the data size.

A period is read as its whole months from MonthlyFact, its ragged edges from DailyFact, plus the
counter increments not yet compacted (DossierDelta); in-progress figures come from the tracker
(now), from OpenDaily (the end of a closed day) or from the ledger (a day not closed yet).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Model, Q, QuerySet, Sum
from django.utils import timezone

from egov.catalog.models import OnlineMode, Procedure, ProcessStep, Sector
from egov.core.actors import Actor
from egov.core.errors import NotFoundError
from egov.core.scoping import visible_to
from egov.dossiers.models import Channel
from egov.org.models import Unit

from .aggregates import ledger_sums, live_open_filter
from .models import (
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
from .periods import Period, split
from .scopes import agency_scope
from .tree import AgencyTree, agency_tree

OPEN_FIELDS = ("on_time", "overdue", "paused", "paused_late", "waiting", "to_return")
ROLLUP_FIELDS = {"agency_id", "channel", "day", "month"}


@dataclass(frozen=True)
class Selection:
    """What a page asks about: agencies (None = all), optional sector/procedure/channel, dates."""

    actor: Actor
    agency_ids: frozenset[int] | None
    period: Period
    agency_id: int | None = None  # the agency picked in the filter (its subtree is agency_ids)
    sector_id: int | None = None
    procedure_id: int | None = None
    channel: int | None = None

    @property
    def start(self) -> date:
        return self.period.start

    @property
    def end(self) -> date:
        return self.period.end

    def key_filter(self, agency_field: str = "agency_id") -> Q:
        q = Q()
        if self.agency_ids is not None:
            q &= Q(**{f"{agency_field}__in": sorted(self.agency_ids)})
        if self.sector_id:
            q &= Q(sector_id=self.sector_id)
        if self.procedure_id:
            q &= Q(procedure_id=self.procedure_id)
        if self.channel:
            q &= Q(channel=self.channel)
        return q

    def narrowed(self, agency_ids: frozenset[int] | None) -> Selection:
        return Selection(
            actor=self.actor,
            agency_ids=agency_ids,
            period=self.period,
            agency_id=self.agency_id,
            sector_id=self.sector_id,
            procedure_id=self.procedure_id,
            channel=self.channel,
        )


def select(
    actor: Actor,
    period: Period,
    *,
    agency_id: int | None = None,
    sector_id: int | None = None,
    procedure_id: int | None = None,
    channel: int | None = None,
) -> Selection:
    """Resolve a filter against what the actor may see (NotAllowed / NotFoundError otherwise)."""
    scope = agency_scope(actor)
    tree = agency_tree()
    ids: frozenset[int] | None = scope
    if agency_id is not None:
        if agency_id not in tree.nodes or (scope is not None and agency_id not in scope):
            raise NotFoundError("Không tìm thấy cơ quan trong phạm vi được xem.")
        ids = frozenset(tree.subtree(agency_id))
    if channel is not None and channel not in Channel.values:
        channel = None
    return Selection(actor, ids, period, agency_id, sector_id, procedure_id, channel)


# --- figures -------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Sums of the counters over a selection, the in-progress counts, and what derives from them."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    if TYPE_CHECKING:
        # Each counter reads as an attribute (figs.received); the properties are set below.
        def __getattr__(self, name: str) -> int: ...

    def add(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            self.counts[name] += int(value or 0)

    def add_values(self, values: Iterable[Any]) -> None:
        """FACT_SUMS in order, as a row of fact_sums gives them."""
        counts = self.counts
        for name, value in zip(FACT_SUMS, values, strict=True):
            if value:
                counts[name] += int(value)

    @property
    def resolved(self) -> int:
        return self.resolved_early + self.resolved_on_time + self.resolved_late

    @property
    def resolved_in_time(self) -> int:
        return self.resolved_early + self.resolved_on_time

    @property
    def in_progress(self) -> int:
        return self.on_time + self.overdue + self.paused

    @property
    def cancelled(self) -> int:
        """Received dossiers withdrawn or stopped in the period."""
        return self.cancelled_in_time + self.cancelled_late

    @property
    def handled(self) -> int:
        """The 766 denominator (domain reference §4, "On time or late"): every dossier whose
        processing ended in the period (done, withdrawn or stopped after reception) plus every
        one still open at its end, running or waiting for a supplement (judged with the period's
        last day as its end, the wait not counted)."""
        return self.resolved + self.cancelled + self.on_time + self.overdue + self.paused

    @property
    def handled_in_time(self) -> int:
        paused_in_time = self.paused - self.paused_late
        return self.resolved_in_time + self.cancelled_in_time + self.on_time + paused_in_time

    @property
    def ratings(self) -> int:
        return sum(self.counts.get(f"rating_{i}", 0) for i in range(1, 6))

    @property
    def satisfied(self) -> int:
        return self.rating_4 + self.rating_5

    @property
    def dissatisfied(self) -> int:
        return self.rating_1 + self.rating_2

    @property
    def on_time_rate(self) -> float | None:
        return ratio(self.handled_in_time, self.handled)

    @property
    def resolved_on_time_rate(self) -> float | None:
        return ratio(self.resolved_in_time, self.resolved)

    @property
    def online_share(self) -> float | None:
        return ratio(self.received_online, self.received)

    @property
    def satisfaction_rate(self) -> float | None:
        return ratio(self.satisfied, self.ratings)

    @property
    def avg_handling_days(self) -> float | None:
        """Average working days from reception to the end of processing, each dossier's time
        in days of its agency's calendar (handling_millidays)."""
        if not self.resolved:
            return None
        return self.handling_millidays / self.resolved / 1000

    @property
    def avg_legal_days(self) -> float | None:
        """Average legal time of the same dossiers, in working days."""
        if not self.resolved:
            return None
        return self.legal_millidays / self.resolved / 1000

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: getattr(self, name) for name in DOSSIER_COUNTERS}
        data.update({name: getattr(self, name) for name in OPEN_FIELDS})
        data.update(
            received_online=self.received_online,
            resolved=self.resolved,
            resolved_in_time=self.resolved_in_time,
            in_progress=self.in_progress,
            handled=self.handled,
            cancelled=self.cancelled,
            ratings=self.ratings,
            on_time_rate=self.on_time_rate,
            resolved_on_time_rate=self.resolved_on_time_rate,
            online_share=self.online_share,
            satisfaction_rate=self.satisfaction_rate,
            avg_handling_days=self.avg_handling_days,
            avg_legal_days=self.avg_legal_days,
        )
        return data


def _counter(name: str) -> property:
    return property(lambda self: self.counts.get(name, 0), doc=name)


# Real properties, not __getattr__: the 766 page reads a hundred thousand of them per request.
for _name in (*DOSSIER_COUNTERS, *OPEN_FIELDS, "received_online"):
    setattr(Figures, _name, _counter(_name))


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _scoped(actor: Actor, model: type[Model]) -> QuerySet[Any]:
    return visible_to(actor, model._default_manager.all())


def _sums(counters: Iterable[str]) -> dict[str, Any]:
    return {c: Sum(c) for c in counters}


def _grouped(qs: QuerySet[Any], by: tuple[str, ...], **annotations: Any) -> list[dict[str, Any]]:
    """Rows of `by` with the annotations; one row of totals when `by` is empty."""
    if not by:
        return [qs.aggregate(**annotations)]
    return list(qs.values(*by).annotate(**annotations).order_by())


FACT_SUMS = (*DOSSIER_COUNTERS, "received_online")


def _fact_annotations() -> dict[str, Any]:
    # Online receptions summed in SQL rather than grouping every row by channel too; first, so
    # that "received" still means the column and not the annotation of the same name.
    return {
        "received_online": Sum("received", filter=Q(channel=Channel.ONLINE)),
        **_sums(DOSSIER_COUNTERS),
    }


def fact_sums(sel: Selection, by: tuple[str, ...] = ()) -> dict[tuple[Any, ...], Figures]:
    """Counter sums over the selection's period, grouped by `by` (key columns, and "day" or
    "month" for a trend). At most three queries."""
    key_q = sel.key_filter()
    # Without a sector or procedure in the question, the per-agency roll-ups hold the same sums
    # in far fewer rows.
    coarse = not (sel.sector_id or sel.procedure_id) and set(by) <= ROLLUP_FIELDS
    daily, monthly = (AgencyDailyFact, AgencyMonthlyFact) if coarse else (DailyFact, MonthlyFact)
    sources: list[tuple[QuerySet[Any], tuple[str, ...]]] = []
    daily_fields = tuple("day" if f == "month" else f for f in by)
    if "day" in by:
        days = Q(day__gte=sel.start, day__lte=sel.end)
        sources.append((_scoped(sel.actor, daily).filter(key_q & days), by))
    else:
        months, ragged = split(sel.start, sel.end)
        if months:
            sources.append((_scoped(sel.actor, monthly).filter(key_q, month__in=months), by))
        if ragged:
            edges = reduce(or_, (Q(day__gte=a, day__lte=b) for a, b in ragged))
            sources.append((_scoped(sel.actor, daily).filter(key_q & edges), daily_fields))
    pending = Q(day__gte=sel.start, day__lte=sel.end)
    sources.append((_scoped(sel.actor, DossierDelta).filter(key_q & pending), daily_fields))

    result: dict[tuple[Any, ...], Figures] = defaultdict(Figures)
    month_at = by.index("month") if "month" in by else None
    for qs, fields in sources:
        if fields:
            rows = qs.values(*fields).annotate(**_fact_annotations()).order_by()
            tuples = rows.values_list(*fields, *FACT_SUMS)
        else:
            total = qs.aggregate(**_fact_annotations())
            tuples = [tuple(total[c] for c in FACT_SUMS)]
        width = len(fields)
        for row in tuples:
            group = row[:width]
            if month_at is not None and fields[month_at] == "day":  # a daily source
                group = (*group[:month_at], group[month_at].replace(day=1), *group[month_at + 1 :])
            result[group].add_values(row[width:])
    return result


def _closed_through() -> date | None:
    return StatsState.objects.filter(pk=1).values_list("closed_through", flat=True).first()


def open_sums(
    sel: Selection, by: tuple[str, ...] = (), now: datetime | None = None
) -> dict[tuple[Any, ...], Figures]:
    """In-progress dossiers: now when the period reaches today, else at the end of its last day.
    One query (two when the day is not closed yet)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    key_q = sel.key_filter()
    result: dict[tuple[Any, ...], Figures] = defaultdict(Figures)
    if sel.end >= today:
        conditions = live_open_filter(now)
        rows = _grouped(
            _scoped(sel.actor, OpenDossier).filter(key_q),
            by,
            **{name: Count("pk", filter=cond) for name, cond in conditions.items()},
        )
    else:
        closed = _closed_through()
        if closed is not None and sel.end <= closed:
            rows = _grouped(
                _scoped(sel.actor, OpenDaily).filter(key_q, day=sel.end),
                by,
                **_sums(("on_time", "overdue", "paused", "paused_late")),
            )
        else:
            rows = _grouped(
                _scoped(sel.actor, OpenLedger).filter(key_q, day__lte=sel.end),
                by,
                **ledger_sums(sel.end),
            )
    for row in rows:
        result[tuple(row[f] for f in by)].add({k: v for k, v in row.items() if k not in by})
    return result


def total(parts: Iterable[Figures]) -> Figures:
    """The sum of several figures (the agencies of a selection give the selection's)."""
    result = Figures()
    for part in parts:
        result.add(part.counts)
    return result


def figures(sel: Selection, now: datetime | None = None) -> Figures:
    """Everything about one selection, in four queries."""
    return total([*fact_sums(sel).values(), *open_sums(sel, now=now).values()])


def trend(sel: Selection) -> list[dict[str, Any]]:
    """Received, resolved and the share resolved in time, per day or per month."""
    grain = sel.period.grain
    rows = fact_sums(sel, (grain,))
    points = []
    for (bucket,), figs in sorted(rows.items()):
        points.append(
            {
                "period": bucket.isoformat(),
                "label": f"{bucket:%d/%m}" if grain == "day" else f"{bucket.month}/{bucket.year}",
                "received": figs.received,
                "resolved": figs.resolved,
                "resolved_late": figs.resolved_late,
                "on_time_rate": _pct(figs.resolved_on_time_rate),
            }
        )
    return points


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 2)


# --- agencies: ranking and tree ----------------------------------------------------------------


def top_agencies(sel: Selection, tree: AgencyTree) -> list[tuple[int, bool]]:
    """The agencies a ranking compares, each with "only its own dossiers" (True for the parent
    shown next to its children) or "with everything below it" (False)."""
    if sel.agency_id is not None:
        top = [sel.agency_id]
    elif sel.agency_ids is None:
        top = tree.roots()
    else:
        top = sorted(a for a in sel.agency_ids if tree.nodes[a].parent_id not in sel.agency_ids)
    if len(top) != 1:
        return [(a, False) for a in top]
    children = tree.children(top[0])
    if not children:
        return [(top[0], False)]
    return [(c, False) for c in children] + [(top[0], True)]


def by_agency(sel: Selection, now: datetime | None = None) -> dict[int, Figures]:
    """Figures per agency (not rolled up), in four queries."""
    result: dict[int, Figures] = defaultdict(Figures)
    for (agency_id,), figs in fact_sums(sel, ("agency_id",)).items():
        result[agency_id].add(figs.counts)
    for (agency_id,), figs in open_sums(sel, ("agency_id",), now=now).items():
        result[agency_id].add(figs.counts)
    return result


def roll_up(per_agency: dict[int, Figures], tree: AgencyTree, top: int, only_self: bool) -> Figures:
    members = {top} if only_self else tree.subtree(top)
    return total(per_agency[a] for a in members if a in per_agency)


def ranking(
    sel: Selection, now: datetime | None = None, per_agency: dict[int, Figures] | None = None
) -> list[dict[str, Any]]:
    """The compared agencies (each with everything below it), best on-time rate first."""
    tree = agency_tree()
    per_agency = by_agency(sel, now) if per_agency is None else per_agency
    rows = []
    for agency_id, only_self in top_agencies(sel, tree):
        figs = roll_up(per_agency, tree, agency_id, only_self)
        if only_self and not (figs.received or figs.handled):
            continue
        name, label = tree.name(agency_id), tree.label(agency_id)
        rows.append(
            {
                "agency_id": agency_id,
                "name": f"{name} (trực tiếp)" if only_self else name,
                # For charts: short, naming the place ("UBND phường Hạ Long"); never the bare
                # abbreviation, which reads "UBND" for every People's Committee.
                "label": f"{label} (trực tiếp)" if only_self else label,
                "abbreviation": tree.nodes[agency_id].abbreviation,
                "only_self": only_self,
                "figures": figs,
                "received": figs.received,
                "resolved": figs.resolved,
                "handled": figs.handled,
                "overdue": figs.overdue,
                "on_time_rate": _pct(figs.on_time_rate),
            }
        )
    rows.sort(key=_rank_key)
    return rows


def _rank_key(row: dict[str, Any]) -> tuple[bool, float, str]:
    rate = row["on_time_rate"]
    return (rate is None, -float(rate or 0), str(row["name"]))


def agency_treemap(
    sel: Selection, now: datetime | None = None, per_agency: dict[int, Figures] | None = None
) -> list[dict[str, Any]]:
    """The agency tree under the selection, each node sized by dossiers received and carrying its
    on-time rate (for the treemap chart)."""
    tree = agency_tree()
    per_agency = by_agency(sel, now) if per_agency is None else per_agency
    visible = sel.agency_ids

    def node(agency_id: int, depth: int) -> dict[str, Any]:
        own = per_agency.get(agency_id, Figures())
        total = roll_up(per_agency, tree, agency_id, only_self=False)
        children = [c for c in tree.children(agency_id) if visible is None or c in visible]
        item: dict[str, Any] = {
            "id": agency_id,
            "name": tree.label(agency_id),
            "full_name": tree.name(agency_id),
            "value": max(total.received, 0),
            "on_time_rate": _pct(total.on_time_rate),
        }
        if children and depth < 4:
            kids = [node(c, depth + 1) for c in children]
            if own.received:
                kids.append(
                    {
                        "id": agency_id,
                        "name": f"{item['name']} (trực tiếp)",
                        "full_name": tree.name(agency_id),
                        "value": own.received,
                        "on_time_rate": _pct(own.on_time_rate),
                    }
                )
            item["children"] = [k for k in kids if k["value"]]
        return item

    if sel.agency_id is not None:
        tops = [sel.agency_id]
    elif visible is None:
        tops = tree.roots()
    else:
        tops = [a for a in visible if tree.nodes[a].parent_id not in visible]
    return [n for n in (node(a, 0) for a in sorted(tops)) if n["value"]]


# --- where time is lost: steps and units --------------------------------------------------------


def _procedures_in_sector(sector_id: int) -> list[int]:
    return list(Procedure.objects.filter(sector_id=sector_id).values_list("id", flat=True))


def _step_tables(sel: Selection, by: tuple[str, ...]) -> tuple[type[Model], type[Model]]:
    """The smallest step tables (daily, monthly) that hold the grouping asked for."""
    if sel.agency_ids is None and set(by) <= set(PROCEDURE_STEP_KEYS):
        return ProcedureStepDaily, ProcedureStepMonthly  # keyed by procedure: any filter fits
    if not (sel.sector_id or sel.procedure_id):
        if set(by) <= set(UNIT_STEP_KEYS):
            return UnitStepDaily, UnitStepMonthly
        if set(by) <= set(ORDER_STEP_KEYS):
            return OrderStepDaily, OrderStepMonthly
    return StepDaily, StepMonthly


def step_sums(sel: Selection, by: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, int]]:
    """Finished-step counters over the period (at most three queries, one more for a sector)."""
    q = Q()
    if sel.agency_ids is not None:
        q &= Q(agency_id__in=sorted(sel.agency_ids))
    if sel.procedure_id:
        q &= Q(procedure_id=sel.procedure_id)
    elif sel.sector_id:
        q &= Q(procedure_id__in=_procedures_in_sector(sel.sector_id))
    daily, monthly = _step_tables(sel, by)
    months, ragged = split(sel.start, sel.end)
    sources: list[QuerySet[Any]] = []
    if months:
        sources.append(_scoped(sel.actor, monthly).filter(q, month__in=months))
    if ragged:
        edges = reduce(or_, (Q(day__gte=a, day__lte=b) for a, b in ragged))
        sources.append(_scoped(sel.actor, daily).filter(q & edges))
    sources.append(_scoped(sel.actor, StepDelta).filter(q, day__gte=sel.start, day__lte=sel.end))
    result: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    width = len(by)
    for qs in sources:
        rows = qs.values(*by).annotate(**_sums(STEP_COUNTERS)).order_by()
        for row in rows.values_list(*by, *STEP_COUNTERS):
            target = result[row[:width]]
            for c, value in zip(STEP_COUNTERS, row[width:], strict=True):
                target[c] += int(value or 0)
    return result


def late_steps(sel: Selection, limit: int = 10) -> dict[str, list[dict[str, Any]]]:
    """Late finished steps by unit and by procedure step, and dossiers stuck past the due time
    of their current step now, by unit."""
    tree = agency_tree()
    by_unit = step_sums(sel, ("agency_id", "unit_id"))
    by_step = step_sums(sel, ("procedure_id", "step_order"))
    now = timezone.now()
    stuck_rows = (
        _scoped(sel.actor, OpenDossier)
        .filter(
            sel.key_filter(),
            received_at__isnull=False,
            ended=False,
            paused_since__isnull=True,
            step_due_at__lt=now,
        )
        .values("step_agency_id", "step_unit_id")
        .annotate(n=Count("pk"))
        .order_by("-n")[:limit]
    )
    stuck = list(stuck_rows)
    top_units = sorted(by_unit.items(), key=lambda kv: (-kv[1]["late"], -kv[1]["finished"]))
    # Names only for the units shown.
    unit_ids = {k[1] for k, _c in top_units[:limit] if k[1]} | {
        r["step_unit_id"] for r in stuck if r["step_unit_id"]
    }
    units = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))
    unit_rows = [
        {
            "agency_id": agency_id,
            "agency": tree.name(agency_id),
            "unit_id": unit_id,
            "unit": units.get(unit_id, "—"),
            "finished": c["finished"],
            "late": c["late"],
            "late_rate": _pct(ratio(c["late"], c["finished"])),
            "overrun_hours": round(c["overrun_seconds"] / 3600, 1),
            "sent_back": c["sent_back"],
        }
        for (agency_id, unit_id), c in top_units[:limit]
        if c["late"] or c["sent_back"]
    ]
    top_steps = sorted(by_step.items(), key=lambda kv: (-kv[1]["late"], -kv[1]["finished"]))[:limit]
    procedure_ids = {p for (p, _o), _c in top_steps}
    procedures = dict(Procedure.objects.filter(pk__in=procedure_ids).values_list("pk", "name"))
    step_names = {
        (p, o): n
        for p, o, n in ProcessStep.objects.filter(
            version__procedure_id__in=procedure_ids, version__is_current=True
        ).values_list("version__procedure_id", "order", "name")
    }
    step_rows = [
        {
            "procedure_id": p,
            "procedure": procedures.get(p, f"#{p}"),
            "step_order": o,
            "step": step_names.get((p, o), f"Bước {o}"),
            "finished": c["finished"],
            "late": c["late"],
            "late_rate": _pct(ratio(c["late"], c["finished"])),
            "overrun_hours": round(c["overrun_seconds"] / 3600, 1),
        }
        for (p, o), c in top_steps
        if c["late"]
    ]
    stuck_out = [
        {
            "agency_id": r["step_agency_id"],
            "agency": tree.name(r["step_agency_id"]) if r["step_agency_id"] else "—",
            "unit_id": r["step_unit_id"],
            "unit": units.get(r["step_unit_id"], "—"),
            "count": r["n"],
        }
        for r in stuck
    ]
    return {"units": unit_rows, "steps": step_rows, "stuck": stuck_out}


# --- filter choices ------------------------------------------------------------------------------


def filter_choices(sel: Selection, *, with_procedures: bool = True) -> dict[str, Any]:
    """Agencies the actor may pick, sectors and procedures (two small queries; one without
    the procedures)."""
    tree = agency_tree()
    scope = agency_scope(sel.actor)
    agencies = []

    def walk(agency_id: int, depth: int) -> None:
        if scope is None or agency_id in scope:
            agencies.append((agency_id, "— " * depth + tree.name(agency_id)))
        for child in sorted(tree.children(agency_id), key=lambda c: tree.nodes[c].identifier):
            walk(child, depth + 1)

    for root in tree.roots():
        walk(root, 0)
    sectors = list(Sector.objects.order_by("name").values_list("pk", "name"))
    procedures = Procedure.objects.filter(is_published=True)
    if sel.sector_id:
        procedures = procedures.filter(sector_id=sel.sector_id)
    return {
        "agencies": agencies,
        "sectors": sectors,
        "procedures": (
            list(procedures.order_by("name").values_list("pk", "code", "name")[:500])
            if with_procedures
            else []
        ),
        "channels": list(Channel.choices),
    }


# --- the catalogue side of the index -------------------------------------------------------------


ONLINE_MODES = [OnlineMode.FULL, OnlineMode.PARTIAL]


def catalogue_counts(agency_ids: frozenset[int] | None) -> dict[int, dict[str, int]]:
    """Published procedures per agency, how many of them are offered online, how many have a
    fee or charge and how many of those are offered online (one query)."""
    qs = Procedure.objects.filter(is_published=True)
    if agency_ids is not None:
        qs = qs.filter(agencies__in=sorted(agency_ids))
    rows = (
        qs.values("agencies")
        .annotate(
            total=Count("pk", distinct=True),
            online=Count("pk", filter=Q(online_mode__in=ONLINE_MODES), distinct=True),
            with_fees=Count("pk", filter=Q(fees__amount__gt=0), distinct=True),
            with_fees_online=Count(
                "pk", filter=Q(fees__amount__gt=0, online_mode__in=ONLINE_MODES), distinct=True
            ),
        )
        .order_by()
    )
    return {
        r["agencies"]: {
            "total": r["total"],
            "online": r["online"],
            "fees": r["with_fees"],
            "fees_online": r["with_fees_online"],
        }
        for r in rows
        if r["agencies"] is not None
    }
