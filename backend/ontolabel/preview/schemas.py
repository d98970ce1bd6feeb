"""Request and response bodies of the preview routes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ontolabel.mappings.schemas import MappingRowSchema

PreviewLayer = Literal["prediction", "pseudo_label", "difference"]


class PreviewRequest(BaseModel):
    """A saved revision (``revision``; default head) or an unsaved draft (``rows``)."""

    mapping_id: int
    revision: int | None = Field(default=None, description="Revision number; default: head.")
    rows: list[MappingRowSchema] | None = Field(
        default=None, description="Unsaved draft rows of this mapping; wins over revision."
    )
    void_threshold: float = Field(default=0.5, ge=0, le=1)
    confidence_floor: float = Field(default=0.0, ge=0, le=1)


class PreviewRead(BaseModel):
    """The three layers as data URLs, plus what the mapping did to the frame."""

    prediction: str
    pseudo_label: str
    difference: str
    changed: float
    ignored: float
    revision: int | None
    milliseconds: float
