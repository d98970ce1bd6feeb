"""Errors the services raise; each carries the HTTP status one handler renders.

Plain Python, so domain code and the CLI can raise and catch them without FastAPI.
"""

from __future__ import annotations

from typing import Any, ClassVar


class OntolabelError(Exception):
    """Base: a message a person can act on, plus optional structured detail."""

    status_code = 400
    headers: ClassVar[dict[str, str]] = {}
    """Response headers the status needs (a 401's ``WWW-Authenticate``)."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class InvalidInput(OntolabelError):
    """Input that cannot be accepted; ``extra`` names the file, line or field."""

    status_code = 422


class NotFound(OntolabelError):
    status_code = 404


class Conflict(OntolabelError):
    """A stale edit or a name clash; ``extra`` carries the current state."""

    status_code = 409


class PayloadTooLarge(OntolabelError):
    status_code = 413


class Forbidden(OntolabelError):
    """A path or action outside what the settings allow."""

    status_code = 403


class Unauthorized(OntolabelError):
    """No credentials, or ones that name no active account (expired, revoked, disabled)."""

    status_code = 401
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": "Bearer"}
