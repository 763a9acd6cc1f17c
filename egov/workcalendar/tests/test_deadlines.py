"""The one deadline-marks rule: near due is counted in working hours, not on the wall clock."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import override_settings

from egov.workcalendar.deadlines import (
    NEAR_DUE,
    ON_TIME,
    OVERDUE,
    deadline_state,
    near_due_before,
)
from egov.workcalendar.services import VN_TZ, WorkingCalendar

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
