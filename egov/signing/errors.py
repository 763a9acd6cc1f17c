"""The error every signing refusal raises: a DomainError with a Vietnamese message."""

from __future__ import annotations

from egov.core.errors import DomainError


class SigningError(DomainError):
    code = "signing_error"
