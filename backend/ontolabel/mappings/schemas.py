"""Request and response bodies of ``/api/mappings``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonValue

from ontolabel.core.schemas import Body, Cell, Id, Name
from ontolabel.core.timestamps import UtcDatetime
from ontolabel.domain.limits import CELLS_MAX, CELLS_PER_ROW_MAX, ROWS_MAX
from ontolabel.domain.mapping import MappingRow
from ontolabel.domain.taxonomy import CLASS_ID_MAX, CLASS_ID_MIN

_ROWS_EXAMPLE: list[JsonValue] = [
    {"source_id": 0, "source_name": "road", "extra_labels": ["road", "rover", "bridge"]},
    {"source_id": 2, "source_name": "building", "extra_labels": ["building", "unlabeled"]},
    {"source_id": 255, "source_name": "void", "extra_labels": ["others", "unlabeled"]},
]


class MappingRowSchema(Body):
    """One source class and the extra labels it may appear under (`source_id` 255 = void)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": _ROWS_EXAMPLE[:1]})

    source_id: int = Field(
        ge=CLASS_ID_MIN, le=CLASS_ID_MAX, description="Source class id; 255 is the void row."
    )
    source_name: Name
    extra_labels: list[Cell] = Field(
        default_factory=list,
        max_length=CELLS_PER_ROW_MAX,
        description="Extra-taxonomy label names, verbatim.",
    )

    def to_domain(self) -> MappingRow:
        return MappingRow(
            source_id=self.source_id,
            source_name=self.source_name,
            extra_labels=tuple(self.extra_labels),
        )


def _refuse_too_many_cells(rows: list[MappingRowSchema]) -> list[MappingRowSchema]:
    cells = sum(len(r.extra_labels) for r in rows)
    if cells > CELLS_MAX:
        raise ValueError(f"a mapping holds at most {CELLS_MAX} label cells, not {cells}")
    return rows


MappingRows = Annotated[
    list[MappingRowSchema],
    Field(min_length=1, max_length=ROWS_MAX),
    AfterValidator(_refuse_too_many_cells),
]
"""A mapping's rows: at most ``ROWS_MAX``, ``CELLS_MAX`` cells in all (``domain.limits``)."""


class MappingCreate(Body):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "apolloscape-to-cityscapes",
                    "extra_taxonomy": "apolloscape",
                    "source_taxonomy": "cityscapes",
                    "message": "first draft",
                    "rows": _ROWS_EXAMPLE,
                }
            ]
        },
    )

    name: Name
    extra_taxonomy: Name = Field(description="Name of the extra (mapped) taxonomy.")
    source_taxonomy: Name = Field(description="Name of the source (target) taxonomy.")
    message: str = Field(default="", description="Why; recorded on revision 1.")
    rows: MappingRows


class MappingSave(Body):
    """A save: the full new rows, and the revision you edited (a stale one gets 409)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"base_revision": 3, "message": "building may also be void", "rows": _ROWS_EXAMPLE}
            ]
        },
    )

    base_revision: Id = Field(description="The head revision your edit started from.")
    message: str = Field(default="", description="Why this change; shown in the history.")
    rows: MappingRows


class MappingRevert(Body):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"base_revision": 5}]}
    )

    base_revision: Id | None = Field(
        default=None, description="If given, 409 unless it is still the head."
    )
    message: str | None = Field(default=None, description='Default: "revert to revision n".')


class MappingDraft(Body):
    """An unsaved mapping to lint."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "extra_taxonomy": "apolloscape",
                    "source_taxonomy": "cityscapes",
                    "rows": _ROWS_EXAMPLE,
                }
            ]
        },
    )

    extra_taxonomy: Name
    source_taxonomy: Name
    rows: MappingRows


class MappingRevisionSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": 4,
                    "author": "alice",
                    "created_at": "2026-01-01T12:00:00Z",
                    "message": "building may also be void",
                    "based_on": 3,
                    "diff": {
                        "rows_added": [],
                        "rows_removed": [],
                        "changed": [
                            {
                                "source_id": 2,
                                "source_name": "building",
                                "added": ["unlabeled"],
                                "removed": [],
                                "renamed_from": None,
                            }
                        ],
                    },
                }
            ]
        }
    )

    number: int
    author: str
    created_at: UtcDatetime
    message: str
    based_on: int | None = Field(description="The revision this one was saved on top of.")
    diff: dict[str, Any] | None = Field(
        description="Against the previous revision: rows added/removed, labels added/removed "
        "per row (null for revision 1)."
    )


class MappingRevisionRead(MappingRevisionSummary):
    """An immutable revision with its full rows."""

    rows: list[MappingRowSchema]


