"""SQL tables of the taxonomies domain (migrations: 0001_ontology, 0008_taxonomy_file_columns,
0010t_taxonomy_changes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ontolabel.core.clock import utcnow
from ontolabel.core.db import Base

TAXONOMY_KINDS = ("source", "extra")


class TaxonomyRecord(Base):
    """A stored taxonomy; ``version`` is the optimistic-locking counter edits must name."""

    __tablename__ = "taxonomies"
    __table_args__ = (CheckConstraint("kind IN ('source', 'extra')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The labels.csv header it was read from (migration 0008); None when not read from one.
    file_columns: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    classes: Mapped[list[TaxonomyClassRecord]] = relationship(
        back_populates="taxonomy",
        lazy="raise",
        order_by="TaxonomyClassRecord.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class TaxonomyClassRecord(Base):
    """One class of a taxonomy, kept in the taxonomy's order by ``position``."""

    __tablename__ = "taxonomy_classes"
    # Names are indexed but not unique: the published CamVid and RUGD label lists name
    # two ids alike ("Bicyclist", "rock_bed"); lint reports such names as ambiguous.
    __table_args__ = (
        UniqueConstraint(
            "taxonomy_id", "class_id", name="uq_taxonomy_classes_taxonomy_id_class_id"
        ),
        Index("ix_taxonomy_classes_taxonomy_id_name", "taxonomy_id", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    taxonomy_id: Mapped[int] = mapped_column(
        ForeignKey("taxonomies.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    class_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    train_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    color: Mapped[str | None] = mapped_column(String(7), nullable=True)
    category: Mapped[str | None] = mapped_column(String(200), nullable=True)
    ignore: Mapped[bool] = mapped_column(Boolean, default=False)
    # Column → text of the file's cells the fields would not write the same (migration 0008).
    file_cells: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)

    taxonomy: Mapped[TaxonomyRecord] = relationship(back_populates="classes", lazy="raise")


class TaxonomyChangeRecord(Base):
    """A rename, merge or split applied to a taxonomy (migration 0010t_taxonomy_changes).

    It keeps the classes before and after, and each mapping revision it was applied on and
    made, so a revert restores exactly what was there: a split cannot be undone by a merge
    when the parts' cells differ, so the prior state is stored rather than recomputed.
    """

    __tablename__ = "taxonomy_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    taxonomy_id: Mapped[int] = mapped_column(ForeignKey("taxonomies.id"), index=True)
    op: Mapped[str] = mapped_column(String(16))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The request as given (op, classes, names, split parts)."""
    classes_before: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    classes_after: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    version_before: Mapped[int] = mapped_column(Integer)
    version_after: Mapped[int] = mapped_column(Integer)
    mappings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """``[{"mapping_id", "name", "side", "before", "after"}]``: revision numbers."""
    carried_verification_ids: Mapped[list[int]] = mapped_column(JSON)
    """Decisions a rename copied onto the new revisions; a revert deletes them."""
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What the dry run counted when the change was applied."""
    message: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reverted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reverted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    revert_revisions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
