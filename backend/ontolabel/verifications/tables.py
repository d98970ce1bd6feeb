"""SQL tables of the verifications domain (migration: 0002_datasets)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ontolabel.core.clock import utcnow
from ontolabel.core.db import Base

DECISIONS = ("confirmed", "wrong", "absent_confirmed")


class Verification(Base):
    """A reviewer's decision on one mapping cell, recorded against a revision.

    ``row_labels`` is the row's extra labels at that revision: the decision carries over
    to a later revision exactly when that row is unchanged there.
    """

    __tablename__ = "verifications"
    __table_args__ = (
        CheckConstraint("decision IN ('confirmed', 'wrong', 'absent_confirmed')", name="decision"),
        Index("ix_verifications_mapping_row", "mapping_id", "source_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mapping_id: Mapped[int] = mapped_column(ForeignKey("mappings.id"))
    revision_number: Mapped[int] = mapped_column(Integer)
    source_id: Mapped[int] = mapped_column(Integer)
    extra_label: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(24))
    row_labels: Mapped[list[str]] = mapped_column(JSON)
    dataset_id: Mapped[int | None] = mapped_column(
        ForeignKey("datasets.id", ondelete="SET NULL"), nullable=True
    )
    sample_set_id: Mapped[int | None] = mapped_column(
        ForeignKey("sample_sets.id", ondelete="SET NULL"), nullable=True
    )
    frames_reviewed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    evidence_frame_ids: Mapped[list[int]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    reviewer: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
