"""Scale data: province-years of dossiers bulk-loaded into PostgreSQL with COPY.

    result = generate(GenConfig(dossiers=10_000_000), log=print)

What it makes:
- the demo province (agencies, officials, the 35-procedure starter catalogue), then more
  provincial departments and commune People's Committees (real commune names: the demo
  province's communes first, then its neighbours') until there are `agencies` receiving
  agencies, each with a leadership, a one-stop desk and professional units, and officials in
  every one-stop role;
- `dossiers` dossiers arriving over `years` years up to now, spread by a power law over the
  procedures and the agencies, each run through its procedure's process version exactly as the
  one-stop engine would (same steps, same working-day calendar, same due times), with realistic
  durations: most on time, a tail late (each agency has its own diligence), supplement requests
  pausing the clock (a few asked twice), refusals, withdrawals, ratings; the most recent ones are
  still in progress, so the officials' work queues are full;
- the dashboard's read models (daily and monthly dossier and step facts, the end-of-day open
  counts, the open-dossier tracker and its ledger) computed from the same rows as they are
  written, so the dashboard shows the generated province without replaying anything.

History is loaded as a migration from a legacy system would be: rows, not events (no event is
written for generated dossiers; whatever happens to them afterwards is recorded as usual).

Speed: every moment is kept as an integer number of working seconds since the start of the
period and turned into a wall-clock time through a table of working days built from the
`WorkingCalendar`, so the calendar's rules hold without calling it per dossier; rows are
written as COPY text with the secondary indexes dropped and rebuilt afterwards.
"""

# Reproducible synthetic data (nothing secret); table names come from model metadata.
# ruff: noqa: S311, S608

from __future__ import annotations

import contextlib
import random
import time
from array import array
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.test import override_settings
from django.utils import timezone

from egov.catalog.models import OnlineMode, Procedure, ProcessVersion, TimeUnit
from egov.core.actors import SYSTEM
from egov.demo.data import DEMO_PASSWORD, commune_agency_name, load_demo
from egov.dossiers.models import Channel, Dossier, DossierCounter, Rating, Status
from egov.onestop.models import DossierStep, StepStatus, SupplementRequest
from egov.org.models import AdministrativeUnit, Agency, Official, Role, Unit
from egov.stats import aggregates as stats_aggregates
from egov.stats import models as stats
from egov.stats.models import DOSSIER_COUNTERS, STEP_COUNTERS
from egov.stats.projector import (
    DossierInfo,
    bucket,
    classify_resolved,
    repeated_supplement_is_late,
    to_millidays,
)
from egov.workcalendar.services import VN_TZ, WorkingCalendar

from .seed import FAST_HASHER

Log = Callable[[str], None]

VN_OFFSET = 7 * 3600  # Asia/Ho_Chi_Minh has no daylight saving time
DAY = 86400
NEIGHBOUR_PROVINCES = (22, 20, 31, 24)  # Quảng Ninh, Lạng Sơn, Hải Phòng, Bắc Ninh

# Extra provincial departments (numbers 7+; the demo has 1-6).
DEPARTMENTS = (
    ("Sở Công Thương", "SCT"),
    ("Sở Giáo dục và Đào tạo", "SGDĐT"),
    ("Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL"),
    ("Sở Khoa học và Công nghệ", "SKHCN"),
    ("Sở Dân tộc và Tôn giáo", "SDTTG"),
    ("Thanh tra tỉnh", "TTr"),
    ("Ban Quản lý Khu kinh tế", "BQLKKT"),
    ("Công an tỉnh", "CAT"),
)
SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Ngô",
    "Dương",
    "Lý",
    "Phan",
    "Trịnh",
    "Đinh",
    "Mai",
]
MIDDLE = ["Văn", "Thị", "Minh", "Quốc", "Thu", "Đức", "Ngọc", "Thanh", "Hữu", "Xuân"]
GIVEN = [
    "An",
    "Bình",
    "Châu",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hòa",
    "Hùng",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
]


@dataclass
class GenConfig:
    dossiers: int = 1_000_000
    years: float = 2.0
    agencies: int = 210
    seed: int = 2026
    now: datetime | None = None
    batch: int = 20_000
    online_share: float = 0.45  # of dossiers for fully online procedures
    late_share: float = 0.06  # average share of steps that overrun their budget
    supplement_share: float = 0.07
    second_supplement_share: float = 0.08  # of dossiers that had one
    refused_share: float = 0.02  # of online submissions
    withdrawn_share: float = 0.004
    rating_share: float = 0.12


@dataclass
class GenResult:
    dossiers: int = 0
    steps: int = 0
    supplements: int = 0
    ratings: int = 0
    open_dossiers: int = 0
    agencies: int = 0
    officials: int = 0
    procedures: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


# --- working time ---------------------------------------------------------------------------


class Timeline:
    """Working seconds <-> wall clock for the province calendar, from `first` on.

    w = k * L + r is second r of working day k (L = the day's working length). A moment that
    falls exactly on a session end maps to that end (as `add_working_hours` returns the
    earliest moment), so w = (k + 1) * L is the end of day k, not the start of day k + 1."""

    def __init__(self, calendar: WorkingCalendar, first: date, last: date) -> None:
        sessions = calendar.sessions
        (ms, me), (as_, ae) = sessions.periods
        self.morning = _seconds(me) - _seconds(ms)
        self.length = int(calendar.day_length.total_seconds())
        self.m_start: list[int] = []
        self.a_start: list[int] = []
        self.a_end: list[int] = []
        day = first
        while day <= last:
            if calendar.is_working_day(day):
                self.m_start.append(_epoch(day, ms))
                self.a_start.append(_epoch(day, as_))
                self.a_end.append(_epoch(day, ae))
            day += timedelta(days=1)

    def epoch(self, w: int) -> int:
        k, r = divmod(w, self.length)
        if r == 0 and k > 0:
            return self.a_end[k - 1]
        if r <= self.morning:
            return self.m_start[k] + r
        return self.a_start[k] + r - self.morning

    def offset(self, epoch: int) -> int:
        """Working seconds from the start of the timeline to `epoch` (any moment)."""
        k = bisect_right(self.m_start, epoch) - 1
        if k < 0:
            return 0
        base = k * self.length
        if epoch >= self.a_end[k]:
            return base + self.length
        if epoch >= self.a_start[k]:
            return base + self.morning + epoch - self.a_start[k]
        return base + min(epoch - self.m_start[k], self.morning)

    def end_of_day(self, k: int) -> int:
        """w of the end of working day k."""
        return (k + 1) * self.length

    def after_pause(self, w: int, by_session: bool) -> int:
        """workcalendar.deadlines.due_after_pause on working seconds: the end of the working day
        `w` falls in (of its session, `by_session`); a session's end is its own."""
        k, r = divmod(w, self.length)
        if r == 0:
            return w
        if by_session and r <= self.morning:
            return k * self.length + self.morning
        return (k + 1) * self.length


