"""Domain errors raised by services; views show the message, the API returns the body."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refused action: a stable machine code, a Vietnamese message, optional field errors."""

    code = "domain_error"
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
    code = "permission_denied"
    http_status = 403


class NotFoundError(DomainError):
    code = "not_found"
    http_status = 404


class Conflict(DomainError):
    code = "conflict"
    http_status = 409
