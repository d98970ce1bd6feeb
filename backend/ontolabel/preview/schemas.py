"""Request and response bodies of the preview routes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ontolabel.core.schemas import Body, Id
from ontolabel.domain.labeling import DEFAULT_VOID_THRESHOLD
from ontolabel.mappings.schemas import MappingRows

PreviewLayer = Literal["prediction", "pseudo_label", "difference"]


class PreviewRequest(Body):
    """A saved revision (``revision``; default head) or an unsaved draft (``rows``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"mapping_id": 3, "revision": 5},
                {
                    "mapping_id": 3,
                    "rows": [
                        {"source_id": 6, "source_name": "sky", "extra_labels": ["sky"]},
                        {"source_id": 255, "source_name": "void", "extra_labels": ["unlabeled"]},
                    ],
                    "void_threshold": 0.6,
                },
            ]
        },
    )

    mapping_id: Id
    revision: Id | None = Field(default=None, description="Revision number; default: head.")
    rows: MappingRows | None = Field(
        default=None, description="Unsaved draft rows of this mapping; wins over revision."
    )
    void_threshold: float = Field(default=DEFAULT_VOID_THRESHOLD, ge=0, le=1)
    confidence_floor: float = Field(default=0.0, ge=0, le=1)


class IdMap(BaseModel):
    """Ids per pixel, row-major: base64 of ``width x height`` little-endian ``dtype``."""

    width: int
    height: int
    dtype: Literal["uint8", "uint16"]
    data: str


class SourceClassName(BaseModel):
    id: int
    name: str


class LabelRuleRead(BaseModel):
    """What the mapping (draft or revision) lets one extra label of the frame become."""

    extra_id: int
    names: list[str] = Field(description="The extra taxonomy's names for this id (may be none).")
    allowed_source_ids: list[int]
    void: bool = Field(description="The mapping's void row names this label.")


class PreviewPixels(BaseModel):
    """Per-pixel ids for hover info, downsampled (nearest) to at most 256 px a side."""

    pseudo_label: IdMap = Field(description="Source class id (uint8; 255 = void / ignored).")
    extra_label: IdMap = Field(description="The frame's extra label id (uint16).")
    source_classes: list[SourceClassName]
    labels: list[LabelRuleRead] = Field(description="Each extra label id the map holds.")


class PreviewRead(BaseModel):
    """The three layers as data URLs, plus what the mapping did to the frame."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "prediction": "data:image/png;base64,iVBORw0KGgo...",
                    "pseudo_label": "data:image/png;base64,iVBORw0KGgo...",
                    "difference": "data:image/png;base64,iVBORw0KGgo...",
                    "changed": 0.1412,
                    "ignored": 0.0523,
                    "revision": 5,
                    "milliseconds": 12.4,
                    "pixels": {
                        "pseudo_label": {"width": 2, "height": 1, "dtype": "uint8", "data": "Bv8="},
                        "extra_label": {
                            "width": 2,
                            "height": 1,
                            "dtype": "uint16",
                            "data": "BQAHAA==",
                        },
                        "source_classes": [{"id": 6, "name": "sky"}],
                        "labels": [
                            {
                                "extra_id": 5,
                                "names": ["sky"],
                                "allowed_source_ids": [6],
                                "void": False,
                            },
                            {
                                "extra_id": 7,
                                "names": ["tunnel"],
                                "allowed_source_ids": [],
                                "void": False,
                            },
                        ],
                    },
                }
            ]
        }
    )

    prediction: str
    pseudo_label: str
    difference: str
    changed: float
    ignored: float
    revision: int | None
    milliseconds: float
    pixels: PreviewPixels