def _seconds(t: Any) -> int:
    return int(t.hour) * 3600 + int(t.minute) * 60 + int(t.second)


def _epoch(day: date, t: Any) -> int:
    return int(datetime.combine(day, t, VN_TZ).timestamp())


def local_day(epoch: int) -> int:
    """Days since 1970-01-01 of the local (Asia/Ho_Chi_Minh) date of `epoch`."""
    return (epoch + VN_OFFSET) // DAY


def day_date(n: int) -> date:
    return date(1970, 1, 1) + timedelta(days=n)


class Stamp:
    """Fast UTC timestamp text for COPY (strftime per value would dominate the run)."""

    def __init__(self) -> None:
        self.clock = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(DAY)]
        self.dates: dict[int, str] = {}

    def __call__(self, epoch: int | None) -> str:
        if epoch is None:
            return "\\N"
        d, s = divmod(epoch, DAY)
        text = self.dates.get(d)
        if text is None:
            text = self.dates[d] = f"{day_date(d).isoformat()} "
        return text + self.clock[s]


# --- organisation -----------------------------------------------------------------------------


@dataclass
class AgencyInfo:
    id: int
    identifier: str
    weight: float
    diligence: float  # multiplies step durations: > 1 means slower than average


def _official_rows(agency: Agency) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for official_id, unit_id, role in Official.objects.filter(
        agency=agency, user__is_active=True
    ).values_list("id", "unit_id", "roles__role"):
        if role:
            out[role].append((official_id, unit_id or 0))
    return dict(out)


def _create_staff(agency: Agency, key: str, units: dict[str, Unit], plan: list[Any]) -> None:
    from egov.accounts.services import create_official

    for n, (unit_code, roles) in enumerate(plan, start=1):
        create_official(
            actor=SYSTEM,
            username=f"{key}.cb{n:02d}",
            full_name=_name(random.Random(f"{key}.{n}")),
            password=DEMO_PASSWORD,
            agency=agency,
            unit=units[unit_code],
            roles=list(roles),
        )


def _units(agency: Agency, specs: list[tuple[str, str, str]]) -> dict[str, Unit]:
    from egov.org import services as org

    have = {u.code: u for u in agency.units.all()}
    for code, name, kind in specs:
        if code not in have:
            have[code] = org.create_unit(
                actor=SYSTEM, agency=agency, code=code, name=name, kind=kind
            )
    return have


def _commune_units(rural: bool) -> list[tuple[str, str, str]]:
    K = Unit.Kind
    return [
        ("LD", "Lãnh đạo Ủy ban nhân dân", K.LEADERSHIP),
        ("VP", "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân", K.OFFICE),
        ("KT", "Phòng Kinh tế" if rural else "Phòng Kinh tế, Hạ tầng và Đô thị", K.PROFESSIONAL),
        ("VHXH", "Phòng Văn hóa - Xã hội", K.PROFESSIONAL),
        ("TTPVHCC", "Trung tâm Phục vụ hành chính công", K.ONE_STOP_DESK),
    ]


COMMUNE_STAFF = [
    ("LD", (Role.LEADER,)),
    ("LD", (Role.LEADER,)),
    ("KT", (Role.UNIT_HEAD,)),
    ("KT", (Role.SPECIALIST,)),
    ("KT", (Role.SPECIALIST,)),
    ("VHXH", (Role.UNIT_HEAD,)),
    ("VHXH", (Role.SPECIALIST,)),
    ("VHXH", (Role.SPECIALIST,)),
    ("TTPVHCC", (Role.RECEIVER,)),
    ("TTPVHCC", (Role.RECEIVER,)),
]
DEPARTMENT_STAFF = [
    ("LD", (Role.LEADER,)),
    ("LD", (Role.LEADER,)),
    ("P1", (Role.UNIT_HEAD,)),
    ("P1", (Role.SPECIALIST,)),
    ("P1", (Role.SPECIALIST,)),
    ("P1", (Role.SPECIALIST,)),
    ("MC", (Role.RECEIVER,)),
    ("MC", (Role.RECEIVER,)),
]


