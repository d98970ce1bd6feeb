"""Request and response bodies of ``/api/taxonomies``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonDict

from ontolabel.core.timestamps import UtcDatetime
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass

TaxonomyKind = Literal["source", "extra"]

_CLASS_EXAMPLE: JsonDict = {
    "id": 7,
    "name": "road",
    "train_id": 0,
    "color": "#804080",
    "category": "flat",
    "ignore": False,
}


class TaxonomyClassSchema(BaseModel):
    """One class; ``id`` is the value written in label PNGs."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CLASS_EXAMPLE]})

    id: int = Field(ge=0, le=65535, description="Value of this class in label images.")
    name: str = Field(min_length=1, max_length=200)
    train_id: int | None = Field(default=None, description="Id used in training, if any.")
    color: str | None = Field(
        default=None, pattern=r"^#[0-9a-fA-F]{6}$", description="Display colour, #rrggbb."
    )
    category: str | None = Field(default=None, max_length=200)
    ignore: bool = Field(default=False, description="Excluded from training and evaluation.")

    def to_domain(self) -> TaxonomyClass:
        return TaxonomyClass(**self.model_dump())


class TaxonomyCreate(BaseModel):
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

    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    kind: TaxonomyKind = Field(
        description="`source`: a target label space; `extra`: mapped onto one."
    )
    description: str = ""
    classes: list[TaxonomyClassSchema] = Field(min_length=1)

    def to_domain(self) -> Taxonomy:
        return Taxonomy(
            name=self.name.strip(),
            description=self.description,
            classes=tuple(c.to_domain() for c in self.classes),
        )


class TaxonomyUpdate(BaseModel):
    """A change to a taxonomy; ``version`` is the one you read (a stale one gets 409)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"version": 3, "description": "with a new note"}]},
    )

    version: int = Field(ge=1, description="The version this edit is based on.")
    name: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"\S")
    kind: TaxonomyKind | None = None
    description: str | None = None
    classes: list[TaxonomyClassSchema] | None = Field(default=None, min_length=1)


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

    classes: list[TaxonomyClassSchema]


class TaxonomyList(BaseModel):
    items: list[TaxonomyRead]
    total: int


class TaxonomyConflict(BaseModel):
    """409 body: the edit was based on a stale version; ``current`` is what is stored now."""

    detail: str
    current_version: int
    current: TaxonomyDetailRead
