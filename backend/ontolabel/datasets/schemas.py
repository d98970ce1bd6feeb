"""Request and response shapes of the datasets API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ontolabel.core.schemas import Body, ClassId, Count, Id, Name, Seed
from ontolabel.core.timestamps import UtcDatetime
from ontolabel.domain.labels import LabelEncoding


class DatasetCreate(Body):
    """A dataset to register: a root under an allowed data root, a taxonomy, a layout."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "apollo",
                    "root": "/data/apolloscape",
                    "taxonomy": "apolloscape",
                    "preset": "apolloscape",
                },
                {
                    "name": "mine",
                    "root": "/data/mine",
                    "taxonomy": "cityscapes-19",
                    "image_glob": "img/**/*.jpg",
                    "label_glob": "gt/**/*.png",
                    "image_regex": r"img/(?P<sequence>[^/]+)/(?P<frame>\d+)\.jpg",
                    "label_encoding": "id",
                },
            ]
        },
    )

    name: Name
    root: str = Field(description="Absolute path under one of the allowed data roots.")
    taxonomy: Name | Id = Field(description="Taxonomy name or id.")
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
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 2,
                    "name": "demo-citylike",
                    "root": "/data/demo/demo-citylike",
                    "taxonomy_id": 30,
                    "preset": "generic",
                    "image_glob": "images/**/*.*",
                    "label_glob": "labels/**/*.png",
                    "image_regex": r"images/(?P<sequence>[^/]+)/(?P<camera>[^/]+)/(?P<frame>\d+)",
                    "label_regex": None,
                    "label_encoding": "color",
                    "description": "",
                    "frame_count": 60,
                    "error_count": 0,
                    "index_job_id": 5,
                    "indexed_at": "2025-06-01T12:00:03Z",
                    "created_by": "local",
                    "created_at": "2025-06-01T12:00:00Z",
                }
            ]
        },
    )

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
    indexed_at: UtcDatetime | None
    created_by: str
    created_at: UtcDatetime


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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "images": 61,
                    "labels": 60,
                    "paired": 60,
                    "examples": {
                        "split": [],
                        "sequence": ["s01", "s02", "s03"],
                        "camera": ["cam1", "cam2"],
                        "frame": ["0000", "0001", "0002", "0003", "0004"],
                    },
                    "unpaired": [
                        {
                            "key": "|s03|cam2|0010",
                            "image": "images/s03/cam2/0010.png",
                            "label": None,
                            "reason": "image images/s03/cam2/0010.png has no label",
                        }
                    ],
                    "unpaired_total": 1,
                    "off_pattern": [],
                    "off_pattern_total": 0,
                }
            ]
        }
    )

    images: int
    labels: int
    paired: int
    examples: dict[str, list[str]] = Field(description="Up to 5 distinct values per group.")
    unpaired: list[UnpairedRead]
    unpaired_total: int
    off_pattern: list[str]
    off_pattern_total: int


class IndexStarted(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"job_id": 12, "dataset_id": 2}]})

    job_id: int
    dataset_id: int


FRAME_EXAMPLE: dict[str, Any] = {
    "id": 61,
    "dataset_id": 2,
    "key": "|s01|cam1|0000",
    "image_path": "images/s01/cam1/0000.png",
    "label_path": "labels/s01/cam1/0000.png",
    "split": "",
    "sequence": "s01",
    "frame": "0000",
    "camera": "cam1",
    "width": 256,
    "height": 128,
    "indexed": True,
    "error_kind": None,
    "error": None,
    "unknown_labels": None,
}


class FrameRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [FRAME_EXAMPLE]})

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
    model_config = ConfigDict(json_schema_extra={"examples": [{**FRAME_EXAMPLE, "pixels": 5120}]})

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "dataset_id": 2,
                    "frames": 60,
                    "items": [
                        {
                            "label_id": 1,
                            "name": "road",
                            "frames": 60,
                            "frame_share": 1.0,
                            "pixels": 655360,
                            "pixel_share": 0.3333,
                        }
                    ],
                    "never_labelled": ["sky"],
                }
            ]
        }
    )

    dataset_id: int
    frames: int
    items: list[LabelOccurrence]
    never_labelled: list[str] = Field(description="Taxonomy classes present in no frame.")


class DatasetSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "dataset_id": 2,
                    "frames": 60,
                    "indexed": 59,
                    "errors": {"truncated": 1},
                    "splits": {"": 60},
                    "sequences": 3,
                    "cameras": {"cam1": 30, "cam2": 30},
                    "labels_present": 8,
                    "frames_with_unknown_labels": 0,
                }
            ]
        }
    )

    dataset_id: int
    frames: int
    indexed: int
    errors: dict[str, int]
    splits: dict[str, int]
    sequences: int
    cameras: dict[str, int]
    labels_present: int
    frames_with_unknown_labels: int


class SamplingParams(Body):
    """A sampling rule (see ``domain.sampling.SamplingRule``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"every": 20, "camera": "5"}, {"labels": [7], "per_label": 10, "seed": 1}]
        },
    )

    every: Count | None = None
    camera: str | None = None
    sequence: str | None = None
    split: str | None = None
    labels: list[ClassId] = Field(default_factory=list)
    random: Count | None = None
    per_label: Count | None = None
    seed: Seed = 0


class SampleSetCreate(Body):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "every 20th, camera 5", "rule": {"every": 20, "camera": "5"}}]
        },
    )

    name: Name
    rule: SamplingParams


class SampleSetRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "dataset_id": 2,
                    "name": "every 20th, camera 5",
                    "rule": {"every": 20, "camera": "5", "labels": [], "seed": 0},
                    "frame_ids": [61, 81, 101],
                    "created_by": "alice",
                    "created_at": "2025-06-01T12:00:00Z",
                }
            ]
        },
    )

    id: int
    dataset_id: int
    name: str
    rule: dict[str, Any]
    frame_ids: list[int]
    created_by: str
    created_at: UtcDatetime


class SampleSetList(BaseModel):
    items: list[SampleSetRead]
    total: int


class StaleProvenance(BaseModel):
    """The frames of a pseudo-label folder made under one provenance."""

    provenance: str
    mapping: dict[str, Any] = Field(description="The mapping the provenance names.")
    frames: int
    stale: int
    changed_labels: list[int] | None = Field(
        description="Extra label ids whose allowed set differs from the revision asked "
        "about; None when every frame is stale (other settings, or no rows kept)."
    )


class StaleRead(BaseModel):
    """How many frames of a ``pseudo_label`` folder a rerun with a revision relabels."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "dataset_id": 2,
                    "folder": "/data/outputs/14",
                    "mapping_id": 3,
                    "revision": 6,
                    "frames": 140000,
                    "stale": 2210,
                    "kept": 137790,
                    "errors": 0,
                    "message": "2210 frames stale",
                    "provenances": [
                        {
                            "provenance": "3f2a9c0d1b7e4a55",
                            "mapping": {"mapping_id": 3, "revision": 5},
                            "frames": 140000,
                            "stale": 2210,
                            "changed_labels": [17],
                        }
                    ],
                }
            ]
        }
    )

    dataset_id: int
    folder: str
    mapping_id: int
    revision: int
    frames: int = Field(description="Frames the folder's manifest lists (errors included).")
    stale: int = Field(description="Frames a rerun with this revision relabels.")
    kept: int = Field(description="Frames whose outputs a rerun keeps.")
    errors: int = Field(description="Frames whose last attempt failed (stale too).")
    message: str
    provenances: list[StaleProvenance]
