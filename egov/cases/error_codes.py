"""Codes every case action can answer with, whatever the case type."""

from __future__ import annotations

from egov.core.error_codes import ErrorCode


class CaseErrorCode(ErrorCode):
    STALE_VERSION = "stale_version"
    INVALID_TRANSITION = "invalid_transition"
