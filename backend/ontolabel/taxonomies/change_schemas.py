"""Bodies of ``/api/taxonomies/{id}/changes``: rename, merge and split, their dry run, and
the record a revert undoes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonDict

from ontolabel.core.schemas import Body, ClassId, Id, Name
from ontolabel.core.timestamps import UtcDatetime
from ontolabel.domain.taxonomy_change import (
    CellsPolicy,
    Merge,
    Rename,
    Split,
    SplitPart,
    TaxonomyEdit,
)
from ontolabel.taxonomies.schemas import TaxonomyClassSchema


class _ChangeBase(Body):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    version: Id | None = Field(
        default=None, description="The taxonomy version you read; 409 if it moved since."
    )
    base_revisions: dict[str, Id] | None = Field(
        default=None,
        description="Mapping id → the head revision you previewed; 409 if one moved since. "
        "Default: the heads at the time of the request.",
    )
    message: str = Field(default="", description="Why; recorded on each new mapping revision.")


class RenameChange(_ChangeBase):
    """Give a class (every class of that name) a new name."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"op": "rename", "class": "car", "new_name": "vehicle"}]}
    )

    op: Literal["rename"]
    class_name: Name = Field(alias="class")
    new_name: Name

    def to_domain(self) -> TaxonomyEdit:
        return Rename(self.class_name, self.new_name)


class MergeChange(_ChangeBase):
    """Make several classes one (`into`: one of them, or a new name)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"op": "merge", "classes": ["car", "van"], "into": "car"}]}
    )

    op: Literal["merge"]
    classes: list[Name] = Field(min_length=1, max_length=1000)
    into: Name

    def to_domain(self) -> TaxonomyEdit:
        return Merge(tuple(self.classes), self.into)


class SplitPartSchema(Body):
    model_config = ConfigDict(extra="forbid")

    name: Name
    id: ClassId | None = Field(
        default=None,
        description="Default: the split class's id for the first part, the next free id after.",
    )
    train_id: ClassId | None = None
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")


class SplitChange(_ChangeBase):
    """Make one class several; `cells` says which parts take its mapping cells."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "op": "split",
                    "class": "vehicle",
                    "into": [{"name": "car"}, {"name": "truck", "id": 40}],
                    "cells": "copy",
                }
            ]
        }
    )

    op: Literal["split"]
    class_name: Name = Field(alias="class")
    into: list[SplitPartSchema] = Field(min_length=2, max_length=1000)
    cells: CellsPolicy = Field(
        default="copy",
        description="`copy`: every part gets the class's cells; `first`: only the first "
        "part does, the others start empty (lint lists them for you to fill).",
    )

    def to_domain(self) -> TaxonomyEdit:
        parts = tuple(SplitPart(p.name, p.id, p.train_id, p.color) for p in self.into)
        return Split(self.class_name, parts, self.cells)


TaxonomyChangeCreate = Annotated[
    RenameChange | MergeChange | SplitChange, Field(discriminator="op")
]


class MappingTouched(BaseModel):
    mapping_id: int
    name: str
    side: Literal["extra", "source", "both"] = Field(
        description="`extra`: its cells name this taxonomy's classes; `source`: its rows are "
        "them; `both`: it maps the taxonomy onto itself."
    )
    head_revision: int
    cells: int = Field(description="Cells rewritten or moved to another row.")
    rows: list[int] = Field(description="Source ids whose row changes.")


class DatasetPixels(BaseModel):
    dataset_id: int
    name: str
    frames: int = Field(description="Frames containing a touched class (summed per class).")
    pixels: int


class ModelTouched(BaseModel):
    id: int
    name: str


_PREVIEW_EXAMPLE: JsonDict = {
    "op": "merge",
    "taxonomy_id": 2,
    "version": 3,
    "classes": [{"id": 26, "name": "car"}, {"id": 29, "name": "car"}],
    "touched_ids": [26, 29],
    "mappings": [
        {
            "mapping_id": 5,
            "name": "cityscapes__cityscapes-19",
            "side": "extra",
            "head_revision": 4,
            "cells": 2,
            "rows": [13],
        }
    ],
    "cells": 2,
    "verifications_reset": 1,
    "verifications_carried": 0,
    "label_pixels": 123456789,
    "label_frames": 2975,
    "datasets": [{"dataset_id": 1, "name": "cityscapes", "frames": 2975, "pixels": 123456789}],
    "models": [],
}


class TaxonomyChangePreview(BaseModel):
    """What applying the change does; a dry run returns this and stores nothing."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PREVIEW_EXAMPLE]})

    op: Literal["rename", "merge", "split"]
    taxonomy_id: int
    version: int = Field(description="The taxonomy version it was computed on.")
    classes: list[TaxonomyClassSchema] = Field(description="The classes after the change.")
    touched_ids: list[int] = Field(description="Class ids (before) the change touches.")
    mappings: list[MappingTouched]
    cells: int
    verifications_reset: int = Field(
        description="Decisions on rows the change edits that no longer hold there (a merge or "
        "split changes what the cell means)."
    )
    verifications_carried: int = Field(
        description="Decisions a rename copies onto the new revisions."
    )
    label_pixels: int
    label_frames: int
    datasets: list[DatasetPixels]
    models: list[ModelTouched] = Field(
        description="Models registered for this taxonomy: a merge or split changes the classes "
        "their heads were trained for."
    )


class MappingRevisions(BaseModel):
    mapping_id: int
    name: str
    side: Literal["extra", "source", "both"]
    before: int = Field(description="The head revision the change was applied on.")
    after: int = Field(description="The revision it made.")


class TaxonomyChangeRead(BaseModel):
    """An applied change: what it was, the revisions it made, and whether it was reverted."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "taxonomy_id": 2,
                    "op": "merge",
                    "spec": {"op": "merge", "classes": ["car", "caravan"], "into": "car"},
                    "version_before": 3,
                    "version_after": 4,
                    "mappings": [
                        {
                            "mapping_id": 5,
                            "name": "cityscapes__cityscapes-19",
                            "side": "extra",
                            "before": 4,
                            "after": 5,
                        }
                    ],
                    "report": _PREVIEW_EXAMPLE,
                    "message": "taxonomy 'cityscapes': merge 'car', 'caravan' into 'car'",
                    "author": "alice",
                    "created_at": "2026-01-01T12:00:00Z",
                    "reverted_at": None,
                    "reverted_by": None,
                    "revert_revisions": None,
                }
            ]
        },
    )

    id: int
    taxonomy_id: int
    op: Literal["rename", "merge", "split"]
    spec: dict[str, object]
    version_before: int
    version_after: int
    mappings: list[MappingRevisions]
    report: TaxonomyChangePreview
    message: str
    author: str
    created_at: UtcDatetime
    reverted_at: UtcDatetime | None
    reverted_by: str | None
    revert_revisions: list[MappingRevisions] | None


class TaxonomyChangeList(BaseModel):
    items: list[TaxonomyChangeRead]
    total: int


class TaxonomyChangeRevert(Body):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"message": "undo the car/van merge"}]}
    )

    message: str | None = Field(default=None, description='Default: "revert taxonomy change n".')