def ensure_organisation(config: GenConfig, log: Log) -> list[Agency]:
    """The demo province and the extra agencies, idempotently; returns the receiving agencies."""
    from egov.catalog.starter import load_starter_catalog
    from egov.org import services as org

    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        load_demo()
        load_starter_catalog()
        parent = Agency.objects.get(identifier="000.00.00.H41")
        province_unit = parent.admin_unit
        wanted_departments = max(0, min(len(DEPARTMENTS), config.agencies // 20))
        for i, (name, abbreviation) in enumerate(DEPARTMENTS[:wanted_departments]):
            identifier = f"000.00.{7 + i:02d}.H41"
            if Agency.objects.filter(identifier=identifier).exists():
                continue
            with transaction.atomic():
                agency = org.create_agency(
                    actor=SYSTEM,
                    identifier=identifier,
                    name=f"{name} tỉnh Quảng Ninh",
                    abbreviation=abbreviation,
                    kind=Agency.Kind.DEPARTMENT,
                    admin_unit=province_unit,
                    parent=parent,
                )
                K = Unit.Kind
                units = _units(
                    agency,
                    [
                        ("LD", "Lãnh đạo", K.LEADERSHIP),
                        ("VP", "Văn phòng", K.OFFICE),
                        ("MC", "Bộ phận Một cửa", K.ONE_STOP_DESK),
                        ("P1", "Phòng Nghiệp vụ", K.PROFESSIONAL),
                    ],
                )
                _create_staff(agency, f"so{7 + i:02d}", units, DEPARTMENT_STAFF)
        receiving = _receiving()
        missing = config.agencies - len(receiving)
        if missing > 0:
            org.import_from_package(province_codes=list(NEIGHBOUR_PROVINCES), actor=SYSTEM)
            used = set(
                Agency.objects.filter(
                    admin_unit__level=AdministrativeUnit.Level.COMMUNE
                ).values_list("admin_unit_id", flat=True)
            )
            communes = [
                u
                for code in NEIGHBOUR_PROVINCES
                for u in AdministrativeUnit.objects.filter(
                    scheme=AdministrativeUnit.Scheme.TWO_TIER_2025,
                    level=AdministrativeUnit.Level.COMMUNE,
                    parent__code=str(code),
                ).order_by("code")
                if u.pk not in used
            ]
            number = Agency.objects.filter(identifier__regex=r"^000\.\d\d\.5\d\.H41$").count()
            log(f"creating {min(missing, len(communes))} commune agencies ...")
            for unit in communes[:missing]:
                number += 1
                identifier = f"000.{number % 100:02d}.{50 + number // 100}.H41"
                rural = unit.name.startswith("Xã")
                with transaction.atomic():
                    agency = org.create_agency(
                        actor=SYSTEM,
                        identifier=identifier,
                        name=commune_agency_name(unit),
                        abbreviation="UBND",
                        kind=Agency.Kind.PEOPLES_COMMITTEE,
                        admin_unit=unit,
                        parent=parent,
                    )
                    units = _units(agency, _commune_units(rural))
                    _create_staff(agency, f"xa{number:03d}", units, COMMUNE_STAFF)
        receiving = _receiving()
    # Commune-level procedures are done by every commune; provincial ones by their departments
    # (as in the catalogue) and the new departments share them.
    commune_agencies = [
        a
        for a in receiving
        if a.admin_unit is not None and a.admin_unit.level == AdministrativeUnit.Level.COMMUNE
    ]
    departments = [a for a in receiving if a.kind == Agency.Kind.DEPARTMENT]
    for procedure in Procedure.objects.filter(is_published=True):
        if procedure.level == "commune":
            procedure.agencies.add(*commune_agencies)
        elif procedure.level == "province" and not procedure.agencies.exists():
            procedure.agencies.add(*departments)
    return receiving


def _receiving() -> list[Agency]:
    return list(
        Agency.objects.filter(is_active=True)
        .filter(
            Q(kind=Agency.Kind.DEPARTMENT) | Q(admin_unit__level=AdministrativeUnit.Level.COMMUNE)
        )
        .select_related("admin_unit")
        .order_by("identifier")
    )


def _name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


# --- procedures -------------------------------------------------------------------------------


@dataclass
class StepPlan:
    process_step_id: int
    order: int
    name: str
    role: str
    agency_id: int | None  # None: the receiving agency
    budget_seconds: int
    budget_hours: str


@dataclass
class ProcedurePlan:
    id: int
    sector_id: int
    version_id: int
    online_mode: int
    by_days: bool  # legal time in whole working days (appointment at the end of a day)
    in_hours: bool  # legal time in working hours (after a pause, the end of a session)
    legal_seconds: int
    legal_millidays: int | None  # set in days: exact thousandths of a day (None in hours)
    whole_days: int
    steps: list[StepPlan]
    agencies: list[int]
    cum_weights: list[float]
    fee: int
    online_share: float  # of its dossiers submitted online


def _procedure_plans(
    length: int, agencies: dict[int, AgencyInfo], rng: random.Random, online_share: float
) -> list[ProcedurePlan]:
    by_identifier = dict(Agency.objects.values_list("identifier", "id"))
    online_by_mode: dict[int, float] = {
        OnlineMode.FULL: online_share,
        OnlineMode.PARTIAL: online_share / 2,
    }
    plans = []
    versions = {
        v.procedure_id: v
        for v in ProcessVersion.objects.filter(is_current=True).prefetch_related("steps")
    }
    for procedure in Procedure.objects.filter(is_published=True).prefetch_related("fees"):
        version = versions.get(procedure.pk)
        eligible = [a for a in procedure.agencies.values_list("id", flat=True) if a in agencies]
        if version is None or not eligible:
            continue
        days = version.time_unit != TimeUnit.WORKING_HOURS
        amount = Decimal(version.processing_time)
        steps = []
        for ps in version.steps.all():
            budget = Decimal(ps.budget)
            seconds = int(budget * length) if days else int(budget * 3600)
            hours = (budget * length / 3600) if days else budget
            steps.append(
                StepPlan(
                    process_step_id=ps.pk,
                    order=ps.order,
                    name=ps.name,
                    role=ps.role,
                    agency_id=by_identifier.get(ps.agency_identifier)
                    if ps.agency_identifier
                    else None,
                    budget_seconds=seconds,
                    budget_hours=str(Decimal(hours).quantize(Decimal("0.01"))),
                )
            )
        total = 0.0
        cum = []
        for a in eligible:
            total += agencies[a].weight
            cum.append(total)
        # The fees due by law: the optional ones are counted only when asked for (dossiers.fees).
        fee = sum(int(f.amount or 0) for f in procedure.fees.all() if f.amount and not f.optional)
        plans.append(
            ProcedurePlan(
                id=procedure.pk,
                sector_id=procedure.sector_id,
                version_id=version.pk,
                online_mode=procedure.online_mode,
                by_days=days and amount == int(amount),
                in_hours=not days,
                legal_seconds=int(amount * length) if days else int(amount * 3600),
                legal_millidays=int(amount * 1000) if days else None,
                whole_days=int(amount),
                steps=steps,
                agencies=eligible,
                cum_weights=cum,
                fee=fee,
                online_share=online_by_mode.get(procedure.online_mode, 0.0),
            )
        )
    rng.shuffle(plans)
    return plans


# --- the read models, accumulated while generating -------------------------------------------


class Facts:
    def __init__(self, first_day: int, closed_through: int) -> None:
        self.first_day = first_day
        self.closed_through = closed_through
        self.ndays = closed_through - first_day + 2
        self.dossier: dict[tuple[int, ...], list[int]] = {}  # (day, *DOSSIER_KEYS)
        self.step: dict[tuple[int, ...], list[int]] = {}  # (day, *STEP_KEYS)
        self.open: dict[tuple[int, int, int, int], list[array[int]]] = {}
        self.index = {name: i for i, name in enumerate(DOSSIER_COUNTERS)}

    def add(self, day: int, key: tuple[int, int, int, int], name: str, amount: int = 1) -> None:
        full = (day, *key)
        row = self.dossier.get(full)
        if row is None:
            row = self.dossier[full] = [0] * len(DOSSIER_COUNTERS)
        row[self.index[name]] += amount

    def add_step(self, day: int, key: tuple[int, int, int, int], values: tuple[int, ...]) -> None:
        full = (day, *key)
        row = self.step.get(full)
        if row is None:
            row = self.step[full] = [0] * len(STEP_COUNTERS)
        for i, v in enumerate(values):
            row[i] += v

    def open_span(self, key: tuple[int, int, int, int], kind: int, start: int, end: int) -> None:
        """+1 in class `kind` (0 on time, 1 overdue, 2 paused) at the end of days [start, end)."""
        start = max(start, self.first_day)
        end = min(end, self.closed_through + 1)
        if end <= start:
            return
        arrays = self.open.get(key)
        if arrays is None:
            arrays = self.open[key] = [array("i", bytes(4 * self.ndays)) for _ in range(3)]
        arrays[kind][start - self.first_day] += 1
        arrays[kind][end - self.first_day] -= 1

    def open_segments(
        self,
        key: tuple[int, int, int, int],
        start: int,
        end: int,
        due: int,
    ) -> None:
        """On time up to the due day (judged with each day as its end), overdue after it, over
        [start, end)."""
        self.open_span(key, 0, start, min(end, due + 1))
        self.open_span(key, 1, max(start, due + 1), end)


# --- generation -------------------------------------------------------------------------------


DOSSIER_COLUMNS = (
    "id",
    "code",
    "procedure_id",
    "process_version_id",
    "agency_id",
    "applicant_id",
    "applicant_kind",
    "applicant_name",
    "applicant_id_number",
    "applicant_phone",
    "applicant_email",
    "summary",
    "channel",
    "status",
    "result_delivery",
    "delivery_address",
    "form_data",
    "fee_total",
    "fee_lines",  # generated dossiers keep no lines: their receipts show the catalogue's fees due
    "submitted_at",
    "received_at",
    "appointment_at",
    "promised_at",  # no generated apology letters: always NULL
    "finished_at",
    "returned_at",
    "supplement_count",
    "idempotency_key",
    "version",
    "updated_at",
    "applicant_address",
    "set_count",
    "received_appointment_at",
    # Left empty: a loaded province has no register entries, so the counters stay consistent.
    "register_year",
    "register_number",
    # No payments are generated (as dossiers from before online payment): no payment state.
    "payment_state",
    "amount_paid",
    "paid_at",
)
STEP_COLUMNS = (
    "dossier_id",
    "process_step_id",
    "order",
    "name",
    "role",
    "agency_id",
    "unit_id",
    "assignee_id",
    "status",
    "budget_hours",
    "started_at",
    "due_at",
    "finished_at",
    "note",
)
SUPPLEMENT_COLUMNS = (
    "dossier_id",
    "requested_by_id",
    "reason",
    "requested_at",
    "answered_at",
    "paused_seconds",
    # #15: the papers named apart and the date to answer by; a migrated request has neither.
    "items",
    "answer_by",
)
RATING_COLUMNS = ("dossier_id", "level", "comment", "created_at")
RATING_LEVELS = (5, 4, 3, 2, 1)
RATING_WEIGHTS = (0.55, 0.3, 0.1, 0.03, 0.02)
SUPPLEMENT_REASON = "Bổ sung bản sao giấy tờ còn thiếu"


def _columns(model: Any) -> set[str]:
    return {f.column for f in model._meta.concrete_fields}


def _check_columns() -> None:
    """A model change must fail here, not load shifted columns."""
    for model, columns, auto_id in (
        (Dossier, DOSSIER_COLUMNS, False),
        (DossierStep, STEP_COLUMNS, True),
        (SupplementRequest, SUPPLEMENT_COLUMNS, True),
        (Rating, RATING_COLUMNS, True),
    ):
        expected = _columns(model) - ({"id"} if auto_id else set())
        if expected != set(columns):
            raise RuntimeError(f"{model.__name__}: the generator's columns are out of date")


def _copy_sql(model: Any, columns: tuple[str, ...]) -> str:
    cols = ", ".join(f'"{c}"' for c in columns)
    return f"COPY {model._meta.db_table} ({cols}) FROM STDIN"


@dataclass
class Stream:
    """One open COPY on its own connection: writes overlap with generating the next batch."""

    conn: Any
    copy: Any
    context: Any
    lines: list[str] = field(default_factory=list)
    rows: int = 0

    def flush(self) -> None:
        if self.lines:
            self.copy.write("".join(self.lines))
            self.rows += len(self.lines)
            self.lines.clear()


def _open_stream(sql: str) -> Stream:
    import psycopg

    # Django's own parameters (OPTIONS such as sslmode included), on a connection of our own.
    conn = psycopg.connect(**connection.get_connection_params())
    try:
        conn.execute("SET session_replication_role = replica")  # no FK triggers per row
    except psycopg.Error:
        conn.rollback()
    cursor = conn.cursor()
    context = cursor.copy(sql)
    copy = context.__enter__()
    return Stream(conn=conn, copy=copy, context=context)


def _close_stream(stream: Stream) -> None:
    stream.flush()
    stream.context.__exit__(None, None, None)
    stream.conn.commit()
    stream.conn.close()


def _secondary_indexes(tables: list[str]) -> list[tuple[str, str]]:
    """(name, definition) of indexes that no constraint owns: dropped during the load."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(i.oid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
            """,
            [tables],
        )
        return [(name, sql) for name, sql in cursor.fetchall()]


def generate(config: GenConfig, log: Log = print) -> GenResult:
    if connection.vendor != "postgresql":
        raise RuntimeError("the scale generator loads with COPY: run it on PostgreSQL")
    _check_columns()
    if Dossier.objects.exists():
        raise RuntimeError("the database already has dossiers: generate into an empty one")
    result = GenResult()
    clock = time.monotonic()
    rng = random.Random(config.seed)
    receiving = ensure_organisation(config, log)
    result.seconds["organisation"] = time.monotonic() - clock

    # Agencies: a power law over a random ranking; communes busier than departments per head.
    order = list(receiving)
    rng.shuffle(order)
    agencies: dict[int, AgencyInfo] = {}
    for rank, agency in enumerate(order, start=1):
        agencies[agency.pk] = AgencyInfo(
            id=agency.pk,
            identifier=agency.identifier,
            weight=1.0 / rank**0.8,
            diligence=min(max(rng.lognormvariate(0, 0.35), 0.5), 2.5),
        )
    step_agencies = {a.pk: a for a in Agency.objects.filter(is_active=True)}
    staff: dict[int, dict[str, list[tuple[int, int]]]] = {
        pk: _official_rows(agency) for pk, agency in step_agencies.items()
    }
    result.agencies = len(agencies)
    result.officials = sum(len(v) for roles in staff.values() for v in roles.values())

    now = int((config.now or timezone.now()).timestamp())
    start = now - int(config.years * 365.25 * DAY)
    calendar = WorkingCalendar.for_agency(None)
    first_date = day_date(local_day(start)) - timedelta(days=3)
    timeline = Timeline(calendar, first_date, day_date(local_day(now)) + timedelta(days=800))
    L = timeline.length
    w_start = timeline.offset(start)
    w_now = timeline.offset(now)
    today = local_day(now)
    closed_through = today - 1
    facts = Facts(local_day(timeline.epoch(w_start)), closed_through)
    plans = _procedure_plans(L, agencies, rng, config.online_share)
    result.procedures = len(plans)
    proc_cum: list[float] = []
    total = 0.0
    for rank, _plan in enumerate(plans, start=1):
        total += 1.0 / rank**1.1
        proc_cum.append(total)
    stamp = Stamp()
    log(
        f"{len(agencies)} receiving agencies, {result.officials} official roles, "
        f"{len(plans)} procedures; {config.dossiers} dossiers from "
        f"{day_date(local_day(start))} to {day_date(today)} ..."
    )

    tables = [m._meta.db_table for m in (Dossier, DossierStep, SupplementRequest, Rating)]
    indexes = _secondary_indexes(tables)
    with connection.cursor() as cursor:
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Dossier._meta.db_table}")
        row = cursor.fetchone()
        next_id = int(row[0] if row else 0) + 1

    streams = {
        "dossier": _open_stream(_copy_sql(Dossier, DOSSIER_COLUMNS)),
        "step": _open_stream(_copy_sql(DossierStep, STEP_COLUMNS)),
        "supplement": _open_stream(_copy_sql(SupplementRequest, SUPPLEMENT_COLUMNS)),
        "rating": _open_stream(_copy_sql(Rating, RATING_COLUMNS)),
    }
    serials: dict[tuple[str, int], int] = defaultdict(int)
    open_rows: list[tuple[Any, ...]] = []
    gen_started = time.monotonic()
    rate = config.dossiers / max(w_now - w_start, 1)
    w = float(w_start)
    try:
        for n in range(config.dossiers):
            w += rng.expovariate(rate)
            arrival = min(int(w), w_now - 1)
            _one(
                dossier_id=next_id + n,
                arrival=arrival,
                config=config,
                rng=rng,
                plans=plans,
                proc_cum=proc_cum,
                agencies=agencies,
                staff=staff,
                timeline=timeline,
                w_now=w_now,
                now=now,
                stamp=stamp,
                facts=facts,
                serials=serials,
                streams=streams,
                open_rows=open_rows,
            )
            if (n + 1) % config.batch == 0:
                for s in streams.values():
                    s.flush()
                if (n + 1) % (config.batch * 25) == 0:
                    spent = time.monotonic() - gen_started
                    log(f"  {n + 1} dossiers ({(n + 1) / spent:,.0f}/s)")
        for s in streams.values():
            _close_stream(s)
    except BaseException:
        for s in streams.values():
            with contextlib.suppress(Exception):
                s.conn.close()
        raise
    result.dossiers = streams["dossier"].rows
    result.steps = streams["step"].rows
    result.supplements = streams["supplement"].rows
    result.ratings = streams["rating"].rows
    result.seconds["rows"] = time.monotonic() - gen_started

    clock = time.monotonic()
    log(f"rebuilding {len(indexes)} indexes ...")
    with connection.cursor() as cursor:
        for _name, sql in indexes:
            cursor.execute(sql)
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
    result.seconds["indexes"] = time.monotonic() - clock

    clock = time.monotonic()
    log("writing the dashboard's read models ...")
    _write_counters(serials)
    result.open_dossiers = _write_stats(facts, open_rows, closed_through)
    result.seconds["read_models"] = time.monotonic() - clock

    # VACUUM, not only ANALYZE: rows loaded by COPY have no visibility map and no hint bits, so
    # every index-only scan would fetch its heap pages and the first readers would write the
    # hint bits; a production database has had autovacuum do this long before. (The slow capped
    # tab counts first blamed on this were JIT compilation: settings, "No JIT".)
    clock = time.monotonic()
    log("vacuuming ...")
    with connection.cursor() as cursor:
        for table in [*tables, *(m._meta.db_table for m in _stats_models())]:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    result.seconds["vacuum"] = time.monotonic() - clock
    return result


