"""A page's urgency marks (the work-queue API) equal the one-row rule, on random calendars.

No database: `urgencies` walks the calendar a few times a page (the near-due bound once, the
escalation boundary by bisection); these properties hold it to `urgency` row by row, across
weekends, holidays, swap days, nights and the bounds themselves.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from egov.onestop.reminders import ESCALATED, NEAR_DUE, OVERDUE, urgencies, urgency
from egov.workcalendar import deadlines
from egov.workcalendar.services import WorkingCalendar
from egov.workcalendar.tests.test_properties import calendars, moments, relaxed

offsets = st.one_of(
    st.none(),
    st.integers(-14 * 24 * 60, 14 * 24 * 60).map(lambda m: timedelta(minutes=m)),
    st.integers(-3, 3).map(lambda s: timedelta(seconds=s)),  # right at `now`
)


@relaxed
@given(calendars(), moments, st.lists(offsets, max_size=60))
def test_a_page_is_marked_as_each_row_would_be(
    cal: WorkingCalendar, now: datetime, shifts: list[timedelta | None]
) -> None:
    dues = [None if s is None else now + s for s in shifts]
    assert urgencies(dues, now, cal) == [urgency(d, now, cal) for d in dues]


@relaxed
@given(calendars(), moments)
def test_the_bounds_themselves(cal: WorkingCalendar, now: datetime) -> None:
    # The first near-due moment's neighbours, and the escalation boundary's, to the microsecond.
    near = deadlines.near_due_before(now, cal)
    day_ago = now - timedelta(days=1)
    tick = timedelta(microseconds=1)
    dues: list[datetime | None] = [near - tick, near, near + tick, now - tick, now]
    dues += [day_ago + timedelta(hours=h) + d for h in range(-96, 1, 4) for d in (-tick, 0 * tick)]
    assert urgencies(dues, now, cal) == [urgency(d, now, cal) for d in dues]


def test_marks_on_a_known_page() -> None:
    cal = WorkingCalendar.statutory()
    now = datetime.fromisoformat("2026-12-04T10:00:00+07:00")  # a Friday morning
    dues = [
        datetime.fromisoformat("2026-12-02T09:00:00+07:00"),  # two working days ago
        datetime.fromisoformat("2026-12-04T09:00:00+07:00"),  # an hour ago
        datetime.fromisoformat("2026-12-04T15:00:00+07:00"),  # this afternoon
        None,
    ]
    assert urgencies(dues, now, cal) == [ESCALATED, OVERDUE, NEAR_DUE, "on_time"]
