"""Request and response bodies of ``/api/taxonomies``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import JsonDict

from ontolabel.core.schemas import Body, Id, Name, ShortText
from ontolabel.core.timestamps import UtcDatetime
from ontolabel.domain.limits import CLASSES_MAX
from ontolabel.domain.taxonomy import CLASS_ID_MAX, CLASS_ID_MIN, Taxonomy, TaxonomyClass

TaxonomyKind = Literal["source", "extra"]

_CLASS_EXAMPLE: JsonDict = {
    "id": 7,
    "name": "road",
    "train_id": 0,
    "color": "#804080",
    "category": "flat",
    "ignore": False,
    "file_cells": {"0": "7", "categoryId": "1", "hasInstances": "False"},
}


class TaxonomyClassSchema(Body):
    """One class; ``id`` is the value written in label PNGs."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CLASS_EXAMPLE]})

    id: int = Field(
        ge=CLASS_ID_MIN,
        le=CLASS_ID_MAX,
        description="Value of this class in label images. A grey PNG holds 0-65535 (8-bit and "
        "palette ones 0-255); a class outside that (Cityscapes' license plate, -1) never "
        "matches one of their pixels.",
    )
    name: Name
    train_id: int | None = Field(
        default=None, ge=CLASS_ID_MIN, le=CLASS_ID_MAX, description="Id used in training, if any."
    )
    color: str | None = Field(
        default=None, pattern=r"^#[0-9a-fA-F]{6}$", description="Display colour, #rrggbb."
    )
    category: ShortText | None = None
    ignore: bool = Field(default=False, description="Excluded from training and evaluation.")
    file_cells: dict[str, str] = Field(
        default_factory=dict,
        description="By column, the text of the labels.csv cells it was read from that the "
        "fields would not write the same: columns without a field, and fields the file spells "
        "otherwise (a padded name, `False`). A CSV export writes them back.",
    )

    def to_domain(self) -> TaxonomyClass:
        return TaxonomyClass(**{**self.model_dump(), "file_cells": tuple(self.file_cells.items())})

    @field_validator("file_cells", mode="before")
    @classmethod
    def _cells_as_dict(cls, value: Any) -> Any:
        """The domain keeps them as a tuple of (column, text) pairs, in the file's order;
        JSON has no tuples, so a client's list is left to fail as the non-object it is."""
        return dict(value) if isinstance(value, tuple) else value


FileColumns = Annotated[
    list[str],
    Field(
        default_factory=list,
        description="The labels.csv header it was read from, in order (a CSV export writes "
        "these columns); empty: the reference header.",
    ),
]


class TaxonomyCreate(Body):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "cityscapes",
                    "kind": "source",
                    "description": "Cityscapes 19 training classes",
                    "classes": [_CLASS_EXAMPLE, {"id": 8, "name": "sidewalk", "train_id": 1}],
                }
            ]
        },
    )

    name: Name
    kind: TaxonomyKind = Field(
        description="`source`: a target label space; `extra`: mapped onto one."
    )
    description: str = ""
    file_columns: FileColumns
    classes: list[TaxonomyClassSchema] = Field(min_length=1, max_length=CLASSES_MAX)

    def to_domain(self) -> Taxonomy:
        return Taxonomy(
            name=self.name.strip(),
            description=self.description,
            classes=tuple(c.to_domain() for c in self.classes),
            file_columns=tuple(self.file_columns),
        )


class TaxonomyUpdate(Body):
    """A change to a taxonomy; ``version`` is the one you read (a stale one gets 409)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"version": 3, "description": "with a new note"}]},
    )

    version: Id = Field(description="The version this edit is based on.")
    name: Name | None = None
    kind: TaxonomyKind | None = None
    description: str | None = None
    file_columns: list[str] | None = None
    classes: list[TaxonomyClassSchema] | None = Field(
        default=None, min_length=1, max_length=CLASSES_MAX
    )


class TaxonomyRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "name": "cityscapes",
                    "kind": "source",
                    "description": "",
                    "archived": False,
                    "version": 1,
                    "class_count": 19,
                    "created_at": "2026-01-01T12:00:00Z",
                    "updated_at": "2026-01-01T12:00:00Z",
                }
            ]
        }
    )

    id: int
    name: str
    kind: TaxonomyKind
    description: str
    archived: bool
    version: int
    class_count: int
    created_at: UtcDatetime
    updated_at: UtcDatetime


class TaxonomyDetailRead(TaxonomyRead):
    """A taxonomy with its classes in order."""

    file_columns: FileColumns
    classes: list[TaxonomyClassSchema]


class TaxonomyList(BaseModel):
    items: list[TaxonomyRead]
    total: int


class TaxonomyConflict(BaseModel):
    """409 body: the edit was based on a stale version; ``current`` is what is stored now."""

    detail: str
    current_version: int
    current: TaxonomyDetailRead