class MappingRevisionList(BaseModel):
    items: list[MappingRevisionSummary]
    total: int


class MappingRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "name": "apolloscape-to-cityscapes",
                    "extra_taxonomy_id": 2,
                    "extra_taxonomy": "apolloscape",
                    "source_taxonomy_id": 1,
                    "source_taxonomy": "cityscapes",
                    "archived": False,
                    "head_revision": 4,
                    "created_at": "2026-01-01T12:00:00Z",
                    "updated_at": "2026-01-02T09:30:00Z",
                }
            ]
        }
    )

    id: int
    name: str
    extra_taxonomy_id: int
    extra_taxonomy: str
    source_taxonomy_id: int
    source_taxonomy: str
    archived: bool
    head_revision: int
    created_at: UtcDatetime
    updated_at: UtcDatetime


class MappingDetailRead(MappingRead):
    """A mapping with its head revision's content."""

    head: MappingRevisionRead


class MappingList(BaseModel):
    items: list[MappingRead]
    total: int


class MappingConflict(BaseModel):
    """409 body: your base revision is stale; ``current`` is the head as stored now."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": "mapping 'apolloscape-to-cityscapes' is at revision 5, not 4: ...",
                    "current_revision": 5,
                    "current": {
                        "number": 5,
                        "author": "bob",
                        "created_at": "2026-01-02T09:30:00Z",
                        "message": "sky may be void",
                        "based_on": 4,
                        "diff": None,
                        "rows": _ROWS_EXAMPLE,
                    },
                }
            ]
        }
    )

    detail: str
    current_revision: int
    current: MappingRevisionRead


class FindingRead(BaseModel):
    """One lint finding; ``row`` indexes the mapping's rows, ``suggestion`` is a likely fix."""

    severity: Literal["error", "warning", "info"]
    code: str
    message: str
    row: int | None = None
    column: int | None = None
    line: int | None = None
    suggestion: str | None = None


class LintReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "revision": 4,
                    "findings": [
                        {
                            "severity": "error",
                            "code": "unmapped-label",
                            "message": "extra label 'tunnel' is in no row: its pixels get 255",
                        }
                    ],
                }
            ]
        }
    )

    revision: int | None = Field(description="The revision linted; null for a draft.")
    findings: list[FindingRead]


class LabelViewRead(BaseModel):
    """One extra label read the other way: ``allowed(e)``, the source classes it may become."""

    label: str
    source_ids: list[int]
    source_names: list[str]
    void: bool = Field(description="The void row names it: it may also become 255.")
    unmapped: bool = Field(description="No row names it: its pixels become 255 (lint error).")


class MappingInverse(BaseModel):
    """A revision per extra label, in the extra taxonomy's order (labels it lacks after)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mapping_id": 1,
                    "revision": 4,
                    "items": [
                        {
                            "label": "unlabeled",
                            "source_ids": [2],
                            "source_names": ["building"],
                            "void": True,
                            "unmapped": False,
                        }
                    ],
                    "total": 1,
                }
            ]
        }
    )

    mapping_id: int
    revision: int
    items: list[LabelViewRead]
    total: int


class RevisionRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mapping_id: Id
    revision: Id | None = Field(default=None, description="Default: the head.")


class MappingCompose(Body):
    """Chain ``first`` (e→s) and ``second`` (s→t) into e→t; with ``name``, save it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "first": {"mapping_id": 3, "revision": 2},
                    "second": {"mapping_id": 7},
                    "name": "idd-to-mapillary-via-cityscapes",
                    "message": "composed for the first training round",
                }
            ]
        },
    )

    first: RevisionRef = Field(description="e→s: an extra taxonomy onto s.")
    second: RevisionRef = Field(description="s→t: whose extra taxonomy is the first's source.")
    name: Name | None = Field(default=None, description="Save as a new mapping; omit to preview.")
    message: str = Field(default="", description="Default: which revisions were composed.")


class MappingComposition(BaseModel):
    """The composed rows; ``mapping`` is the saved mapping when a name was given."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "extra_taxonomy": "idd",
                    "source_taxonomy": "mapillary-63",
                    "first": {"mapping_id": 3, "revision": 2},
                    "second": {"mapping_id": 7, "revision": 1},
                    "rows": _ROWS_EXAMPLE,
                    "findings": [],
                    "mapping": None,
                }
            ]
        }
    )

    extra_taxonomy: str
    source_taxonomy: str
    first: RevisionRef
    second: RevisionRef
    rows: list[MappingRowSchema]
    findings: list[FindingRead] = Field(description="Lint of the composed rows.")
    mapping: MappingDetailRead | None
