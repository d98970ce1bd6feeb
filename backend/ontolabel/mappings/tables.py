"""SQL tables of the mappings domain (migration: 0001_ontology)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ontolabel.core.clock import utcnow
from ontolabel.core.db import Base
from ontolabel.taxonomies.tables import TaxonomyRecord


class MappingRecord(Base):
    """A mapping ``extra → source``; its content lives in immutable revisions.

    ``head_revision`` is the number of the newest revision and doubles as the
    compare-and-set counter a save must name (``base_revision``).
    """

    __tablename__ = "mappings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    extra_taxonomy_id: Mapped[int] = mapped_column(ForeignKey("taxonomies.id"), index=True)
    source_taxonomy_id: Mapped[int] = mapped_column(ForeignKey("taxonomies.id"), index=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    head_revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    extra_taxonomy: Mapped[TaxonomyRecord] = relationship(
        foreign_keys=[extra_taxonomy_id], lazy="raise"
    )
    source_taxonomy: Mapped[TaxonomyRecord] = relationship(
        foreign_keys=[source_taxonomy_id], lazy="raise"
    )


class MappingRevision(Base):
    """An immutable, numbered snapshot of a mapping's rows; jobs pin one by id."""

    __tablename__ = "mapping_revisions"
    __table_args__ = (
        UniqueConstraint("mapping_id", "number", name="uq_mapping_revisions_mapping_id_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mapping_id: Mapped[int] = mapped_column(ForeignKey("mappings.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    # [{"source_id": 0, "source_name": "road", "extra_labels": ["road", ...]}, ...]
    content: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    message: Mapped[str] = mapped_column(Text, default="")
    based_on: Mapped[int | None] = mapped_column(Integer, nullable=True)
    diff: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    mapping: Mapped[MappingRecord] = relationship(lazy="raise")


@event.listens_for(MappingRevision, "before_update")
def _revisions_are_immutable(_mapper: Any, _connection: Any, target: MappingRevision) -> None:
    """Jobs and pseudo-labels name revisions; changing one would falsify their record."""
    raise TypeError(
        f"mapping revision {target.mapping_id}/{target.number} is immutable; save a new one"
    )