def _pick(rng: random.Random, items: list[Any], cum: list[float]) -> Any:
    return items[min(bisect_right(cum, rng.random() * cum[-1]), len(items) - 1)]


def _one(
    *,
    dossier_id: int,
    arrival: int,
    config: GenConfig,
    rng: random.Random,
    plans: list[ProcedurePlan],
    proc_cum: list[float],
    agencies: dict[int, AgencyInfo],
    staff: dict[int, dict[str, list[tuple[int, int]]]],
    timeline: Timeline,
    w_now: int,
    now: int,
    stamp: Stamp,
    facts: Facts,
    serials: dict[tuple[str, int], int],
    streams: dict[str, Stream],
    open_rows: list[tuple[Any, ...]],
) -> None:
    """One dossier's whole life up to now, as the one-stop engine would have recorded it."""
    L = timeline.length
    epoch = timeline.epoch
    plan = _pick(rng, plans, proc_cum)
    agency = agencies[_pick(rng, plan.agencies, plan.cum_weights)]
    roll = rng.random()
    if roll < plan.online_share:
        channel = Channel.ONLINE
    elif roll > 0.97:
        channel = Channel.POST
    else:
        channel = Channel.IN_PERSON
    key = (agency.id, plan.id, plan.sector_id, int(channel))
    if arrival % L == 0:
        arrival += 1
    submitted = epoch(arrival)
    received_w = arrival + rng.randint(L // 20, L) if channel == Channel.ONLINE else arrival
    if received_w % L == 0:
        received_w += 1

    day = local_day(submitted)
    serial_key = (agency.identifier, day)
    serials[serial_key] += 1
    code = f"{agency.identifier}-{day_date(day):%y%m%d}-{serials[serial_key]:04d}"

    status = Status.NEW
    received = appointment = finished = returned = None
    supplement_count = 0
    steps: list[str] = []
    receivers = staff[agency.id].get(Role.RECEIVER) or [(0, 0)]
    receiver = rng.choice(receivers)

    def step_row(
        sp: StepPlan,
        st: str,
        who: tuple[int, int] | None,
        started: int | None,
        due: int | None,
        done: int | None,
    ) -> str:
        a = sp.agency_id or agency.id
        official, unit = who if who and who[0] else (None, None)
        return (
            f"{dossier_id}\t{sp.process_step_id}\t{sp.order}\t{sp.name}\t{sp.role}\t{a}\t"
            f"{unit or chr(92) + 'N'}\t{official or chr(92) + 'N'}\t{st}\t{sp.budget_hours}\t"
            f"{stamp(started)}\t{stamp(due)}\t{stamp(done)}\t\n"
        )

    def assignee(sp: StepPlan) -> tuple[int, int] | None:
        people = staff.get(sp.agency_id or agency.id, {}).get(sp.role)
        return rng.choice(people) if people else None

    open_track: tuple[Any, ...] | None = None
    if channel == Channel.ONLINE and received_w > w_now:
        open_track = ("new", None)
    elif channel == Channel.ONLINE and rng.random() < config.refused_share:
        status = Status.REFUSED
        finished = epoch(received_w)
        facts.add(local_day(finished), key, "refused")
    else:
        received = epoch(received_w)
        recv_day = local_day(received)
        facts.add(recv_day, key, "received")
        if channel == Channel.ONLINE:
            facts.add(recv_day, key, "received_digitised")
        if plan.by_days:
            appt_w = timeline.end_of_day(received_w // L + plan.whole_days)
        else:
            appt_w = received_w + plan.legal_seconds
        original_due_day = local_day(epoch(appt_w))
        first, *middle = plan.steps
        back = middle.pop() if middle and middle[-1].role == Role.RECEIVER else None
        steps.append(
            step_row(
                first,
                StepStatus.DONE,
                receiver,
                received,
                epoch(received_w + first.budget_seconds),
                received,
            )
        )
        status = Status.PROCESSING
        cur = received_w
        pauses: list[tuple[int, int | None]] = []  # (requested w, answered w or None)
        appts: list[int] = []  # the appointment (w) after each answered pause
        wants_supplement = rng.random() < config.supplement_share
        withdraws = not wants_supplement and rng.random() < config.withdrawn_share
        active: tuple[StepPlan, int, int, tuple[int, int] | None] | None = None
        idx = 0
        for idx, sp in enumerate(middle):
            who = assignee(sp)
            due_w = cur + sp.budget_seconds
            if rng.random() < config.late_share * agency.diligence:
                factor = rng.uniform(1.02, 2.5)
            else:
                factor = rng.uniform(0.05, 0.97)
            spent = int(sp.budget_seconds * factor) + 1
            if withdraws and idx == 0:
                at = cur + spent // 2
                if at <= w_now:
                    finished = epoch(at)
                    status = Status.WITHDRAWAL_REQUESTED
                    steps.append(
                        step_row(sp, StepStatus.CANCELLED, who, epoch(cur), epoch(due_w), finished)
                    )
                    for rest in middle[idx + 1 :] + ([back] if back else []):
                        steps.append(
                            step_row(rest, StepStatus.CANCELLED, None, None, None, finished)
                        )
                    facts.add(local_day(finished), key, "withdrawn")
                    late = _resolved(finished, epoch(appt_w), supplement_count)
                    judged = "cancelled_late" if late == "resolved_late" else "cancelled_in_time"
                    facts.add(local_day(finished), key, judged)
                    break
            if wants_supplement and idx == 0:
                asks = 2 if rng.random() < config.second_supplement_share else 1
                # Requests come while the step is being worked on: a third of the work before
                # the first, half of what is left before a second.
                at = cur + spent // 3
                left = spent - spent // 3
                for _ in range(asks):
                    if at > w_now:
                        break
                    wait = rng.randint(L // 4, 4 * L)
                    answered = at + wait
                    requester = who or receiver
                    supplement_count += 1
                    facts.add(local_day(epoch(at)), key, "supplements")
                    if answered > w_now:
                        pauses.append((at, None))
                        break
                    pauses.append((at, answered))
                    appt_w = timeline.after_pause(appt_w + wait, plan.in_hours)
                    appts.append(appt_w)
                    due_w += wait
                    spent += wait
                    at = answered + left // 2
                    left -= left // 2
                for req, ans in pauses:
                    streams["supplement"].lines.append(
                        f"{dossier_id}\t{requester[0]}\t{SUPPLEMENT_REASON}\t{stamp(epoch(req))}\t"
                        f"{stamp(epoch(ans) if ans is not None else None)}\t"
                        f"{(ans - req) if ans is not None else 0}\t\\N\t\\N\n"
                    )
                if pauses and pauses[-1][1] is None:
                    status = Status.SUPPLEMENT_REQUESTED
                    active = (sp, cur, due_w, who)
                    break
            end = cur + spent
            if end > w_now:
                active = (sp, cur, due_w, who)
                break
            steps.append(step_row(sp, StepStatus.DONE, who, epoch(cur), epoch(due_w), epoch(end)))
            late = end > due_w
            step_agency = sp.agency_id or agency.id
            facts.add_step(
                local_day(epoch(end)),
                (step_agency, who[1] if who else 0, plan.id, sp.order),
                (1, int(late), end - due_w if late else 0, 0),
            )
            cur = end
        else:
            idx = len(middle)
        if status == Status.WITHDRAWAL_REQUESTED:
            pass
        elif active is not None:
            sp, started_w, due_w, who = active
            steps.append(step_row(sp, StepStatus.ACTIVE, who, epoch(started_w), epoch(due_w), None))
            for rest in middle[idx + 1 :] + ([back] if back else []):
                steps.append(step_row(rest, StepStatus.PENDING, None, None, None, None))
            open_track = ("processing", (sp, who, epoch(due_w)))
        else:
            status = Status.DONE
            finished = epoch(cur)
            fin_day = local_day(finished)
            facts.add(fin_day, key, _resolved(finished, epoch(appt_w), supplement_count))
            paused = sum(ans - req for req, ans in pauses if ans is not None)
            handled = max(cur - received_w - paused, 0)
            facts.add(fin_day, key, "handling_seconds", handled)
            facts.add(fin_day, key, "legal_seconds", plan.legal_seconds)
            facts.add(fin_day, key, "handling_millidays", to_millidays(handled, L))
            legal_days = plan.legal_millidays
            if legal_days is None:
                legal_days = to_millidays(plan.legal_seconds, L)
            facts.add(fin_day, key, "legal_millidays", legal_days)
            ret_w = cur + rng.randint(L // 10, 2 * L)
            if back is None:
                if ret_w <= w_now:
                    status, returned = Status.RETURNED, epoch(ret_w)
            else:
                due = epoch(cur + back.budget_seconds)
                if ret_w <= w_now:
                    status, returned = Status.RETURNED, epoch(ret_w)
                    steps.append(step_row(back, StepStatus.DONE, receiver, finished, due, returned))
                else:
                    steps.append(step_row(back, StepStatus.ACTIVE, receiver, finished, due, None))
                    open_track = ("ended", (back, receiver, due))
            if returned is not None:
                facts.add(local_day(returned), key, "returned")
                if rng.random() < config.rating_share:
                    rated = min(returned + rng.randint(60, 3 * DAY), now - 1)
                    level = rng.choices(RATING_LEVELS, RATING_WEIGHTS)[0]
                    streams["rating"].lines.append(f"{dossier_id}\t{level}\t\t{stamp(rated)}\n")
                    facts.add(local_day(rated), key, f"rating_{level}")
        appointment = epoch(appt_w)
        # End-of-day open counts: [reception day, end day) split into on time / overdue /
        # paused, with the appointment in force on each day.
        end_day = local_day(finished) if finished is not None else facts.closed_through + 1
        due_day = original_due_day
        cursor_day = recv_day
        for i, (req, ans) in enumerate(pauses):
            req_day = local_day(epoch(req))
            facts.open_segments(key, cursor_day, req_day, due_day)
            ans_day = local_day(epoch(ans)) if ans is not None else end_day
            facts.open_span(key, 2, req_day, ans_day)
            cursor_day = ans_day
            if ans is not None:
                due_day = local_day(timeline.epoch(appts[i]))
        if len(pauses) > 1 and repeated_supplement_is_late():  # late whatever the appointment
            facts.open_span(key, 1, cursor_day, end_day)
        else:
            facts.open_segments(key, cursor_day, end_day, due_day)

    result_delivery = "online" if channel == Channel.ONLINE and rng.random() < 0.6 else "desk"
    applicant = _name(rng)
    id_number = f"022{rng.randint(0, 3)}{rng.randint(50, 99):02d}{rng.randint(0, 999999):06d}"
    streams["dossier"].lines.append(
        f"{dossier_id}\t{code}\t{plan.id}\t{plan.version_id}\t{agency.id}\t\\N\tcitizen\t"
        f"{applicant}\t{id_number}\t09{rng.randint(0, 99999999):08d}\t\t\t{int(channel)}\t"
        f"{int(status)}\t{result_delivery}\t\t{{}}\t{plan.fee}\t[]\t{stamp(submitted)}\t"
        f"{stamp(received)}\t{stamp(appointment)}\t\\N\t{stamp(finished)}\t{stamp(returned)}\t"
        f"{supplement_count}\t\\N\t1\t{stamp(returned or finished or received or submitted)}\t"
        f"\t1\t{stamp(appointment if received else None)}\t\\N\t\\N\t\t0\t\\N\n"
    )
    if steps:
        streams["step"].lines.extend(steps)
    if open_track is not None:
        paused_since = (
            epoch(pauses[-1][0]) if status == Status.SUPPLEMENT_REQUESTED and pauses else None
        )
        open_rows.append(
            (
                dossier_id,
                code,
                key,
                int(status),
                received,
                appointment,
                paused_since,
                supplement_count,
                open_track,
            )
        )


def _resolved(finished: int, appointment: int, supplement_count: int) -> str:
    """The projector's early / on-time / late rule, on the generated moments."""
    info = DossierInfo(
        id=0,
        code="",
        agency_id=0,
        procedure_id=0,
        sector_id=0,
        channel=0,
        received_at=None,
        finished_at=_aware(finished),
        appointment_at=_aware(appointment),
        supplement_count=supplement_count,
        processing_time=Decimal(0),
        time_unit="",
    )
    return f"resolved_{classify_resolved(info)}"


def _stats_models() -> list[Any]:
    return [
        stats.DailyFact,
        stats.MonthlyFact,
        stats.AgencyDailyFact,
        stats.AgencyMonthlyFact,
        stats.StepDaily,
        stats.StepMonthly,
        stats.UnitStepDaily,
        stats.UnitStepMonthly,
        stats.OrderStepDaily,
        stats.OrderStepMonthly,
        stats.ProcedureStepDaily,
        stats.ProcedureStepMonthly,
        stats.OpenDaily,
        stats.OpenDossier,
        stats.OpenLedger,
        DossierCounter,
    ]


def _copy_rows(model: Any, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]) -> int:
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(_copy_sql(model, columns)) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _write_counters(serials: dict[tuple[str, int], int]) -> None:
    _copy_rows(
        DossierCounter,
        ("agency_identifier", "day", "last"),
        ((ident, day_date(day), last) for (ident, day), last in serials.items()),
    )


def _by_month(daily: dict[tuple[int, ...], list[int]]) -> dict[tuple[Any, ...], list[int]]:
    """Daily counter rows (keyed by day number first) summed per month (its first day)."""
    monthly: dict[tuple[Any, ...], list[int]] = {}
    for (day, *rest), values in daily.items():
        row = monthly.setdefault((day_date(day).replace(day=1), *rest), [0] * len(values))
        for i, x in enumerate(values):
            row[i] += x
    return monthly


def _aware(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _write_stats(facts: Facts, open_rows: list[tuple[Any, ...]], closed_through: int) -> int:
    keys = ("agency_id", "procedure_id", "sector_id", "channel")
    _copy_rows(
        stats.DailyFact,
        ("day", *keys, *DOSSIER_COUNTERS),
        ((day_date(k[0]), *k[1:], *v) for k, v in facts.dossier.items()),
    )
    _copy_rows(
        stats.MonthlyFact,
        ("month", *keys, *DOSSIER_COUNTERS),
        ((*k, *v) for k, v in _by_month(facts.dossier).items()),
    )
    step_keys = ("agency_id", "unit_id", "procedure_id", "step_order")
    _copy_rows(
        stats.StepDaily,
        ("day", *step_keys, *STEP_COUNTERS),
        ((day_date(k[0]), *k[1:], *v) for k, v in facts.step.items()),
    )
    _copy_rows(
        stats.StepMonthly,
        ("month", *step_keys, *STEP_COUNTERS),
        ((*k, *v) for k, v in _by_month(facts.step).items()),
    )

    def open_daily() -> Iterator[tuple[Any, ...]]:
        for key, arrays in facts.open.items():
            running = [0, 0, 0]
            for offset in range(facts.ndays - 1):
                for c in range(3):
                    running[c] += arrays[c][offset]
                if running[0] or running[1] or running[2]:
                    yield (day_date(facts.first_day + offset), *key, *running)

    _copy_rows(stats.OpenDaily, ("day", *keys, "on_time", "overdue", "paused"), open_daily())

    ledger: dict[tuple[Any, ...], int] = defaultdict(int)

    def trackers() -> Iterator[tuple[Any, ...]]:
        for dossier_id, code, key, status, received, appointment, paused, count, track in open_rows:
            kind, step = track
            ledger_state, due = bucket(
                stats.OpenDossier(
                    received_at=_aware(received),
                    ended=kind == "ended",
                    paused_since=_aware(paused),
                    supplement_count=count,
                    appointment_at=_aware(appointment),
                )
            )
            if ledger_state:
                ledger[(*key, due)] += 1
            sp, who, step_due = step if step else (None, None, None)
            yield (
                dossier_id,
                code,
                *key,
                status,
                _aware(received),
                _aware(appointment),
                _aware(paused),
                count,
                False,
                kind == "ended",
                str(ledger_state),
                due,
                (sp.agency_id or key[0]) if sp else None,
                (who[1] if who else 0) if sp else 0,
                sp.order if sp else None,
                sp.name if sp else "",
                _aware(step_due),
            )

    written = _copy_rows(
        stats.OpenDossier,
        (
            "dossier_id",
            "code",
            *keys,
            "status",
            "received_at",
            "appointment_at",
            "paused_since",
            "supplement_count",
            "has_result",
            "ended",
            "ledger",
            "ledger_due",
            "step_agency_id",
            "step_unit_id",
            "step_order",
            "step_name",
            "step_due_at",
        ),
        trackers(),
    )
    through = day_date(closed_through)
    _copy_rows(
        stats.OpenLedger,
        ("day", *keys, "due_day", "delta"),
        ((through, *k, n) for k, n in ledger.items()),
    )
    stats_aggregates.rebuild_rollups()
    stats.StatsState.objects.update_or_create(
        id=1, defaults={"closed_through": through, "compacted_at": timezone.now()}
    )
    return written
