"""The events statistics records: the administrative-reform index set-up (the event catalogue,
egov.events.catalogue)."""

from __future__ import annotations

from egov.events.catalogue import Payload, declare


class IndexGroup(Payload):
    year: int
    code: str
    name: str
    max_points: str  # a decimal, as text


class Indicator(Payload):
    year: int
    code: str
    group: str  # the group's code
    max_points: str
    threshold: str
    is_active: bool


class IndexYearCopied(Payload):
    source: int
    target: int
    indicators: int


INDEX_GROUP_CREATED = declare(
    "stats.index_group_created",
    subject="index_group",
    payload=IndexGroup,
    description="An operator created a group of index indicators for a year.",
)
INDEX_GROUP_CHANGED = declare(
    "stats.index_group_changed",
    subject="index_group",
    payload=IndexGroup,
    description="An operator changed a group of index indicators.",
)
INDICATOR_CREATED = declare(
    "stats.indicator_created",
    subject="index_indicator",
    payload=Indicator,
    description="An operator created an index indicator.",
)
INDICATOR_CHANGED = declare(
    "stats.indicator_changed",
    subject="index_indicator",
    payload=Indicator,
    description="An operator changed an index indicator.",
)
INDEX_YEAR_COPIED = declare(
    "stats.index_year_copied",
    subject="index_year",
    payload=IndexYearCopied,
    description="An operator copied a year's index groups and indicators to another year.",
)
