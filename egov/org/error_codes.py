"""The codes org's services and API answer with (egov.core.error_codes)."""

from __future__ import annotations

from egov.core.error_codes import ErrorCode


class OrgErrorCode(ErrorCode):
    ORG_INVALID = "org_invalid"
    ROLE = "role"
    SELF_DEMOTION = "self_demotion"
    LEGACY_DATA_UNAVAILABLE = "legacy_data_unavailable"
    UNKNOWN_PROVINCE = "unknown_province"
    SCHEME = "scheme"
    MISSING_PARENT = "missing_parent"
