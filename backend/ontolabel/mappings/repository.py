"""Every query of the mappings domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Row, Select, bindparam, func, select, update
from sqlalchemy.orm import Session, aliased, defer

from ontolabel.mappings.tables import MappingRecord, MappingRevision
from ontolabel.taxonomies.tables import TaxonomyRecord

_Extra = aliased(TaxonomyRecord, name="extra")
_Source = aliased(TaxonomyRecord, name="source")

MappingWithNames = Row[MappingRecord, str, str]
MappingWithHead = Row[MappingRecord, str, str, MappingRevision]


def get_mapping(
    session: Session, mapping_id: int, *, for_update: bool = False
) -> MappingRecord | None:
    query = select(MappingRecord).where(MappingRecord.id == mapping_id)
    if for_update:
        # Row lock on PostgreSQL (writers of one mapping queue here); SQLite already
        # serialises writers with BEGIN IMMEDIATE and ignores FOR UPDATE.
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).one_or_none()


def get_mapping_by_name(session: Session, name: str) -> MappingRecord | None:
    return session.scalars(select(MappingRecord).where(MappingRecord.name == name)).one_or_none()


def _with_names() -> Select[MappingRecord, str, str]:
    return (
        select(MappingRecord, _Extra.name, _Source.name)
        .join(_Extra, _Extra.id == MappingRecord.extra_taxonomy_id)
        .join(_Source, _Source.id == MappingRecord.source_taxonomy_id)
    )


# Built once: this is the hot read (every editor poll, every job start).
_MAPPING_WITH_HEAD = (
    select(MappingRecord, _Extra.name, _Source.name, MappingRevision)
    .join(_Extra, _Extra.id == MappingRecord.extra_taxonomy_id)
    .join(_Source, _Source.id == MappingRecord.source_taxonomy_id)
    .join(
        MappingRevision,
        (MappingRevision.mapping_id == MappingRecord.id)
        & (MappingRevision.number == MappingRecord.head_revision),
    )
    .where(MappingRecord.id == bindparam("mapping_id"))
)


def get_mapping_with_head(session: Session, mapping_id: int) -> MappingWithHead | None:
    """The mapping, its taxonomies' names and its head revision in one round trip."""
    return session.execute(_MAPPING_WITH_HEAD, {"mapping_id": mapping_id}).one_or_none()


def get_mapping_with_names(session: Session, mapping_id: int) -> MappingWithNames | None:
    return session.execute(_with_names().where(MappingRecord.id == mapping_id)).one_or_none()


def list_mappings(
    session: Session,
    *,
    include_archived: bool,
    extra_taxonomy_id: int | None,
    source_taxonomy_id: int | None,
    offset: int,
    limit: int,
) -> tuple[list[MappingWithNames], int]:
    where: list[ColumnElement[bool]] = []
    if not include_archived:
        where.append(MappingRecord.archived.is_(False))
    if extra_taxonomy_id is not None:
        where.append(MappingRecord.extra_taxonomy_id == extra_taxonomy_id)
    if source_taxonomy_id is not None:
        where.append(MappingRecord.source_taxonomy_id == source_taxonomy_id)
    total = session.scalar(select(func.count()).select_from(MappingRecord).where(*where)) or 0
    rows = session.execute(
        _with_names().where(*where).order_by(MappingRecord.name).offset(offset).limit(limit)
    ).all()
    return list(rows), int(total)


def get_revision(session: Session, mapping_id: int, number: int) -> MappingRevision | None:
    return session.scalars(
        select(MappingRevision).where(
            MappingRevision.mapping_id == mapping_id, MappingRevision.number == number
        )
    ).one_or_none()


def list_revisions(session: Session, mapping_id: int) -> list[MappingRevision]:
    """Newest first, without the (large) content column."""
    return list(
        session.scalars(
            select(MappingRevision)
            .options(defer(MappingRevision.content, raiseload=True))
            .where(MappingRevision.mapping_id == mapping_id)
            .order_by(MappingRevision.number.desc())
        )
    )


def advance_head(session: Session, mapping_id: int, *, base: int, new: int, at: datetime) -> bool:
    """Compare-and-set the head revision; False when someone else moved it first."""
    result = session.execute(
        update(MappingRecord)
        .where(MappingRecord.id == mapping_id, MappingRecord.head_revision == base)
        .values(head_revision=new, updated_at=at)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
