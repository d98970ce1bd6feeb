"""The audit log: who did what to which entity, and when (append-only).

Every domain that records a change writes here; the table is created by the ontology
migration (``0001_ontology``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ontolabel.core.clock import utcnow
from ontolabel.core.db import Base
from ontolabel.core.users import User


class AuditEvent(Base):
    """Who did what to which entity, and when; append-only."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def add_audit_event(
    session: Session,
    *,
    user: User,
    action: str,
    entity: str,
    entity_id: int | None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(
            actor=user.name, action=action, entity=entity, entity_id=entity_id, detail=detail or {}
        )
    )


def list_audit_events(session: Session, *, entity: str, entity_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.id)
        )
    )


def search_audit_events(
    session: Session,
    *,
    actor: str | None = None,
    entity: str | None = None,
    action: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[AuditEvent], int]:
    """Events newest first, optionally of one actor, entity kind and action; and their count."""
    query = select(AuditEvent)
    for column, value in (
        (AuditEvent.actor, actor),
        (AuditEvent.entity, entity),
        (AuditEvent.action, action),
    ):
        if value is not None:
            query = query.where(column == value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(query.order_by(AuditEvent.id.desc()).offset(offset).limit(limit))
    return list(page), total
