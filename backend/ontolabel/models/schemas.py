"""Request and response bodies of ``/api/models``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ontolabel.core.schemas import Body, Id, Name
from ontolabel.core.timestamps import UtcDatetime

ModelKind = Literal["hf_dir", "checkpoint", "ontolabel", "hub"]


class ModelCreate(Body):
    """Register a model; its ``id2label`` must name ``taxonomy_id``'s classes in order."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "demo-teacher",
                    "taxonomy_id": 29,
                    "kind": "hf_dir",
                    "path": "/data/models/demo-teacher",
                },
                {
                    "name": "paper-teacher",
                    "taxonomy_id": 4,
                    "kind": "checkpoint",
                    "path": "/data/models/mask2former_swin_l.safetensors",
                },
            ]
        },
    )

    name: Name
    taxonomy_id: Id
    kind: ModelKind = Field(
        description="hf_dir: a save_pretrained folder; checkpoint: a .pth/.safetensors file "
        "with config and state dict; ontolabel: trained by ontolabel; hub: a Hugging Face id."
    )
    path: str = Field(
        min_length=1,
        max_length=4096,
        description="Folder or file under an allowed data root or the output root, or a hub id.",
    )
    allow_pickle: bool = Field(
        default=False,
        description="Admin only, checkpoint files only: let workers load this file's pickled "
        "Python objects (they can run code). Off: weights only (safetensors, "
        "torch.load(weights_only=True)).",
    )
    details: dict[str, Any] = Field(default_factory=dict)


class ModelUpdate(Body):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "teacher-v2", "details": {"note": "round 2"}}]},
    )

    name: Name | None = None
    allow_pickle: bool | None = Field(
        default=None, description="Turning it on is for admins only (see ModelCreate)."
    )
    details: dict[str, Any] | None = None


class ModelRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "name": "demo-teacher",
                    "taxonomy_id": 29,
                    "kind": "hf_dir",
                    "path": "/data/models/demo-teacher",
                    "allow_pickle": False,
                    "details": {},
                    "created_by": "alice",
                    "created_at": "2025-06-01T12:00:00Z",
                }
            ]
        },
    )

    id: int
    name: str
    taxonomy_id: int
    kind: ModelKind
    path: str
    allow_pickle: bool
    details: dict[str, Any]
    created_by: str
    created_at: UtcDatetime


class ModelList(BaseModel):
    items: list[ModelRead]
    total: int


class EvaluationRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 2,
                    "job_id": 15,
                    "model_id": None,
                    "subject": "pseudo-labels of job 14",
                    "class_names": ["road", "building", "sky"],
                    "mean_iou": 0.8123,
                    "per_class_iou": [0.95, 0.71, 0.777],
                    "confusion": [[900, 20, 0], [15, 400, 30], [0, 25, 600]],
                    "frames": 60,
                    "details": {"mapping": {"revision_id": 7}},
                    "created_at": "2025-06-01T12:00:00Z",
                }
            ]
        },
    )

    id: int
    job_id: int | None
    model_id: int | None
    subject: str
    class_names: list[str]
    mean_iou: float | None
    per_class_iou: list[float | None]
    confusion: list[list[int]]
    frames: int
    details: dict[str, Any]
    created_at: UtcDatetime


class EvaluationList(BaseModel):
    items: list[EvaluationRead]
    total: int
