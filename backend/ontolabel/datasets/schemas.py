"""Request and response shapes of the datasets API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ontolabel.domain.labels import LabelEncoding


class DatasetCreate(BaseModel):
    """A dataset to register: a root under an allowed data root, a taxonomy, a layout."""

    name: str = Field(min_length=1, max_length=200)
    root: str = Field(description="Absolute path under one of the allowed data roots.")
    taxonomy: str | int = Field(description="Taxonomy name or id.")
    preset: str | None = Field(
        default=None, description="cityscapes, apolloscape, mapillary, goose or generic."
    )
    image_glob: str | None = None
    label_glob: str | None = None
    image_regex: str | None = Field(
        default=None,
        description="Regex on the image path relative to the root; named groups "
        "split, sequence, camera, frame.",
    )
    label_regex: str | None = None
    label_encoding: LabelEncoding | None = None
    description: str = ""


class DatasetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    root: str
    taxonomy_id: int
    preset: str | None
    image_glob: str
    label_glob: str | None
    image_regex: str | None
    label_regex: str | None
    label_encoding: str
    description: str
    frame_count: int
    error_count: int
    index_job_id: int | None
    indexed_at: datetime | None
    created_by: str
    created_at: datetime


class DatasetList(BaseModel):
    items: list[DatasetRead]
    total: int


class UnpairedRead(BaseModel):
    key: str
    image: str | None
    label: str | None
    reason: str


class DryRunRead(BaseModel):
    """What registering would find, without writing anything."""

    images: int
    labels: int
    paired: int
    examples: dict[str, list[str]] = Field(description="Up to 5 distinct values per group.")
    unpaired: list[UnpairedRead]
    unpaired_total: int
    off_pattern: list[str]
    off_pattern_total: int


class IndexStarted(BaseModel):
    job_id: int
    dataset_id: int


class FrameRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_id: int
    key: str
    image_path: str | None
    label_path: str | None
    split: str
    sequence: str
    frame: str
    camera: str
    width: int | None
    height: int | None
    indexed: bool
    error_kind: str | None
    error: str | None
    unknown_labels: list[Any] | None


class FrameList(BaseModel):
    items: list[FrameRead]
    total: int


class FramePixelsRead(FrameRead):
    pixels: int


class FramePixelsList(BaseModel):
    items: list[FramePixelsRead]
    total: int


class LabelOccurrence(BaseModel):
    label_id: int
    name: str | None = Field(description="None when the taxonomy does not name this id.")
    frames: int
    frame_share: float
    pixels: int
    pixel_share: float


class OccurrenceRead(BaseModel):
    dataset_id: int
    frames: int
    items: list[LabelOccurrence]
    never_labelled: list[str] = Field(description="Taxonomy classes present in no frame.")


class DatasetSummary(BaseModel):
    dataset_id: int
    frames: int
    indexed: int
    errors: dict[str, int]
    splits: dict[str, int]
    sequences: int
    cameras: dict[str, int]
    labels_present: int
    frames_with_unknown_labels: int


class SamplingParams(BaseModel):
    """A sampling rule (see ``domain.sampling.SamplingRule``)."""

    every: int | None = Field(default=None, ge=1)
    camera: str | None = None
    sequence: str | None = None
    split: str | None = None
    labels: list[int] = Field(default_factory=list)
    random: int | None = Field(default=None, ge=1)
    per_label: int | None = Field(default=None, ge=1)
    seed: int = 0


class SampleSetCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    rule: SamplingParams


class SampleSetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_id: int
    name: str
    rule: dict[str, Any]
    frame_ids: list[int]
    created_by: str
    created_at: datetime


class SampleSetList(BaseModel):
    items: list[SampleSetRead]
    total: int
