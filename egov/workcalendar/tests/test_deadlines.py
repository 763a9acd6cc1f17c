"""The one deadline-marks rule: near due is counted in working hours, not on the wall clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import override_settings

from egov.workcalendar.deadlines import (
    EARLY,
    LATE,
    NEAR_DUE,
    ON_TIME,
    OVERDUE,
    deadline_state,
    due_after_pause,
    ended_in_time,
    near_due_before,
    timeliness,
)
from egov.workcalendar.services import VN_TZ, Sessions, WorkingCalendar

pytestmark = pytest.mark.django_db


def vn(m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, m, d, hh, mm, tzinfo=VN_TZ)


def test_near_due_is_within_one_working_day_skipping_nights_and_weekends():
    calendar = WorkingCalendar.for_agency(None)
    friday_4pm = vn(11, 27, 16)
    assert deadline_state(None, friday_4pm, calendar) is None
    assert deadline_state(vn(11, 27, 15), friday_4pm, calendar) == OVERDUE
    # Monday 14:00 is 60 wall-clock hours away but 1 + 4 + 0.5 = 5.5 working hours: near due.
    assert deadline_state(vn(11, 30, 14), friday_4pm, calendar) == NEAR_DUE
    # Monday 16:00 is 1 + 4 + 2.5 = 7.5 working hours away, a whole working day: on time.
    assert deadline_state(vn(11, 30, 16), friday_4pm, calendar) == ON_TIME
    # Tuesday 08:00 is 20 wall-clock hours after Monday noon, but 5 working hours: near due.
    assert deadline_state(vn(12, 1, 8), vn(11, 30, 12), calendar) == NEAR_DUE


def test_the_database_filter_and_the_mark_agree():
    calendar = WorkingCalendar.for_agency(None)
    now = vn(11, 27, 16)
    limit = near_due_before(now, calendar)
    assert limit == vn(11, 30, 16)
    for due in (vn(11, 30, 15, 59), limit, vn(11, 30, 16, 1)):
        assert (deadline_state(due, now, calendar) == NEAR_DUE) == (due < limit)


@override_settings(NEAR_DUE_WORKING_HOURS=2)
def test_the_window_is_a_setting_in_working_hours():
    calendar = WorkingCalendar.for_agency(None)
    friday_4pm = vn(11, 27, 16)
    assert deadline_state(vn(11, 30, 8, 29), friday_4pm, calendar) == NEAR_DUE
    assert deadline_state(vn(11, 30, 8, 30), friday_4pm, calendar) == ON_TIME


# --- on time or late, and the appointment after a pause (#13) ---------------------------------


def test_on_time_is_judged_by_the_local_date_not_the_moment():
    due = vn(11, 30, 17)  # Monday 30/11/2026, end of the afternoon session
    assert timeliness(vn(11, 30, 17), due) == ON_TIME
    assert timeliness(vn(11, 30, 17, 1), due) == ON_TIME
    assert timeliness(vn(11, 30, 23, 59), due) == ON_TIME
    assert timeliness(vn(12, 1, 8), due) == LATE  # the next working day
    assert timeliness(vn(11, 27, 16), due) == EARLY
    # 00:30 on 1/12 local is still 30/11 in UTC: the local date decides.
    assert timeliness(vn(12, 1, 0, 30), due) == LATE
    assert ended_in_time(vn(11, 30, 17, 1), due) and not ended_in_time(vn(12, 1, 8), due)


def test_after_a_pause_the_appointment_is_a_date_or_a_session():
    calendar = WorkingCalendar.statutory()
    friday = vn(11, 20, 17)
    one_hour = timedelta(hours=1)
    assert calendar.add_working_hours(friday, one_hour) == vn(11, 23, 8, 30)
    # Counted in days: the end of Monday, not Monday 08:30.
    assert due_after_pause(calendar, friday, one_hour) == vn(11, 23, 17)
    # Counted in hours: the end of the session the moved moment falls in.
    assert due_after_pause(calendar, friday, one_hour, by_session=True) == vn(11, 23, 11, 30)
    assert due_after_pause(calendar, vn(11, 23, 10), one_hour, by_session=True) == vn(
        11, 23, 11, 30
    )  # 11:00 in the morning session
    assert due_after_pause(calendar, vn(11, 23, 11), one_hour, by_session=True) == vn(11, 23, 17)
    # No working time paused: nothing moves.
    assert due_after_pause(calendar, vn(11, 23, 10), timedelta()) == vn(11, 23, 10)
    # The session ends are the calendar's, not constants.
    late_hours = WorkingCalendar.statutory(Sessions.parse("08:00-12:00,13:00-17:30"))
    assert due_after_pause(late_hours, vn(11, 20, 17, 30), one_hour) == vn(11, 23, 17, 30)
    assert due_after_pause(late_hours, vn(11, 20, 17, 30), one_hour, by_session=True) == vn(
        11, 23, 12
    )
