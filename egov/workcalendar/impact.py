"""What a change of the special days does to the deadlines already running.

Deadlines are stored when they are set (a dossier's appointment date, the due time of its
current step), counted on the working-day calendar as it stood then. A day off entered later for
a date inside a running deadline takes a working day away from it, a swap working day adds one:
the platform moves those deadlines so that each keeps the working time it had left.

The calendar does not know what runs on it (the apps above it do): an app registers a
`DeadlineSource` (onestop registers the dossiers); `preview` counts what a change would move,
for the operator's confirmation, and `apply`, called by the calendar services in the same
transaction as the change, moves them and records why.

Moving one deadline (`shift`): the working time left from the start of the first changed day
to the old deadline, counted on the old calendar, is laid out again from that day on the new
one; a deadline at the end of a working day stays at the end of one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Calendar(Protocol):
    """What moving a deadline needs of a working calendar (services.WorkingCalendar)."""

    def is_working_day(self, day: date) -> bool: ...

    def working_time_between(
        self, start: datetime, end: datetime, *, cap: timedelta | None = None
    ) -> timedelta: ...

    def add_working_hours(self, start: datetime, hours: Any) -> datetime: ...

    def end_of_day(self, day: date) -> datetime: ...


@dataclass
class CalendarShift:
    """One change of the special days: the dates it touches and the scope (an agency, or the
    whole province with ``agency_id`` None). ``after`` says, for an agency and one of the dates,
    whether it is a working day once the change is made; the calendars before the change are
    captured when the shift is made (call `capture` before saving)."""

    days: tuple[date, ...]
    agency_id: int | None
    after: Callable[[int | None, date], bool]
    load: Callable[[int | None], Calendar]  # an agency's calendar as stored now
    saved: bool = False  # set by the calendar services once the change is stored
    _before: dict[int | None, Calendar] = field(default_factory=dict)
    _after: dict[tuple[int | None, bool], Calendar] = field(default_factory=dict)

    def before(self, agency_id: int | None) -> Calendar:
        calendar = self._before.get(agency_id)
        if calendar is None:
            calendar = self.load(agency_id)
            self._before[agency_id] = calendar
        return calendar

    def after_calendar(self, agency_id: int | None) -> Calendar:
        """The agency's calendar with the change made: as stored once it is saved, before that
        the calendar of before with the changed dates set as the change sets them."""
        key = (agency_id, self.saved)
        cached = self._after.get(key)
        if cached is not None:
            return cached
        if self.saved:
            calendar = self.load(agency_id)
        else:
            before: Any = self.before(agency_id)
            overrides = dict(before.overrides)
            for d in self.days:
                overrides[d] = self.after(agency_id, d)
            calendar = replace(before, overrides=overrides)
        self._after[key] = calendar
        return calendar

    def capture(self, agency_ids: Iterable[int | None]) -> None:
        for agency_id in agency_ids:
            self.before(agency_id)

    def concerns(self, agency_id: int | None) -> bool:
        return self.agency_id is None or self.agency_id == agency_id

    def moved_days(self, agency_id: int | None, *, after_day: date) -> list[date]:
        """The dates after ``after_day`` whose working status this change flips for the agency."""
        if not self.concerns(agency_id):
            return []
        before = self.before(agency_id)
        return [
            d
            for d in self.days
            if d > after_day and before.is_working_day(d) != self.after(agency_id, d)
        ]


def shift(before: Calendar, after: Calendar, due: datetime, first: date) -> datetime:
    """``due`` moved so that it keeps, from the start of ``first`` on, the working time it had on
    the old calendar; at the end of a working day if it was at the end of one."""
    start = datetime.combine(first, time(0), VN_TZ)
    left = before.working_time_between(start, due)
    if left.total_seconds() <= 0:
        return due
    moved = after.add_working_hours(start, left)
    local_due = due.astimezone(VN_TZ)
    if local_due == before.end_of_day(local_due.date()):
        moved = after.end_of_day(moved.astimezone(VN_TZ).date())
    return moved


@dataclass(frozen=True)
class DeadlineMoves:
    """What a change moves (or moved): how many running items, of which agencies."""

    count: int = 0
    agencies: tuple[str, ...] = ()
    what: str = "hồ sơ đang giải quyết"

    def __add__(self, other: DeadlineMoves) -> DeadlineMoves:
        return DeadlineMoves(
            self.count + other.count,
            tuple(dict.fromkeys(self.agencies + other.agencies)),
            self.what if self.count else other.what,
        )

    def describe(self) -> str:
        """ "3 hồ sơ đang giải quyết (Ủy ban nhân dân phường Hạ Long, Sở Tư pháp)" """
        names = ", ".join(self.agencies)
        return f"{self.count} {self.what}" + (f" ({names})" if names else "")


class DeadlineSource(Protocol):
    def preview(self, shift: CalendarShift, today: date) -> DeadlineMoves: ...

    def apply(self, shift: CalendarShift, today: date, *, actor: Any) -> DeadlineMoves: ...


_sources: list[DeadlineSource] = []


def register(source: DeadlineSource) -> None:
    """Called from an app's ready(); registering the same source twice is a no-op."""
    if not any(type(s) is type(source) for s in _sources):
        _sources.append(source)


def preview(shift: CalendarShift, today: date) -> DeadlineMoves:
    total = DeadlineMoves()
    for source in _sources:
        total = total + source.preview(shift, today)
    return total


def apply(shift: CalendarShift, today: date, *, actor: Any) -> DeadlineMoves:
    total = DeadlineMoves()
    for source in _sources:
        total = total + source.apply(shift, today, actor=actor)
    return total
