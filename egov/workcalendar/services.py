"""The one working-day calendar used by every deadline in the platform.

Which days are working days
---------------------------
For a date ``d`` and a calendar built for an agency (or for the whole province), the first rule
that applies decides:

1. a ``SpecialDay`` row of that agency for ``d``;
2. a province-wide ``SpecialDay`` row (no agency) for ``d``;
3. a public holiday or observed/substituted day off from ``holidays.Vietnam`` (lunar Tết,
   Hùng Kings' day, 30/4, 1/5, 2/9 and the day next to it, 24/11 from 2026, ...): not working;
4. a weekend day the government moved work to, as ``holidays.Vietnam`` knows it: working;
5. otherwise Monday to Friday are working days, Saturday and Sunday are not.

Working time is the morning and the afternoon session of each working day (default
07:30–11:30 and 13:30–17:00, from ``WorkingHours``: the agency's row, else the province row, else
the ``WORKCALENDAR_DEFAULT_HOURS`` setting, else the built-in default). Sessions are closed
intervals: 17:00 itself is still inside the afternoon session.

Deadline rule for budgets in working days (``add_working_days``)
-----------------------------------------------------------------
It follows the Civil Code 2015 (Art. 147–148: the day of the event is not counted; a period in
days ends at the end of its last day) with "end of day" read as the end of working hours:

* The *day of receipt* ``D`` is the date of ``start`` when that date is a working day and
  ``start`` is not after the end of its afternoon session; otherwise ``D`` is the next working
  day (a dossier received on Saturday, on a holiday or at 17:30 counts as received on the next
  working day).
* ``D`` itself is not counted. The due moment is the end of the afternoon session of the
  ``n``-th working day after ``D``. With ``n = 0`` ("trả ngay trong ngày") it is the end of ``D``.

So receiving at 07:35 or at 16:55 on Tuesday 3/3/2026 with 3 working days both give Friday
6/3/2026 17:00. The due moment is always a working day, at the end of its afternoon session.

Budgets in working hours (``add_working_hours``)
------------------------------------------------
``add_working_hours(start, h)`` is the earliest moment ``t >= start`` that lies inside a session
and has ``working_time_between(start, t) == h``. A result that reaches the end of a session is
that session's end (11:30 or 17:00), never the start of the next one; ``h = 0`` from outside
working time gives the start of the next session.

Laws that hold (and are tested with hypothesis)::

    working_time_between(s, add_working_hours(s, h)) == h
    add_working_hours(add_working_hours(s, a), b) == add_working_hours(s, a + b)
    add_working_days(add_working_days(s, a), b) == add_working_days(s, a + b)
    add_working_days(s, n) == add_working_hours(add_working_days(s, 0), n * day_length)
    working_days_between(add_working_days(s, 0).date(), add_working_days(s, n).date()) == n
    working_time_between(a, b) == -working_time_between(b, a)

``working_days_between(a, b)`` counts the working days ``d`` with ``a < d <= b`` (the first day
is not counted, as above); it is negative when ``b < a``.

All datetimes must be aware; computation happens in Asia/Ho_Chi_Minh and results are aware
datetimes in that zone. A ``WorkingCalendar`` loads its special days and hours once (two
queries) and keeps them: build one per request or task, reuse it for many dossiers, and do not
keep it at module level (operator changes would not be seen).
"""

from __future__ import annotations

import math
import time as clock
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from egov.core.actors import Actor
from egov.core.errors import Conflict, DomainError, NotAllowed
from egov.events.services import record_event

from . import event_types, impact
from .error_codes import CalendarErrorCode
from .models import OfficialDayLoaded, SpecialDay, WorkingHours

if TYPE_CHECKING:
    from egov.org.models import Agency

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ONE_DAY = timedelta(days=1)
# No real calendar has a year without working days; this stops a runaway loop on bad data.
MAX_DAYS_STEPPED = 366 * 200

DEFAULT_HOURS = "07:30-11:30,13:30-17:00"

__all__ = [
    "VN_TZ",
    "LoadResult",
    "Sessions",
    "WorkingCalendar",
    "delete_special_day",
    "load_official_days",
    "official_day_off_name",
    "official_holidays",
    "official_weekend_workdays",
    "reset_working_hours",
    "save_special_day",
    "set_working_hours",
]


