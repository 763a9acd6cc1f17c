"""Domain errors raised by services; views show the message, the API returns the body."""

from __future__ import annotations

from typing import Any

from .error_codes import CoreErrorCode


class DomainError(Exception):
    """A refused action: a stable machine code, a Vietnamese message, optional field errors."""

    code: str = CoreErrorCode.DOMAIN_ERROR
    http_status = 400

    def __init__(
        self, message: str, *, code: str | None = None, fields: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class NotAllowed(DomainError):
    code: str = CoreErrorCode.PERMISSION_DENIED
    http_status = 403


class NotFoundError(DomainError):
    code: str = CoreErrorCode.NOT_FOUND
    http_status = 404


class Conflict(DomainError):
    code: str = CoreErrorCode.CONFLICT
    http_status = 409
