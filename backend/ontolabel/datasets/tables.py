"""SQL tables of the datasets domain (migrations: 0002_datasets, 0005_frame_query_indexes,
0006_frame_labels_dataset_fk).

Histograms are stored normalised (``frame_labels``: one row per frame and label) so
"frames containing label X, largest first" is one index range scan at 140k frames;
``dataset_label_stats`` keeps the per-label totals the index job computes at the end.
The ``frames`` indexes carry ``id`` so PostgreSQL answers listings and counts from the
index alone (SQLite's indexes hold the rowid anyway).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import TextClause

from ontolabel.core.clock import utcnow
from ontolabel.core.db import Base


def shuffle_key_sql(column: str = "id") -> str:
    """``domain.sampling.shuffle_key`` of an integer column, as SQL (no ``%``: no escaping).

    Parenthesised as PostgreSQL prints it back, so Alembic sees the index expression
    unchanged; a query must use this same text to be answered by the index. Adding
    2**32 makes the arithmetic 64-bit on PostgreSQL, where ``id`` is a 32-bit integer.
    """
    h = f"((({column} + 4294967296) * 1103515245 + 12345) & 2147483647)"
    return f"(((({h} * {h}) >> 31) * 48271 + {h}) & 2147483647)"


def shuffle_key_of(column: str) -> TextClause:
    return text(shuffle_key_sql(column))


class Dataset(Base):
    """A registered folder tree: where its frames are, how they pair, how labels encode."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    root: Mapped[str] = mapped_column(String(4096))
    taxonomy_id: Mapped[int] = mapped_column(ForeignKey("taxonomies.id"), index=True)
    preset: Mapped[str | None] = mapped_column(String(32), nullable=True)
    image_glob: Mapped[str] = mapped_column(String(1000))
    image_regex: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    label_glob: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    label_regex: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    label_encoding: Mapped[str] = mapped_column(String(16), default="id")
    description: Mapped[str] = mapped_column(Text, default="")
    frame_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    index_job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    indexed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64), default="local")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Frame(Base):
    """One image (and its label) of a dataset, with what the index job read from it.

    ``ordinal`` is the frame's place in sequence/frame/camera order and ``seq_pos`` its
    place within its (sequence, camera): both rewritten by each index run so listing
    and "every Nth" are index scans, not sorts.
    """

    __tablename__ = "frames"
    __table_args__ = (
        UniqueConstraint("dataset_id", "key", name="uq_frames_dataset_id_key"),
        # Listing and "every Nth" (of a camera): a walk in frame order.
        Index("ix_frames_dataset_ordinal", "dataset_id", "ordinal", "seq_pos", "camera", "id"),
        # One sequence (and camera); and the summary's sequences, cameras and splits.
        Index(
            "ix_frames_dataset_sequence",
            "dataset_id",
            "sequence",
            "camera",
            "split",
            "ordinal",
            "seq_pos",
            "id",
        ),
        # Errors by kind and frames read, for the summary and ``has_error``.
        Index("ix_frames_dataset_error", "dataset_id", "error_kind", "indexed"),
        # Seeded "at least k per label": frames in the fixed pseudo-random order.
        Index("ix_frames_dataset_shuffle", "dataset_id", shuffle_key_of("id"), "id"),
        # Frames with unknown labels are few: a partial index counts them (created last,
        # see migration 0005).
        Index(
            "ix_frames_dataset_unknown",
            "dataset_id",
            postgresql_where=text("unknown_labels IS NOT NULL"),
            sqlite_where=text("unknown_labels IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(1024))
    image_path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    label_path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    split: Mapped[str] = mapped_column(String(64), default="")
    sequence: Mapped[str] = mapped_column(String(255), default="")
    frame: Mapped[str] = mapped_column(String(255), default="")
    camera: Mapped[str] = mapped_column(String(64), default="")
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    seq_pos: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    image_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    image_mtime_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    label_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    label_mtime_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    indexed: Mapped[bool] = mapped_column(Boolean, default=False)
    error_kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    unknown_labels: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)


class FrameLabel(Base):
    """Pixels of one label id in one frame (the normalised histogram)."""

    __tablename__ = "frame_labels"
    __table_args__ = (
        Index(
            "ix_frame_labels_dataset_label_pixels", "dataset_id", "label_id", "pixels", "frame_id"
        ),
    )

    # No foreign keys (migrations 0006, 0007): checking one per row was half of PostgreSQL's
    # time writing histograms. A trigger on ``frames`` deletes a frame's rows with it.
    frame_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The frame's dataset, for the label index.
    dataset_id: Mapped[int] = mapped_column(Integer)
    pixels: Mapped[int] = mapped_column(BigInteger)


class DatasetLabelStat(Base):
    """Per dataset and label: frames containing it and its pixels (written by the index job)."""

    __tablename__ = "dataset_label_stats"

    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    frames: Mapped[int] = mapped_column(Integer)
    pixels: Mapped[int] = mapped_column(BigInteger)


class SampleSet(Base):
    """A named selection of frames with the rule that made it; the ids are kept verbatim."""

    __tablename__ = "sample_sets"
    __table_args__ = (
        UniqueConstraint("dataset_id", "name", name="uq_sample_sets_dataset_id_name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    frame_ids: Mapped[list[int]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64), default="local")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