# --------------------------------------------------------------------------------------------
# Working hours
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sessions:
    """The two working sessions of a working day (wall-clock times in Asia/Ho_Chi_Minh)."""

    morning_start: time
    morning_end: time
    afternoon_start: time
    afternoon_end: time

    def __post_init__(self) -> None:
        if not (self.morning_start < self.morning_end <= self.afternoon_start < self.afternoon_end):
            raise ValueError("Working sessions must be ordered and non-empty.")
        for value in (
            self.morning_start,
            self.morning_end,
            self.afternoon_start,
            self.afternoon_end,
        ):
            if value.tzinfo is not None or value.microsecond:
                raise ValueError("Session times are naive wall-clock times.")

    @classmethod
    def parse(cls, text: str) -> Sessions:
        """Parse ``"07:30-11:30,13:30-17:00"``."""
        try:
            morning, afternoon = (part.strip() for part in text.split(","))
            m_start, m_end = (time.fromisoformat(p.strip()) for p in morning.split("-"))
            a_start, a_end = (time.fromisoformat(p.strip()) for p in afternoon.split("-"))
        except ValueError as exc:
            raise ValueError(
                f"Invalid working hours {text!r}; expected 07:30-11:30,13:30-17:00"
            ) from exc
        return cls(m_start, m_end, a_start, a_end)

    @classmethod
    def default(cls) -> Sessions:
        configured: Any = getattr(settings, "WORKCALENDAR_DEFAULT_HOURS", DEFAULT_HOURS)
        if isinstance(configured, Sessions):
            return configured
        return cls.parse(str(configured))

    @classmethod
    def from_model(cls, row: WorkingHours) -> Sessions:
        return cls(row.morning_start, row.morning_end, row.afternoon_start, row.afternoon_end)

    @property
    def periods(self) -> tuple[tuple[time, time], tuple[time, time]]:
        return ((self.morning_start, self.morning_end), (self.afternoon_start, self.afternoon_end))

    @property
    def day_length(self) -> timedelta:
        """Working time in one working day (7 h 30 min with the default hours)."""
        total = timedelta()
        for start, end in self.periods:
            total += _wall(end) - _wall(start)
        return total

    def as_text(self) -> str:
        return (
            f"{self.morning_start:%H:%M}-{self.morning_end:%H:%M},"
            f"{self.afternoon_start:%H:%M}-{self.afternoon_end:%H:%M}"
        )


def _wall(value: time) -> timedelta:
    return timedelta(hours=value.hour, minutes=value.minute, seconds=value.second)


# --------------------------------------------------------------------------------------------
# Statutory holidays (cached per year, shared by all calendars in the process)
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _official_year(year: int) -> tuple[Mapping[date, str], frozenset[date]]:
    table = holidays.Vietnam(years=year, language="vi")
    days_off = {day: str(name) for day, name in table.items()}
    return days_off, frozenset(table.weekend_workdays)


def official_holidays(year: int) -> dict[date, str]:
    """Days off from ``holidays.Vietnam`` for ``year`` (Vietnamese names), a copy."""
    return dict(_official_year(year)[0])


def official_day_off_name(day: date) -> str | None:
    return _official_year(day.year)[0].get(day)


def official_weekend_workdays(year: int) -> frozenset[date]:
    """Weekend days made working days by a swap, as ``holidays.Vietnam`` knows them.

    A swap decided for a year can move work to a weekend of the year before (e.g. Saturday
    27/12/2014 for Friday 2/1/2015), so the dates are those listed by ``year`` and ``year + 1``
    that fall in ``year``.
    """
    days = _official_year(year)[1] | _official_year(year + 1)[1]
    return frozenset(d for d in days if d.year == year)


def _is_official_weekend_workday(day: date) -> bool:
    return day in _official_year(day.year)[1] or day in _official_year(day.year + 1)[1]


# --------------------------------------------------------------------------------------------
# The calendar
# --------------------------------------------------------------------------------------------


