"""The one deadline-marks rule: is an open item overdue, near due or on time.

Every page, API and reminder that marks "sắp đến hạn" asks here, so they never disagree.
Near due means due within N working hours of now on the agency's working-day calendar (nights,
weekends and holidays do not count). N is the ``NEAR_DUE_WORKING_HOURS`` setting; unset, it is
one working day of that calendar (its day length: 7.5 hours with the built-in sessions).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings

from .services import VN_TZ, WorkingCalendar

OVERDUE = "overdue"
NEAR_DUE = "near_due"
ON_TIME = "on_time"
EARLY = "early"
LATE = "late"


# --- on time or late: the dossier's verdict -------------------------------------------------


def local_date(moment: datetime) -> date:
    """The Asia/Ho_Chi_Minh calendar date of an aware moment."""
    return moment.astimezone(VN_TZ).date()


def timeliness(end: datetime, due: datetime) -> str:
    """EARLY, ON_TIME or LATE: the one comparison behind every on-time verdict of a dossier
    (onestop's is_on_time, forms 05/06, the stats projector and its naive check).

    The national 766 scoring compares dates, not moments: processing that ends on the due date,
    at 17:01 or at 23:59, is on time; ending on an earlier date is early; on a later date, late
    (domain reference, section 4 "On time or late"). Both dates are local (Asia/Ho_Chi_Minh).
    """
    end_day, due_day = local_date(end), local_date(due)
    if end_day > due_day:
        return LATE
    return EARLY if end_day < due_day else ON_TIME


def ended_in_time(end: datetime, due: datetime) -> bool:
    """On time or early (see `timeliness`)."""
    return local_date(end) <= local_date(due)


def due_after_pause(
    calendar: WorkingCalendar, due: datetime, paused: timedelta, *, by_session: bool = False
) -> datetime:
    """The appointment once a supplement pause of ``paused`` working time is over.

    The old due moment moves by the working time spent waiting for the applicant, then lands on
    the end of that working day: an appointment is a date, so a one-hour pause from Friday
    16:30 moves a Friday 17:00 appointment to Monday at the end of the afternoon session, never
    to Monday 08:30. Procedures counted in working hours keep a session instead
    (``by_session``): the end of the morning or afternoon session the moved moment falls in.
    The session ends come from the agency's calendar, never a constant.
    """
    if paused <= timedelta():
        return due
    moved = calendar.add_working_hours(due, paused)
    return calendar.end_of_session(moved) if by_session else calendar.end_of_working_day(moved)


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
