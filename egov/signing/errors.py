"""The error every signing refusal raises: a DomainError with a Vietnamese message."""

from __future__ import annotations

from egov.core.errors import DomainError

from .error_codes import SigningErrorCode


class SigningError(DomainError):
    code: str = SigningErrorCode.SIGNING_ERROR
