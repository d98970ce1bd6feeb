"""Request and response shapes of ``/api/jobs``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import JsonValue

from ontolabel.core.schemas import Body
from ontolabel.core.timestamps import UtcDatetime
from ontolabel.jobs.params import JobParams

JobStatus = Literal["queued", "planning", "running", "succeeded", "failed", "cancelled"]


class JobCreateBase(Body):
    """``{"kind": ..., "params": {...}}``; one subclass per kind, ``params`` its contract."""

    model_config = ConfigDict(extra="forbid")

    params: JobParams

    def job_params(self) -> JobParams:
        return self.params


@cache
def job_create_model(params_model: type[JobParams]) -> type[JobCreateBase]:
    """The request body for one kind: ``kind`` fixed to its name, ``params`` its model."""
    name = "".join(part.title() for part in params_model.kind.split("_")) + "JobCreate"
    extra = params_model.model_config.get("json_schema_extra")
    found = extra.get("examples") if isinstance(extra, dict) else None
    examples: list[JsonValue] = [
        {"kind": params_model.kind, "params": e}
        for e in (found if isinstance(found, list) else [{}])
    ]
    base: type[JobCreateBase] = type(
        f"_{name}Base",
        (JobCreateBase,),
        {"model_config": ConfigDict(extra="forbid", json_schema_extra={"examples": examples})},
    )
    model: type[JobCreateBase] = create_model(
        name,
        __base__=base,
        __doc__=f"A job of kind ``{params_model.kind}``. {params_model.__doc__ or ''}".strip(),
        kind=(Literal[params_model.kind], Field(description="The job kind.")),  # type: ignore[arg-type]
        params=(params_model, Field(description=f"The parameters of a {params_model.kind} job.")),
    )
    return model


def job_create_type(params_models: Sequence[type[JobParams]]) -> Any:
    """``POST /api/jobs``' body: the kinds' request models, discriminated by ``kind``."""
    members = tuple(job_create_model(m) for m in params_models)
    if len(members) == 1:
        return members[0]
    return Annotated[Union[members], Field(discriminator="kind")]  # noqa: UP007


class JobRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 14,
                    "kind": "pseudo_label",
                    "status": "running",
                    "params": {
                        "model": {"id": 1},
                        "dataset_id": 2,
                        "mapping": {"mapping_id": 3, "revision": 5},
                    },
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


class ValFigures(BaseModel):
    """One validation set's figures after an epoch (fractions of 1; null: nothing to count)."""

    miou: float | None
    pixel_accuracy: float | None = Field(default=None, description="Correct / labelled pixels.")
    mean_accuracy: float | None = Field(default=None, description="Mean per-class accuracy.")
    per_class: dict[str, float | None] = Field(default_factory=dict, description="IoU by class.")


class TrainEpochRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "epoch": 3,
                    "phase": "train",
                    "step": 375,
                    "loss": 0.412,
                    "lrs": {"encoder": 1e-05, "rest": 0.0001},
                    "val": {
                        "city-val": {
                            "miou": 0.61,
                            "pixel_accuracy": 0.9,
                            "mean_accuracy": 0.72,
                            "per_class": {"road": 0.93, "sky": 0.88, "person": None},
                        }
                    },
                    "fitness": 0.632,
                    "improved": True,
                    "draws": {"city": 250, "pseudo_label job 14": 250},
                    "seconds": 124.5,
                    "time": "2025-06-01T12:03:00Z",
                }
            ]
        },
    )

    epoch: int = Field(description="Counted on across both phases.")
    phase: Literal["train", "fine_tune"]
    step: int = Field(description="Optimizer steps done when the epoch ended.")
    loss: float | None = Field(description="Mean training loss over the epoch.")
    lrs: dict[str, float] = Field(description="Learning rate per parameter group.")
    val: dict[str, ValFigures] = Field(description="Per validation set (empty: not validated).")
    fitness: float | None = Field(
        description="0.8 mIoU + 0.2 mean class accuracy on the first validation set."
    )
    improved: bool = Field(description="This epoch's weights are the best so far.")
    draws: dict[str, int] = Field(description="Frames trained on in the epoch, by dataset.")
    seconds: float = Field(description="Training time of the run when the epoch ended.")
    time: UtcDatetime


class TrainEpochList(BaseModel):
    items: list[TrainEpochRead]
    total: int


class SuggestedCell(BaseModel):
    """A cell (source class, extra label) with its score and the frames that show it best."""

    source: str = Field(description="Source class name (a row of the mapping).")
    extra: str = Field(description="Extra label name.")
    score: float
    frames: list[str] = Field(description="Evidence: label paths relative to the dataset.")


class SuspectFrame(BaseModel):
    frame: str = Field(description="Label path relative to the dataset.")
    score: float = Field(description="Mean overruled mass of the pixels it labelled.")


class SuggestionConflicts(BaseModel):
    cells: list[SuggestedCell]
    frames: list[SuspectFrame]


class SuggestionMatrix(BaseModel):
    """Per extra label (rows) and source class (columns): predicted pixels, whether the
    mapping allows the cell, and its mean overruled mass (null: it labelled none)."""

    extra: list[str]
    source: list[str]
    pixels: list[list[int]]
    allowed: list[list[bool]]
    conflict: list[list[float | None]]
    frames: int


class SuggestionsRead(BaseModel):
    """A finished ``suggest`` job's result, as its worker wrote it (best first)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "job_id": 9,
                    "mapping_id": 3,
                    "revision": 2,
                    "add": [
                        {"source": "building", "extra": "tunnel", "score": 0.81,
                         "frames": ["seq0/cam0_001.png"]},
                    ],
                    "remove": [],
                    "conflicts": {"cells": [], "frames": []},
                    "matrix": {"extra": ["tunnel"], "source": ["building"], "pixels": [[40]],
                               "allowed": [[False]], "conflict": [[None]], "frames": 1},
                    "frames": 1,
                    "errors": 0,
                    "frame_ids": {"seq0/cam0_001.png": 17},
                }
            ]
        }
    )  # fmt: skip

    job_id: int
    mapping_id: int | None = Field(description="The stored mapping judged (null: inline).")
    revision: int | None = Field(description="Its revision the job pinned.")
    add: list[SuggestedCell]
    remove: list[SuggestedCell]
    conflicts: SuggestionConflicts
    matrix: SuggestionMatrix
    frames: int = Field(description="Frames counted.")
    errors: int = Field(description="Frames that failed.")
    frame_ids: dict[str, int] = Field(
        default_factory=dict, description="Frame id by label path, for frames a dataset holds."
    )
