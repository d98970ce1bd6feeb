"""Request and response shapes of the verifications API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ontolabel.core.schemas import ID_MAX, Body, ClassId, Id, Name
from ontolabel.core.timestamps import UtcDatetime

Decision = Literal["confirmed", "wrong", "absent_confirmed"]
RowState = Literal["unverified", "partial", "verified", "disputed"]


class VerificationCreate(Body):
    """A decision on one mapping cell (source row, extra label) at a revision."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "mapping_id": 3,
                    "revision": 5,
                    "source_id": 2,
                    "extra_label": "building",
                    "decision": "confirmed",
                    "evidence_frame_ids": [61, 82],
                    "note": "unlabelled building pixels are building",
                    "dataset_id": 2,
                },
                {
                    "mapping_id": 3,
                    "source_id": 10,
                    "extra_label": "ground-animal",
                    "decision": "absent_confirmed",
                    "dataset_id": 2,
                    "sample_set_id": 1,
                    "frames_reviewed": 3500,
                    "note": "every 20th frame of camera 5: no animal",
                },
            ]
        },
    )

    mapping_id: Id
    revision: Id | None = Field(default=None, description="Revision number; default: head.")
    source_id: ClassId
    extra_label: Name
    decision: Decision
    evidence_frame_ids: list[Id] = Field(default_factory=list)
    note: str = ""
    dataset_id: Id | None = None
    sample_set_id: Id | None = Field(
        default=None, description="Required for absent_confirmed: the frames looked at."
    )
    frames_reviewed: int | None = Field(
        default=None,
        ge=0,
        le=ID_MAX,
        description="Frames of the sample set reviewed; default: all.",
    )


class VerificationRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 4,
                    "mapping_id": 3,
                    "revision_number": 5,
                    "source_id": 10,
                    "extra_label": "ground-animal",
                    "decision": "absent_confirmed",
                    "row_labels": [],
                    "dataset_id": 2,
                    "sample_set_id": 1,
                    "frames_reviewed": 3500,
                    "evidence_frame_ids": [],
                    "note": "every 20th frame of camera 5: no animal",
                    "reviewer": "alice",
                    "created_at": "2025-06-01T12:00:00Z",
                }
            ]
        },
    )

    id: int
    mapping_id: int
    revision_number: int
    source_id: int
    extra_label: str
    decision: str
    row_labels: list[str]
    dataset_id: int | None
    sample_set_id: int | None
    frames_reviewed: int | None
    evidence_frame_ids: list[int]
    note: str
    reviewer: str
    created_at: UtcDatetime


class VerificationList(BaseModel):
    items: list[VerificationRead]
    total: int


class CellState(BaseModel):
    extra_label: str
    decision: str | None
    carried_over: bool = Field(description="Recorded at an earlier revision with the same row.")
    verification: VerificationRead | None


class RowVerification(BaseModel):
    source_id: int
    source_name: str
    state: RowState
    cells: list[CellState]
    absent: list[VerificationRead] = Field(
        description="Absence claims on labels outside the row (e.g. 'never labelled')."
    )


class RevisionVerification(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mapping_id": 3,
                    "revision": 5,
                    "items": [
                        {
                            "source_id": 2,
                            "source_name": "building",
                            "state": "partial",
                            "cells": [
                                {
                                    "extra_label": "building",
                                    "decision": "confirmed",
                                    "carried_over": True,
                                    "verification": None,
                                },
                                {
                                    "extra_label": "unlabeled",
                                    "decision": None,
                                    "carried_over": False,
                                    "verification": None,
                                },
                            ],
                            "absent": [],
                        }
                    ],
                    "total": 1,
                }
            ]
        }
    )

    mapping_id: int
    revision: int
    items: list[RowVerification]
    total: int
