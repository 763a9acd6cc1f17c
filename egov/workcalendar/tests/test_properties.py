"""Laws of the calendar, checked with hypothesis on random hours, swap days and starts.

No database: calendars are built directly with random operator entries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from egov.workcalendar.services import VN_TZ, Sessions, WorkingCalendar

START = datetime(2025, 6, 1)
END = datetime(2027, 12, 31, 23, 59)


@st.composite
def sessions(draw: st.DrawFn) -> Sessions:
    def at(minutes: int) -> time:
        return time(minutes // 60, minutes % 60)

    m_start = draw(st.integers(6 * 4, 9 * 4)) * 15
    m_end = m_start + draw(st.integers(2 * 4, 5 * 4)) * 15
    a_start = m_end + draw(st.integers(0, 2 * 4)) * 15
    a_end = a_start + draw(st.integers(2 * 4, 5 * 4)) * 15
    return Sessions(at(m_start), at(m_end), at(a_start), at(a_end))


day_strategy = st.dates(min_value=date(2025, 6, 1), max_value=date(2028, 3, 31))
saturdays = day_strategy.map(lambda d: d + timedelta(days=(5 - d.weekday()) % 7))

# Build the per-year holiday cache once so no example pays for it (and hits the deadline).
WorkingCalendar.statutory().working_days_between(date(2024, 12, 1), date(2029, 1, 31))
relaxed = settings(deadline=None)


@st.composite
def calendars(draw: st.DrawFn) -> WorkingCalendar:
    chosen = draw(st.one_of(st.just(Sessions.default()), sessions()))
    overrides = draw(st.dictionaries(day_strategy, st.booleans(), max_size=25))
    # Swap Saturdays made working days, as the government does.
    swaps = draw(st.lists(saturdays, max_size=4))
    overrides.update(dict.fromkeys(swaps, True))
    return WorkingCalendar(sessions=chosen, overrides=overrides)


moments = st.datetimes(min_value=START, max_value=END, timezones=st.sampled_from([VN_TZ, UTC]))
# Quarter hours as Decimal (exact), up to 60 working hours.
quarter_hours = st.integers(0, 240).map(lambda q: Decimal(q) / 4)
budgets = st.integers(0, 40)


def in_working_time(cal: WorkingCalendar, moment: datetime) -> bool:
    return cal.is_working_day(moment.date()) and any(
        datetime.combine(moment.date(), s, VN_TZ)
        <= moment
        <= datetime.combine(moment.date(), e, VN_TZ)
        for s, e in cal.sessions.periods
    )


@relaxed
@given(calendars(), moments, quarter_hours)
def test_added_hours_land_in_working_time_with_exactly_that_much_work(cal, start, hours):
    due = cal.add_working_hours(start, hours)
    assert due >= start
    assert due.tzinfo == VN_TZ
    assert in_working_time(cal, due)
    assert cal.working_time_between(start, due) == timedelta(hours=float(hours))


@relaxed
@given(calendars(), moments, quarter_hours, quarter_hours)
def test_adding_hours_in_two_steps_equals_adding_the_sum(cal, start, a, b):
    assert cal.add_working_hours(cal.add_working_hours(start, a), b) == cal.add_working_hours(
        start, a + b
    )


@relaxed
@given(calendars(), moments, quarter_hours, quarter_hours)
def test_more_hours_never_give_an_earlier_due_time(cal, start, a, b):
    low, high = sorted((a, b))
    assert cal.add_working_hours(start, low) <= cal.add_working_hours(start, high)
    if low < high:
        assert cal.add_working_hours(start, low) < cal.add_working_hours(start, high)


@relaxed
@given(calendars(), moments, budgets)
def test_due_date_is_the_end_of_a_working_day(cal, start, n):
    due = cal.add_working_days(start, n)
    assert cal.is_working_day(due.date())
    assert due.timetz().replace(tzinfo=None) == cal.sessions.afternoon_end
    assert due.tzinfo == VN_TZ
    assert due > start or (n == 0 and due == start)


@relaxed
@given(calendars(), moments, budgets)
def test_one_more_day_gives_a_later_working_day(cal, start, n):
    assert cal.add_working_days(start, n + 1).date() == cal.next_working_day(
        cal.add_working_days(start, n).date()
    )
    assert cal.add_working_days(start, n + 1) > cal.add_working_days(start, n)


@relaxed
@given(calendars(), moments, budgets, budgets)
def test_adding_days_in_two_steps_equals_adding_the_sum(cal, start, a, b):
    assert cal.add_working_days(cal.add_working_days(start, a), b) == cal.add_working_days(
        start, a + b
    )


@relaxed
@given(calendars(), moments, budgets)
def test_days_and_hours_agree(cal, start, n):
    """N working days = N full days of working time counted from the end of the receipt day."""
    end_of_receipt_day = cal.add_working_days(start, 0)
    assert cal.add_working_days(start, n) == cal.add_working_hours(
        end_of_receipt_day, n * cal.day_length
    )
    assert (
        cal.working_days_between(end_of_receipt_day.date(), cal.add_working_days(start, n).date())
        == n
    )


@relaxed
@given(calendars(), moments, moments)
def test_working_time_between_is_antisymmetric_and_bounded(cal, a, b):
    forward = cal.working_time_between(a, b)
    assert forward == -cal.working_time_between(b, a)
    if b >= a:
        assert timedelta() <= forward <= b - a


@relaxed
@given(calendars(), moments, moments, st.integers(min_value=1, max_value=200))
def test_a_capped_count_decides_every_threshold_like_the_full_one(cal, a, b, cap_hours):
    """Queues ask "late by more than a day?" of items months overdue: the count may stop at
    the cap, but never answers a comparison with the cap differently."""
    a, b = sorted((a, b))
    cap = timedelta(hours=cap_hours)
    exact = cal.working_time_between(a, b)
    capped = cal.working_time_between(a, b, cap=cap)
    assert (capped >= cap) == (exact >= cap)
    assert capped == exact if exact < cap else cap <= capped <= exact


@relaxed
@given(calendars(), moments, moments, moments)
def test_working_time_is_additive_over_consecutive_intervals(cal, a, b, c):
    a, b, c = sorted((a, b, c))
    assert cal.working_time_between(a, c) == cal.working_time_between(
        a, b
    ) + cal.working_time_between(b, c)


@settings(deadline=None, max_examples=60)
@given(moments, budgets, quarter_hours)
def test_statutory_holidays_and_weekends_are_never_due_dates(start, n, hours):
    cal = WorkingCalendar.statutory()
    table = holidays.Vietnam(years=range(2025, 2029))
    for due in (cal.add_working_days(start, n), cal.add_working_hours(start, hours)):
        assert due.date() not in table
        assert due.weekday() < 5 or due.date() in table.weekend_workdays


@relaxed
@given(calendars(), saturdays)
def test_a_swap_saturday_is_counted(cal, saturday):
    cal = WorkingCalendar(sessions=cal.sessions, overrides={**cal.overrides, saturday: True})
    before = saturday - timedelta(days=1)
    while not cal.is_working_day(before):
        before -= timedelta(days=1)
    received = datetime.combine(before, cal.sessions.morning_start, VN_TZ)
    assert cal.add_working_days(received, 1).date() == saturday
    assert cal.working_days_between(before, saturday) == 1
    assert (
        cal.working_time_between(
            datetime.combine(saturday, time(0), VN_TZ),
            datetime.combine(saturday, time(23, 59), VN_TZ),
        )
        == cal.day_length
    )


@relaxed
@given(calendars(), day_strategy)
def test_working_days_between_counts_the_days_after_the_first(cal, a):
    b = a + timedelta(days=20)
    expected = sum(1 for i in range(1, 21) if cal.is_working_day(a + timedelta(days=i)))
    assert cal.working_days_between(a, b) == expected
    assert cal.working_days_between(b, a) == -expected
