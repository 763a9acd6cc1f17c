"""The codes accounts' services and API answer with (egov.core.error_codes)."""

from __future__ import annotations

from egov.core.error_codes import ErrorCode


class AccountErrorCode(ErrorCode):
    REGISTRATION_INVALID = "registration_invalid"
    ALREADY_REGISTERED = "already_registered"
    FORBIDDEN = "forbidden"
    UNIT_AGENCY_MISMATCH = "unit_agency_mismatch"
    ROLE = "role"
    UNKNOWN_SCOPE = "unknown_scope"
    ENROLMENT_CODE_INVALID = "enrolment_code_invalid"
    NO_SECOND_FACTOR = "no_second_factor"
    SECOND_FACTOR_EXISTS = "second_factor_exists"
    IDENTITY_INVALID = "identity_invalid"
    NO_ACCOUNT = "no_account"
    DESK_CODE_INVALID = "desk_code_invalid"
    IDENTITY_MISMATCH = "identity_mismatch"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    SELF_LOCKOUT = "self_lockout"
    SECOND_FACTOR_INVALID = "second_factor_invalid"