def _as_timedelta(hours: float | int | Decimal | timedelta) -> timedelta:
    if isinstance(hours, timedelta):
        amount = hours
    elif isinstance(hours, bool):
        raise TypeError("hours must be a number or a timedelta")
    elif isinstance(hours, Decimal | int | float):
        if isinstance(hours, float) and not math.isfinite(hours):
            raise ValueError("hours must be finite")
        if isinstance(hours, Decimal) and not hours.is_finite():
            raise ValueError("hours must be finite")
        micro = (Decimal(hours) * 3_600_000_000).to_integral_value(rounding=ROUND_HALF_EVEN)
        amount = timedelta(microseconds=int(micro))
    else:
        raise TypeError("hours must be a number or a timedelta")
    if amount < timedelta():
        raise ValueError("hours must not be negative")
    return amount


def _local(moment: datetime) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError("expected a datetime")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetimes must be timezone-aware")
    return moment.astimezone(VN_TZ)


def _as_date(value: date) -> date:
    if isinstance(value, datetime):
        return _local(value).date()
    return value


CALENDAR_CACHE_SECONDS = 60.0
_calendars: dict[int | None, tuple[float, WorkingCalendar]] = {}


@dataclass
class WorkingCalendar:
    """Working days and hours for one agency (or province-wide when ``agency_id`` is None).

    ``overrides`` maps a date to True (working) or False (day off); it already merges the
    province rows with the agency's own rows (the agency wins).
    """

    sessions: Sessions = field(default_factory=Sessions.default)
    overrides: Mapping[date, bool] = field(default_factory=dict)
    agency_id: int | None = None
    names: Mapping[date, str] = field(default_factory=dict)

    # -- construction -------------------------------------------------------------------

    @classmethod
    def for_agency(cls, agency: Agency | int | None = None) -> WorkingCalendar:
        """The calendar of an agency (its own entries over the province's): two queries, then
        kept in this process for CALENDAR_CACHE_SECONDS (every request of the work queue and
        every submission needs it). A change saved in this process clears it at once; other
        processes see it within that time."""
        agency_id = agency if isinstance(agency, int) or agency is None else agency.pk
        hit = _calendars.get(agency_id)
        if hit is not None and clock.monotonic() - hit[0] < CALENDAR_CACHE_SECONDS:
            return hit[1]
        calendar = cls._load(agency_id)
        _calendars[agency_id] = (clock.monotonic(), calendar)
        return calendar

    @classmethod
    def clear_cache(cls) -> None:
        _calendars.clear()

    @classmethod
    def _load(cls, agency_id: int | None) -> WorkingCalendar:
        hours_rows = list(
            WorkingHours.objects.filter(Q(agency__isnull=True) | Q(agency_id=agency_id))
        )
        # The agency's own row first, then the province row, then the configured default.
        hours_rows.sort(key=lambda r: r.agency_id is None)
        sessions = Sessions.from_model(hours_rows[0]) if hours_rows else Sessions.default()

        day_rows = SpecialDay.objects.filter(Q(agency__isnull=True) | Q(agency_id=agency_id))
        overrides: dict[date, bool] = {}
        names: dict[date, str] = {}
        # Province rows first, the agency's rows after so they win.
        for row in sorted(
            day_rows.only("date", "kind", "name", "agency_id"),
            key=lambda r: r.agency_id is not None,
        ):
            overrides[row.date] = row.kind == SpecialDay.Kind.WORKING_DAY
            names[row.date] = row.name
        return cls(sessions=sessions, overrides=overrides, agency_id=agency_id, names=names)

    @classmethod
    def statutory(cls, sessions: Sessions | None = None) -> WorkingCalendar:
        """The calendar of ``holidays.Vietnam`` alone, with no operator entries (no query)."""
        return cls(sessions=sessions or Sessions.default())

    # -- days ---------------------------------------------------------------------------

    @property
    def day_length(self) -> timedelta:
        return self.sessions.day_length

    def is_working_day(self, day: date) -> bool:
        day = _as_date(day)
        override = self.overrides.get(day)
        if override is not None:
            return override
        if day in _official_year(day.year)[0]:
            return False
        if _is_official_weekend_workday(day):
            return True
        return day.weekday() < 5

    def day_name(self, day: date) -> str | None:
        """Why the day is special: the operator's name, else the statutory holiday name."""
        day = _as_date(day)
        if day in self.names:
            return self.names[day]
        name = official_day_off_name(day)
        if name:
            return name
        if _is_official_weekend_workday(day):
            return "Ngày làm bù"
        return None

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day = _as_date(day)
        for _ in range(MAX_DAYS_STEPPED):
            day += ONE_DAY
            if self.is_working_day(day):
                return day
        raise RuntimeError("No working day found: check the special days.")

    def working_day_on_or_after(self, day: date) -> date:
        day = _as_date(day)
        return day if self.is_working_day(day) else self.next_working_day(day)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days ``d`` with ``start < d <= end``; negative when ``end < start``."""
        start, end = _as_date(start), _as_date(end)
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start + ONE_DAY
        while day <= end:
            if self.is_working_day(day):
                count += 1
            day += ONE_DAY
        return count

    def working_days(self, start: date, end: date) -> Iterable[date]:
        """The working days from ``start`` to ``end``, both included."""
        day = _as_date(start)
        end = _as_date(end)
        while day <= end:
            if self.is_working_day(day):
                yield day
            day += ONE_DAY

    # -- moments ------------------------------------------------------------------------

    def _periods(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        return [
            (datetime.combine(day, start, VN_TZ), datetime.combine(day, end, VN_TZ))
            for start, end in self.sessions.periods
        ]

    def end_of_day(self, day: date) -> datetime:
        """The end of the afternoon session of ``day`` (aware, Asia/Ho_Chi_Minh)."""
        return datetime.combine(_as_date(day), self.sessions.afternoon_end, VN_TZ)

    def end_of_session(self, moment: datetime) -> datetime:
        """The end of the working session ``moment`` lies in (a session's end belongs to it);
        outside working time, the end of the next session."""
        current = _local(moment)
        day = current.date()
        for _ in range(MAX_DAYS_STEPPED):
            for _start, session_end in self._periods(day):
                if current <= session_end:
                    return session_end
            day += ONE_DAY
        raise RuntimeError("No working time found: check the special days.")

    def end_of_working_day(self, moment: datetime) -> datetime:
        """The end of the working day ``moment`` counts in (``receipt_day``): its own day up to
        the end of the afternoon session, else the next working day."""
        return self.end_of_day(self.receipt_day(moment))

    def is_working_time(self, moment: datetime) -> bool:
        local = _local(moment)
        return any(s <= local <= e for s, e in self._periods(local.date()))

    def receipt_day(self, start: datetime) -> date:
        """The working day a receipt at ``start`` counts as (see the module docstring)."""
        local = _local(start)
        day = local.date()
        if self.is_working_day(day) and local <= self.end_of_day(day):
            return day
        return self.next_working_day(day)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Due moment for a budget of ``days`` working days from ``start`` (module docstring)."""
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError("days must be an integer")
        if days < 0:
            raise ValueError("days must not be negative")
        day = self.receipt_day(start)
        for _ in range(days):
            day = self.next_working_day(day)
        return self.end_of_day(day)

    def add_working_hours(
        self, start: datetime, hours: float | int | Decimal | timedelta
    ) -> datetime:
        """The earliest moment inside working time with ``hours`` of working time since start."""
        remaining = _as_timedelta(hours)
        current = _local(start)
        day = current.date()
        for _ in range(MAX_DAYS_STEPPED):
            for session_start, session_end in self._periods(day):
                if session_end < current:
                    continue
                begin = max(session_start, current)
                available = session_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += ONE_DAY
        raise RuntimeError("No working time found: check the special days.")

    def working_time_between(
        self, start: datetime, end: datetime, *, cap: timedelta | None = None
    ) -> timedelta:
        """Working time inside [start, end]; minus ``working_time_between(end, start)`` if
        ``end < start``. With ``cap``, counting stops once the total reaches it (the result is
        then at least ``cap``): enough to compare a long span with a threshold, day by day
        otherwise over months of an old overdue item."""
        a, b = _local(start), _local(end)
        if b < a:
            return -self.working_time_between(b, a, cap=cap)
        total = timedelta()
        day = a.date()
        last = b.date()
        while day <= last:
            for session_start, session_end in self._periods(day):
                lo, hi = max(session_start, a), min(session_end, b)
                if hi > lo:
                    total += hi - lo
            if cap is not None and total >= cap:
                return total
            day += ONE_DAY
        return total


# --------------------------------------------------------------------------------------------
# Operator changes (the only code that writes calendar data)
# --------------------------------------------------------------------------------------------


def _require_operator(actor: Actor) -> None:
    if not actor.is_operator:
        raise NotAllowed("Chỉ quản trị hệ thống được thay đổi lịch làm việc.")


def _special_day_payload(row: SpecialDay) -> dict[str, Any]:
    return {
        "date": row.date.isoformat(),
        "kind": row.kind,
        "name": row.name,
        "agency_id": row.agency_id,
        "source": row.source,
        "legal_basis": row.legal_basis,
    }


def _today() -> date:
    return timezone.now().astimezone(VN_TZ).date()


def _effective_after(
    day: date,
    agency_id: int | None,
    *,
    without: int | None,
    new: tuple[date, str, int | None] | None,
) -> bool:
    """Whether ``day`` is a working day for the agency once the stored row ``without`` is gone and
    the row ``new`` (date, kind, agency id) is there: the agency's row over the province's over
    the statutory calendar."""
    rows = SpecialDay.objects.filter(date=day).filter(
        Q(agency__isnull=True) | Q(agency_id=agency_id)
    )
    if without is not None:
        rows = rows.exclude(pk=without)
    kinds = {r.agency_id: r.kind for r in rows.only("agency_id", "kind")}
    if new is not None and new[0] == day and new[2] in (None, agency_id):
        kinds[new[2]] = new[1]
    kind = kinds.get(agency_id) if agency_id is not None else None
    if kind is None:
        kind = kinds.get(None)
    if kind is None:
        return WorkingCalendar.statutory().is_working_day(day)
    return kind == SpecialDay.Kind.WORKING_DAY


def day_change_shift(
    *,
    day: date | None,
    kind: str = "",
    agency: Agency | None = None,
    instance: SpecialDay | None = None,
) -> impact.CalendarShift | None:
    """The change of saving (``day`` given) or deleting (``day`` None) a special day, as the
    deadlines see it; None when it touches no date after today."""
    stored = None
    if instance is not None and instance.pk is not None:
        stored = SpecialDay.objects.filter(pk=instance.pk).first()
    days = {d for d in (day, stored.date if stored else None) if d is not None}
    today = _today()
    if not any(d > today for d in days):
        return None
    agency_id = agency.pk if agency is not None else None
    scopes = {agency_id} if day is not None else set()
    if stored is not None:
        scopes.add(stored.agency_id)
    scope = next(iter(scopes)) if len(scopes) == 1 else None
    new = (day, kind, agency_id) if day is not None else None
    without = stored.pk if stored is not None else None

    def after(for_agency: int | None, d: date) -> bool:
        return _effective_after(d, for_agency, without=without, new=new)

    return impact.CalendarShift(
        days=tuple(sorted(days)), agency_id=scope, after=after, load=WorkingCalendar._load
    )


def preview_day_change(
    *,
    day: date | None,
    kind: str = "",
    agency: Agency | None = None,
    instance: SpecialDay | None = None,
) -> impact.DeadlineMoves:
    """What saving (or, with ``day`` None, deleting) a special day would move: the running
    deadlines (dossiers...) counted by the apps that registered them. Changes nothing."""
    shift = day_change_shift(day=day, kind=kind, agency=agency, instance=instance)
    if shift is None:
        return impact.DeadlineMoves()
    return impact.preview(shift, _today())


@transaction.atomic
def save_special_day(
    *,
    actor: Actor,
    day: date,
    kind: str,
    name: str,
    agency: Agency | None = None,
    legal_basis: str = "",
    source: str = SpecialDay.Source.OPERATOR,
    instance: SpecialDay | None = None,
) -> SpecialDay:
    """Create a special day, or change ``instance``. Records ``calendar.special_day_saved`` and
    moves the running deadlines the change touches (see `change_special_day`)."""
    return change_special_day(
        actor=actor,
        day=day,
        kind=kind,
        name=name,
        agency=agency,
        legal_basis=legal_basis,
        source=source,
        instance=instance,
    )[0]


@transaction.atomic
def change_special_day(
    *,
    actor: Actor,
    day: date,
    kind: str,
    name: str,
    agency: Agency | None = None,
    legal_basis: str = "",
    source: str = SpecialDay.Source.OPERATOR,
    instance: SpecialDay | None = None,
) -> tuple[SpecialDay, impact.DeadlineMoves]:
    """`save_special_day`, also saying which running deadlines moved.

    A day off entered for a date inside running deadlines (after today) takes that working day
    away from them; a working day adds one. In the same transaction each such deadline is moved
    to keep the working time it had left (impact.shift): the dossiers' appointment dates and
    their current steps' due times, each with a ``dossier.deadline_moved`` event."""
    _require_operator(actor)
    if kind not in SpecialDay.Kind.values:
        raise DomainError(
            "Loại ngày không hợp lệ.",
            code=CalendarErrorCode.INVALID_DAY_KIND,
            fields={"kind": [kind]},
        )
    if source not in SpecialDay.Source.values:
        raise DomainError(
            "Nguồn không hợp lệ.",
            code=CalendarErrorCode.INVALID_DAY_SOURCE,
            fields={"source": [source]},
        )
    name = (name or "").strip()
    if not name:
        raise DomainError(
            "Cần nhập tên hoặc lý do.",
            code=CalendarErrorCode.NAME_REQUIRED,
            fields={"name": ["Bắt buộc nhập."]},
        )
    agency_id = agency.pk if agency is not None else None
    clash = SpecialDay.objects.filter(date=day)
    clash = clash.filter(agency=agency) if agency is not None else clash.filter(agency__isnull=True)
    if instance is not None and instance.pk is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise Conflict(
            f"Ngày {day:%d/%m/%Y} đã được khai báo cho phạm vi này.",
            code=CalendarErrorCode.SPECIAL_DAY_EXISTS,
            fields={"date": ["Ngày đã được khai báo."]},
        )
    before = None
    if instance is not None and instance.pk is not None:
        stored = SpecialDay.objects.filter(pk=instance.pk).first()
        before = _special_day_payload(stored) if stored is not None else None
    shift = day_change_shift(day=day, kind=kind, agency=agency, instance=instance)
    if shift is not None:
        impact.preview(shift, _today())  # the calendars as they are before
    row = instance or SpecialDay()
    row.date = day
    row.kind = kind
    row.name = name[:200]
    row.agency = agency
    row.legal_basis = legal_basis[:255]
    row.source = source
    row.save()
    record_event(
        actor=actor,
        event_type=event_types.SPECIAL_DAY_SAVED,
        subject_type="special_day",
        subject_id=row.pk,
        agency_id=agency_id,
        payload={"before": before, "after": _special_day_payload(row)},
    )
    moves = impact.DeadlineMoves()
    if shift is not None:
        WorkingCalendar.clear_cache()
        shift.saved = True
        moves = impact.apply(shift, _today(), actor=actor)
    return row, moves


@transaction.atomic
def delete_special_day(*, actor: Actor, special_day: SpecialDay) -> None:
    """Remove a special day (the statutory calendar applies again). Records an event."""
    _require_operator(actor)
    payload = _special_day_payload(special_day)
    pk = special_day.pk
    shift = day_change_shift(day=None, instance=special_day)
    if shift is not None:
        impact.preview(shift, _today())  # the calendars as they are before
    special_day.delete()
    record_event(
        actor=actor,
        event_type=event_types.SPECIAL_DAY_DELETED,
        subject_type="special_day",
        subject_id=pk,
        agency_id=payload["agency_id"],
        payload={"before": payload},
    )
    if shift is not None:
        WorkingCalendar.clear_cache()
        shift.saved = True
        impact.apply(shift, _today(), actor=actor)


def _hours_payload(sessions: Sessions | None) -> str | None:
    return sessions.as_text() if sessions else None


@transaction.atomic
def set_working_hours(
    *,
    actor: Actor,
    agency: Agency | None,
    morning_start: time,
    morning_end: time,
    afternoon_start: time,
    afternoon_end: time,
) -> WorkingHours:
    """Set the sessions of an agency (or province-wide with ``agency=None``)."""
    _require_operator(actor)
    try:
        sessions = Sessions(morning_start, morning_end, afternoon_start, afternoon_end)
    except ValueError as exc:
        raise DomainError(
            "Giờ bắt đầu phải trước giờ kết thúc và buổi sáng phải trước buổi chiều.",
            code=CalendarErrorCode.INVALID_WORKING_HOURS,
            fields={"afternoon_end": [str(exc)]},
        ) from exc
    agency_id = agency.pk if agency is not None else None
    rows = WorkingHours.objects.select_for_update()
    row = (rows.filter(agency=agency) if agency else rows.filter(agency__isnull=True)).first()
    before = Sessions.from_model(row) if row is not None else None
    if row is None:
        row = WorkingHours(agency=agency)
    row.morning_start, row.morning_end = sessions.morning_start, sessions.morning_end
    row.afternoon_start, row.afternoon_end = sessions.afternoon_start, sessions.afternoon_end
    row.save()
    record_event(
        actor=actor,
        event_type=event_types.WORKING_HOURS_SET,
        subject_type="working_hours",
        subject_id=row.pk,
        agency_id=agency_id,
        payload={"before": _hours_payload(before), "after": sessions.as_text()},
    )
    return row


@transaction.atomic
def reset_working_hours(*, actor: Actor, working_hours: WorkingHours) -> None:
    """Remove an hours row: the agency falls back to the province's hours, then the default."""
    _require_operator(actor)
    agency_id = working_hours.agency_id
    before = Sessions.from_model(working_hours).as_text()
    pk = working_hours.pk
    working_hours.delete()
    record_event(
        actor=actor,
        event_type=event_types.WORKING_HOURS_RESET,
        subject_type="working_hours",
        subject_id=pk,
        agency_id=agency_id,
        payload={"before": before},
    )


@dataclass
class LoadResult:
    created: list[date] = field(default_factory=list)
    updated: list[date] = field(default_factory=list)
    already_in_package: list[date] = field(default_factory=list)
    kept_operator_rows: list[date] = field(default_factory=list)
    unchanged: list[date] = field(default_factory=list)


def _statutory_is_working(day: date) -> bool:
    return WorkingCalendar.statutory().is_working_day(day)


@transaction.atomic
def load_official_days(
    *,
    actor: Actor,
    days: Iterable[Any] | None = None,
    include_covered: bool = False,
    years: Iterable[int] | None = None,
    only_new: bool = False,
) -> LoadResult:
    """Write the government's announced days (official_days.py) as province-wide rows.

    A day that ``holidays.Vietnam`` already gets right is skipped unless ``include_covered``.
    A row an operator entered for the same date is kept as it is. Rerunning changes nothing.
    With ``only_new`` (what `migrate` does) a date offered once before is left alone, so an
    official row the operator changed or deleted is not brought back; the command offers all.
    """
    from .official_days import OFFICIAL_DAYS

    _require_operator(actor)
    wanted_years = set(years) if years is not None else None
    result = LoadResult()
    existing = {
        row.date: row for row in SpecialDay.objects.select_for_update().filter(agency__isnull=True)
    }
    offered = set(OfficialDayLoaded.objects.values_list("date", flat=True))
    for item in days if days is not None else OFFICIAL_DAYS:
        if wanted_years is not None and item.day.year not in wanted_years:
            continue
        if only_new and item.day in offered:
            continue
        if item.day not in offered:
            OfficialDayLoaded.objects.create(date=item.day)
            offered.add(item.day)
        want_working = item.kind == SpecialDay.Kind.WORKING_DAY
        row = existing.get(item.day)
        if row is not None and row.source == SpecialDay.Source.OPERATOR:
            result.kept_operator_rows.append(item.day)
            continue
        if row is None and not include_covered and _statutory_is_working(item.day) == want_working:
            result.already_in_package.append(item.day)
            continue
        if row is not None and (row.kind, row.name, row.legal_basis) == (
            item.kind,
            item.name,
            item.legal_basis,
        ):
            result.unchanged.append(item.day)
            continue
        save_special_day(
            actor=actor,
            day=item.day,
            kind=item.kind,
            name=item.name,
            legal_basis=item.legal_basis,
            source=SpecialDay.Source.OFFICIAL,
            instance=row,
        )
        (result.updated if row is not None else result.created).append(item.day)
    return result
