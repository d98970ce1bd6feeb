"""The one datetime type of response schemas: always timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def as_utc(value: datetime) -> datetime:
    """Every stored time is UTC, but SQLite hands it back naive; PostgreSQL, aware."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]
"""A response time, serialised as ``…Z`` whichever database it came from."""
