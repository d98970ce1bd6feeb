"""Request and response shapes of ``/api/jobs``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ontolabel.core.timestamps import UtcDatetime

JobStatus = Literal["queued", "planning", "running", "succeeded", "failed", "cancelled"]


class JobCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"kind": "index", "params": {"dataset_id": 2}},
                {
                    "kind": "pseudo_label",
                    "params": {
                        "model": {"id": 1},
                        "dataset_id": 2,
                        "mapping": {"revision_id": 7},
                        "tta": {"scales": [0.5, 1, 1.5], "flip": True},
                        "options": {"void_threshold": 0.5, "save_prediction": True},
                    },
                },
            ]
        }
    )

    kind: str = Field(description="One of: index, preview, pseudo_label, evaluate, train.")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="The kind's pinned inputs (e.g. mapping revision id, model id).",
    )


class JobRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 14,
                    "kind": "pseudo_label",
                    "status": "running",
                    "params": {"model": {"id": 1}, "dataset_id": 2, "mapping": {"revision_id": 7}},
                    "outputs": {},
                    "done": 32,
                    "total": 60,
                    "cancel_requested": False,
                    "error": None,
                    "created_by": "alice",
                    "created_at": "2025-06-01T12:00:00Z",
                    "started_at": "2025-06-01T12:00:01Z",
                    "finished_at": None,
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "frame": "s02/cam1/0007",
                    "message": "truncated image: image file is truncated",
                    "time": "2025-06-01T12:00:02Z",
                }
            ]
        },
    )

    frame: str
    message: str
    time: UtcDatetime


class FrameErrorList(BaseModel):
    items: list[FrameErrorRead]
    total: int
