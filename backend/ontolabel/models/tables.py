"""SQL tables of the models domain (migrations: 0004_models, 0010m_model_allow_pickle)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from ontolabel.core.clock import utcnow
from ontolabel.core.db import Base

MODEL_KINDS = ("hf_dir", "checkpoint", "ontolabel", "hub")


class ModelRecord(Base):
    """A registered segmentation model; its classes are those of ``taxonomy_id`` in order."""

    __tablename__ = "models"
    __table_args__ = (
        CheckConstraint("kind IN ('hf_dir', 'checkpoint', 'ontolabel', 'hub')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    taxonomy_id: Mapped[int] = mapped_column(ForeignKey("taxonomies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)
    allow_pickle: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """An admin trusts this checkpoint file's pickles (migration 0010m); else weights only."""
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Free metadata: architecture, training job, notes."""
    created_by: Mapped[str] = mapped_column(String(64), default="local")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EvaluationRecord(Base):
    """mIoU, per-class IoU and confusion of a model or of pseudo-labels against ground truth."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), index=True, nullable=True
    )
    model_id: Mapped[int | None] = mapped_column(
        ForeignKey("models.id", ondelete="SET NULL"), index=True, nullable=True
    )
    subject: Mapped[str] = mapped_column(Text)
    """What was evaluated: a model name or a pseudo-label folder."""
    class_names: Mapped[list[str]] = mapped_column(JSON)
    mean_iou: Mapped[float | None] = mapped_column(Float, nullable=True)
    per_class_iou: Mapped[list[float | None]] = mapped_column(JSON)
    confusion: Mapped[list[list[int]]] = mapped_column(JSON)
    """[truth, prediction]; the last column counts ignore (255) predictions."""
    frames: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
