"""SQL tables of the jobs domain (migrations: 0003_jobs, 0009_train_epochs, 0010f_job_sweep,
0010i_idempotency).

The job row is the record of truth for status, progress, outputs and errors;
Celery's result backend is never read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ontolabel.core.clock import utcnow
from ontolabel.core.db import Base

JOB_STATUSES = ("queued", "planning", "running", "succeeded", "failed", "cancelled")
FINAL_JOB_STATUSES = ("succeeded", "failed", "cancelled")
CHUNK_STATUSES = ("pending", "running", "done", "failed", "cancelled")
FINAL_CHUNK_STATUSES = ("done", "failed", "cancelled")


class Job(Base):
    """One unit of queued work; ``lease_*`` guard the one-off steps (plan, finish)."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_kind_status", "kind", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[str] = mapped_column(String(64), default="local")
    last_event_seq: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    """When its plan message was last sent; None: never (the broker was unreachable)."""


class JobChunk(Base):
    """A slice of a job; one live copy at a time holds its lease."""

    __tablename__ = "job_chunks"
    __table_args__ = (UniqueConstraint("job_id", "index", name="uq_job_chunks_job_id_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    done: Mapped[int] = mapped_column(Integer, default=0)
    deliveries: Mapped[int] = mapped_column(Integer, default=0)
    queue: Mapped[str | None] = mapped_column(String(16), default=None)
    """The kind's queue (cpu, gpu), so the sweep can re-send without loading the kind."""
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    """When a message for it was last sent (the sweep re-sends lost ones)."""
    lease_owner: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class JobEvent(Base):
    """A log line; ``seq`` counts per job and is the SSE event id."""

    __tablename__ = "job_events"
    __table_args__ = (UniqueConstraint("job_id", "seq", name="uq_job_events_job_id_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    level: Mapped[str] = mapped_column(String(16), default="info")
    message: Mapped[str] = mapped_column(Text)


class JobFrameError(Base):
    """A frame the job could not process; the job went on without it."""

    __tablename__ = "job_frame_errors"
    __table_args__ = (UniqueConstraint("job_id", "frame", name="uq_job_frame_errors_job_id_frame"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    frame: Mapped[str] = mapped_column(String(1024))
    message: Mapped[str] = mapped_column(Text)
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TrainEpoch(Base):
    """One epoch of a ``train`` job: its loss, rates, validation figures and draws.

    ``phase`` is ``train`` or ``fine_tune``; epochs count on across both (the fine-tune's
    first follows the last trained). A resumed run that repeats an epoch replaces its row.
    """

    __tablename__ = "train_epochs"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    phase: Mapped[str] = mapped_column(String(16))
    step: Mapped[int] = mapped_column(Integer)
    loss: Mapped[float | None] = mapped_column(Float, nullable=True)
    lrs: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    val: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Per validation set: ``{"miou", "pixel_accuracy", "mean_accuracy", "per_class"}``."""
    fitness: Mapped[float | None] = mapped_column(Float, nullable=True)
    improved: Mapped[bool] = mapped_column(Boolean, default=False)
    draws: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    """Frames trained on in the epoch, by dataset name."""
    seconds: Mapped[float] = mapped_column(Float)
    """Training time of the run when the epoch ended."""
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JobIdempotencyKey(Base):
    """An ``Idempotency-Key`` a user sent with a job creation, and the job it made.

    The unique (user, key) pair, not a read before the write, decides between two posts
    racing with one key: the second insert fails and that request answers the first job.
    """

    __tablename__ = "job_idempotency_keys"
    __table_args__ = (
        UniqueConstraint("user_name", "key", name="uq_job_idempotency_keys_user_name_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the validated request body: the same key with another body is refused."""
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="CASCADE"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
