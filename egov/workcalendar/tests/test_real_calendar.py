"""Real appointment dates around Vietnamese holidays, worked out by hand from the printed
calendar and the announced days off (not by running the code under test).

Rule: the day of receipt is not counted; the due moment is 17:00 on the N-th working day after
it; a receipt after 17:00, on a weekend or on a holiday counts from the next working day.

Days off used below (Monday–Friday only; weekends are off anyway):
  2026: Thu 1/1, Fri 2/1 (New Year swap; Saturday 10/1 worked instead), Mon 16/2–Fri 20/2 (Tết
        Bính Ngọ, break 14/2–22/2), Mon 27/4 (Hùng Kings' day 26/4 fell on Sunday), Thu 30/4,
        Fri 1/5, Mon 31/8 (swap; Saturday 22/8 worked), Tue 1/9, Wed 2/9, Tue 24/11.
  2027: Fri 1/1, Thu 4/2, Fri 5/2, Mon 8/2, Tue 9/2, Wed 10/2 (Tết Đinh Mùi: 6/2 is day 1),
        Fri 16/4 (Hùng Kings), Fri 30/4, Mon 3/5 (1/5 fell on Saturday), Thu 2/9, Fri 3/9,
        Wed 24/11.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from egov.workcalendar.services import VN_TZ, WorkingCalendar

pytestmark = pytest.mark.django_db


def vn(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN_TZ)


@pytest.fixture
def calendar() -> WorkingCalendar:
    call_command("load_official_days", verbosity=0)
    return WorkingCalendar.for_agency(None)


DAY_CASES = [
    # (what, received, working days, due)
    (
        "NY2026: Wed 31/12/2025, 1 day: 1/1 holiday, 2/1 swapped off",
        vn(2025, 12, 31, 10),
        1,
        vn(2026, 1, 5, 17),
    ),
    ("NY2026: Tue 30/12/2025, 3 days: 31/12, 5/1, 6/1", vn(2025, 12, 30, 9), 3, vn(2026, 1, 6, 17)),
    (
        "NY2026 swap Saturday 10/1 counts: Fri 9/1, 1 day",
        vn(2026, 1, 9, 14),
        1,
        vn(2026, 1, 10, 17),
    ),
    ("NY2026: Thu 8/1, 3 days: 9/1, Sat 10/1, 12/1", vn(2026, 1, 8, 8), 3, vn(2026, 1, 12, 17)),
    (
        "Tết 2026: last working day Fri 13/2, 3 days: 23, 24, 25/2",
        vn(2026, 2, 13, 15),
        3,
        vn(2026, 2, 25, 17),
    ),
    ("Tết 2026: Thu 12/2, 1 day", vn(2026, 2, 12, 10), 1, vn(2026, 2, 13, 17)),
    (
        "Tết 2026: Wed 11/2, 5 days: 12, 13, 23, 24, 25/2",
        vn(2026, 2, 11, 10),
        5,
        vn(2026, 2, 25, 17),
    ),
    (
        "Tết 2026: online on Wed 18/2 counts from Mon 23/2, 2 days",
        vn(2026, 2, 18, 9),
        2,
        vn(2026, 2, 25, 17),
    ),
    (
        "Tết 2026: Fri 13/2 at 17:30 counts from Mon 23/2, 1 day",
        vn(2026, 2, 13, 17, 30),
        1,
        vn(2026, 2, 24, 17),
    ),
    ("Tết 2026: Mon 2/2, 15 days", vn(2026, 2, 2, 9), 15, vn(2026, 3, 2, 17)),
    (
        "Hùng Kings 2026 observed Mon 27/4: Fri 24/4, 1 day",
        vn(2026, 4, 24, 10),
        1,
        vn(2026, 4, 28, 17),
    ),
    ("30/4–1/5/2026: Tue 28/4, 3 days: 29/4, 4/5, 5/5", vn(2026, 4, 28, 9), 3, vn(2026, 5, 5, 17)),
    ("Hùng Kings + 30/4 2026: Fri 24/4, 5 days", vn(2026, 4, 24, 16), 5, vn(2026, 5, 6, 17)),
    ("2/9/2026: Fri 28/8, 2 days: 31/8, 1/9, 2/9 off", vn(2026, 8, 28, 10), 2, vn(2026, 9, 4, 17)),
    (
        "2/9/2026 swap Saturday 22/8 counts: Fri 21/8, 1 day",
        vn(2026, 8, 21, 11),
        1,
        vn(2026, 8, 22, 17),
    ),
    ("Received on swap Saturday 22/8/2026, same day", vn(2026, 8, 22, 9), 0, vn(2026, 8, 22, 17)),
    ("Culture Day Tue 24/11/2026: Mon 23/11, 1 day", vn(2026, 11, 23, 10), 1, vn(2026, 11, 25, 17)),
    ("NY2027: Thu 31/12/2026, 1 day", vn(2026, 12, 31, 10), 1, vn(2027, 1, 4, 17)),
    (
        "Tết 2027: last working day Wed 3/2, 3 days: 11, 12, 15/2",
        vn(2027, 2, 3, 10),
        3,
        vn(2027, 2, 15, 17),
    ),
    ("Tết 2027: Tue 2/2, 1 day", vn(2027, 2, 2, 9), 1, vn(2027, 2, 3, 17)),
    ("Tết 2027: Tue 2/2, 2 days: 3/2, 11/2", vn(2027, 2, 2, 9), 2, vn(2027, 2, 11, 17)),
    (
        "Tết 2027: online on day 1 (Sat 6/2) counts from Thu 11/2, 1 day",
        vn(2027, 2, 6, 20),
        1,
        vn(2027, 2, 12, 17),
    ),
    ("Tết 2027: Mon 25/1, 15 days", vn(2027, 1, 25, 9), 15, vn(2027, 2, 22, 17)),
    ("Hùng Kings 2027 Fri 16/4: Thu 15/4, 1 day", vn(2027, 4, 15, 10), 1, vn(2027, 4, 19, 17)),
    (
        "30/4–1/5/2027 (1/5 Saturday, off Mon 3/5): Thu 29/4, 1 day",
        vn(2027, 4, 29, 14),
        1,
        vn(2027, 5, 4, 17),
    ),
    ("2/9/2027 (Thu 2, Fri 3 off): Wed 1/9, 1 day", vn(2027, 9, 1, 10), 1, vn(2027, 9, 6, 17)),
    (
        "UTC input: Fri 13/2/2026 09:30Z is 16:30 in Hà Nội, 1 day",
        datetime(2026, 2, 13, 9, 30, tzinfo=UTC),
        1,
        vn(2026, 2, 23, 17),
    ),
    (
        "UTC input: Fri 13/2/2026 10:30Z is 17:30 in Hà Nội, 1 day",
        datetime(2026, 2, 13, 10, 30, tzinfo=UTC),
        1,
        vn(2026, 2, 24, 17),
    ),
]


@pytest.mark.parametrize(
    ("what", "received", "days", "due"), DAY_CASES, ids=[c[0] for c in DAY_CASES]
)
def test_appointment_dates(calendar, what, received, days, due):
    result = calendar.add_working_days(received, days)
    assert result == due, what
    assert result.utcoffset() == timedelta(hours=7)
    assert calendar.is_working_day(result.date())


HOUR_CASES = [
    (
        "Fri 13/2/2026 16:00 + 8h: 1h Fri, 4h Mon morning, 3h Mon afternoon",
        vn(2026, 2, 13, 16),
        Decimal(8),
        vn(2026, 2, 23, 16, 30),
    ),
    (
        "Wed 29/4/2026 10:30 + 4h: 1h morning, 3h afternoon",
        vn(2026, 4, 29, 10, 30),
        Decimal(4),
        vn(2026, 4, 29, 16, 30),
    ),
    (
        "Wed 29/4/2026 15:00 + 4h: 2h, then 30/4–3/5 off, 2h on Mon 4/5",
        vn(2026, 4, 29, 15),
        Decimal(4),
        vn(2026, 5, 4, 9, 30),
    ),
    (
        "Wed 3/2/2027 07:30 + 24h across Tết 2027",
        vn(2027, 2, 3, 7, 30),
        Decimal(24),
        vn(2027, 2, 15, 9),
    ),
    (
        "Fri 13/2/2026 07:30 + 7.5h ends at 17:00 the same day",
        vn(2026, 2, 13, 7, 30),
        7.5,
        vn(2026, 2, 13, 17),
    ),
    (
        "Fri 21/8/2026 16:00 + 2h uses swap Saturday 22/8",
        vn(2026, 8, 21, 16),
        2,
        vn(2026, 8, 22, 8, 30),
    ),
    ("Lunch break: Mon 5/1/2026 11:00 + 1h", vn(2026, 1, 5, 11), 1, vn(2026, 1, 5, 14)),
]


@pytest.mark.parametrize(
    ("what", "start", "hours", "due"), HOUR_CASES, ids=[c[0] for c in HOUR_CASES]
)
def test_working_hour_deadlines(calendar, what, start, hours, due):
    assert calendar.add_working_hours(start, hours) == due, what


def test_working_time_and_days_between_real_dates(calendar):
    assert calendar.working_time_between(vn(2026, 2, 13, 16), vn(2026, 2, 23, 8, 30)) == timedelta(
        hours=2
    )
    assert calendar.working_time_between(vn(2026, 2, 23, 8, 30), vn(2026, 2, 13, 16)) == -timedelta(
        hours=2
    )
    # Across the whole Tết 2026 break (Sat 14/2 to Sun 22/2) there is no working time.
    assert calendar.working_time_between(vn(2026, 2, 13, 17), vn(2026, 2, 23, 7, 30)) == timedelta()
    assert calendar.working_days_between(date(2026, 2, 13), date(2026, 2, 25)) == 3
    assert calendar.working_days_between(date(2027, 2, 3), date(2027, 2, 15)) == 3
    assert calendar.working_days_between(date(2026, 2, 25), date(2026, 2, 13)) == -3
    # 2026: 261 weekdays, 14 weekday days off, 2 swap Saturdays worked = 249.
    assert calendar.working_days_between(date(2025, 12, 31), date(2026, 12, 31)) == 249
    # 2027: 261 weekdays, 12 weekday days off, no swap known yet = 249.
    assert calendar.working_days_between(date(2026, 12, 31), date(2027, 12, 31)) == 249


def test_next_working_day_around_holidays(calendar):
    assert calendar.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert calendar.next_working_day(date(2027, 2, 3)) == date(2027, 2, 11)
    assert calendar.next_working_day(date(2026, 8, 21)) == date(2026, 8, 22)
    assert calendar.next_working_day(date(2026, 8, 28)) == date(2026, 9, 3)
    assert calendar.next_working_day(date(2026, 4, 29)) == date(2026, 5, 4)


def test_new_year_2026_swap_needs_the_official_days(db):
    """The holidays package does not know the New Year 2026 swap; the loaded rows add it."""
    statutory = WorkingCalendar.statutory()
    assert statutory.add_working_days(vn(2025, 12, 31, 10), 1) == vn(2026, 1, 2, 17)
    assert not statutory.is_working_day(date(2026, 1, 10))
    call_command("load_official_days", verbosity=0)
    loaded = WorkingCalendar.for_agency(None)
    assert loaded.add_working_days(vn(2025, 12, 31, 10), 1) == vn(2026, 1, 5, 17)
    assert loaded.is_working_day(date(2026, 1, 10))
    assert loaded.day_name(date(2026, 1, 10)) == "Làm bù cho ngày 02/01/2026"
