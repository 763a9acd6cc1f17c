"""The codes the working-day calendar's services and API answer with (egov.core.error_codes)."""

from __future__ import annotations

from egov.core.error_codes import ErrorCode


class CalendarErrorCode(ErrorCode):
    SPECIAL_DAY_EXISTS = "special_day_exists"
    INVALID_DAY_KIND = "invalid_day_kind"
    INVALID_DAY_SOURCE = "invalid_day_source"
    NAME_REQUIRED = "name_required"
    INVALID_WORKING_HOURS = "invalid_working_hours"
