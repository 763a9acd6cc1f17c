"""The one deadline-marks rule: is an open item overdue, near due or on time.

Every page, API and reminder that marks "sắp đến hạn" asks here, so they never disagree.
Near due means due within N working hours of now on the agency's working-day calendar (nights,
weekends and holidays do not count). N is the ``NEAR_DUE_WORKING_HOURS`` setting; unset, it is
one working day of that calendar (its day length: 7.5 hours with the built-in sessions).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from .services import WorkingCalendar

OVERDUE = "overdue"
NEAR_DUE = "near_due"
ON_TIME = "on_time"


def near_due_window(calendar: WorkingCalendar) -> timedelta:
    """Working time before its due moment from which an item is near due."""
    hours = getattr(settings, "NEAR_DUE_WORKING_HOURS", None)
    return calendar.day_length if hours is None else timedelta(hours=hours)


def near_due_before(now: datetime, calendar: WorkingCalendar) -> datetime:
    """Items due at or after `now` and before this moment are near due: the same rule as
    `deadline_state`, for filtering and counting in the database."""
    return calendar.add_working_hours(now, near_due_window(calendar))


def deadline_state(due_at: datetime | None, now: datetime, calendar: WorkingCalendar) -> str | None:
    """OVERDUE, NEAR_DUE or ON_TIME; None without a due moment."""
    if due_at is None:
        return None
    if due_at < now:
        return OVERDUE
    window = near_due_window(calendar)
    # add_working_hours gives the earliest moment with `window` of working time, so "less than
    # the window" here is exactly "before near_due_before(now)".
    if calendar.working_time_between(now, due_at, cap=window) < window:
        return NEAR_DUE
    return ON_TIME
