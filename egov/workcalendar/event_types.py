"""The events the working-day calendar records (the event catalogue, egov.events.catalogue)."""

from __future__ import annotations

import datetime as dt

from egov.events.catalogue import Payload, declare


class SpecialDay(Payload):
    date: dt.date
    kind: str
    name: str
    agency_id: int | None = None  # None: a national day
    source: str
    legal_basis: str


class SpecialDaySaved(Payload):
    before: SpecialDay | None = None  # None when the day was new
    after: SpecialDay


class SpecialDayDeleted(Payload):
    before: SpecialDay


class WorkingHoursSet(Payload):
    before: str | None = None  # sessions as text ("07:30-11:30,13:30-17:00"); None: none set
    after: str


class WorkingHoursReset(Payload):
    before: str


SPECIAL_DAY_SAVED = declare(
    "calendar.special_day_saved",
    subject="special_day",
    payload=SpecialDaySaved,
    description="A holiday, compensatory day off or make-up working day was created or changed.",
)
SPECIAL_DAY_DELETED = declare(
    "calendar.special_day_deleted",
    subject="special_day",
    payload=SpecialDayDeleted,
    description="A special day was deleted.",
)
WORKING_HOURS_SET = declare(
    "calendar.working_hours_set",
    subject="working_hours",
    payload=WorkingHoursSet,
    description="An agency's (or the province-wide) office hours were set.",
)
WORKING_HOURS_RESET = declare(
    "calendar.working_hours_reset",
    subject="working_hours",
    payload=WorkingHoursReset,
    description="An agency's own office hours were removed (wider hours apply again).",
)
