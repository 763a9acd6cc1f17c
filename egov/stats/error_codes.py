"""The codes statistics' services answer with (egov.core.error_codes); a bad report period or
filter answers `CoreErrorCode.INVALID` on its field."""

from __future__ import annotations

from egov.core.error_codes import ErrorCode


class StatsErrorCode(ErrorCode):
    INVALID_YEAR = "invalid_year"
    INVALID_POINTS = "invalid_points"
    CODE_AND_NAME_REQUIRED = "code_and_name_required"
    INDEX_GROUP_EXISTS = "index_group_exists"
    INDICATOR_EXISTS = "indicator_exists"
    INDEX_YEAR_EXISTS = "index_year_exists"
    INDEX_YEAR_EMPTY = "index_year_empty"
