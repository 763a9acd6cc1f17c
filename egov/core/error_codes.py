"""Error codes as enums: each app lists the codes its services and API can answer with in its own
`error_codes.py` (a subclass of `ErrorCode`), as Saleor does; the API error body carries the code
and the OpenAPI schema lists every code of every app (egov.core.openapi).
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Base of the per-app enums; a code's value is the stable string clients match on."""


class CoreErrorCode(ErrorCode):
    """Codes any endpoint can answer with, whatever the resource."""

    DOMAIN_ERROR = "domain_error"
    INVALID = "invalid"
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    MFA_REQUIRED = "mfa_required"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    THROTTLED = "throttled"
    # What Django REST framework itself answers with (egov.core.api_errors keeps its codes).
    ERROR = "error"
    PARSE_ERROR = "parse_error"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"


def all_error_codes() -> dict[str, type[ErrorCode]]:
    """Every declared code and the enum that declares it (apps' enums are imported by then)."""
    found: dict[str, type[ErrorCode]] = {}
    pending: list[type[ErrorCode]] = [ErrorCode]
    while pending:
        enum = pending.pop()
        pending.extend(enum.__subclasses__())
        for member in enum:
            found.setdefault(member.value, enum)
    return dict(sorted(found.items()))


class UploadErrorCode(ErrorCode):
    """Why an uploaded file was refused (egov.core.uploads), whatever app received it."""

    UPLOAD_REJECTED = "upload_rejected"
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    REQUEST_TOO_LARGE = "request_too_large"
    BAD_TYPE = "bad_type"
    EXTENSION_MISMATCH = "extension_mismatch"
    ENCRYPTED = "encrypted"
    ACTIVE_CONTENT = "active_content"
    CORRUPT = "corrupt"
    PDF_TOO_COMPLEX = "pdf_too_complex"
    TOO_MANY_PAGES = "too_many_pages"
