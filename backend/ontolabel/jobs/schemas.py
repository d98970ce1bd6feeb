"""Request and response shapes of ``/api/jobs``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]

JobStatus = Literal["queued", "planning", "running", "succeeded", "failed", "cancelled"]


class JobCreate(BaseModel):
    kind: str = Field(description="One of: index, preview, pseudo_label, evaluate, train.")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="The kind's pinned inputs (e.g. mapping revision id, model id).",
    )


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: JobStatus
    params: dict[str, Any]
    outputs: dict[str, Any]
    done: int
    total: int
    cancel_requested: bool
    error: str | None
    created_by: str
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None


class JobList(BaseModel):
    items: list[JobRead]
    total: int


class JobEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    time: UtcDatetime
    level: str
    message: str


class JobProgress(BaseModel):
    """The snapshot an SSE ``progress`` event carries."""

    status: JobStatus
    done: int
    total: int
    cancel_requested: bool
    error: str | None


class FrameErrorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    frame: str
    message: str
    time: UtcDatetime


class FrameErrorList(BaseModel):
    items: list[FrameErrorRead]
    total: int
