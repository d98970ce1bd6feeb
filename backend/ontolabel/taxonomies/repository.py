"""Every query of the taxonomies domain."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Row, Select, delete, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ontolabel.datasets.tables import Dataset, DatasetLabelStat
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass
from ontolabel.mappings.tables import MappingRecord
from ontolabel.models.tables import ModelRecord
from ontolabel.taxonomies.tables import TaxonomyChangeRecord, TaxonomyClassRecord, TaxonomyRecord
from ontolabel.verifications.tables import Verification


def _taxonomy_query(*, with_classes: bool, for_update: bool) -> Select[TaxonomyRecord]:
    query = select(TaxonomyRecord)
    if with_classes:
        query = query.options(selectinload(TaxonomyRecord.classes))
    if for_update:
        # Row lock on PostgreSQL; SQLite serialises writers with BEGIN IMMEDIATE instead.
        query = query.with_for_update(of=TaxonomyRecord).execution_options(populate_existing=True)
    return query


def get_taxonomy(
    session: Session, taxonomy_id: int, *, with_classes: bool = False, for_update: bool = False
) -> TaxonomyRecord | None:
    query = _taxonomy_query(with_classes=with_classes, for_update=for_update)
    return session.scalars(query.where(TaxonomyRecord.id == taxonomy_id)).one_or_none()


def get_taxonomy_by_name(
    session: Session, name: str, *, with_classes: bool = False
) -> TaxonomyRecord | None:
    query = _taxonomy_query(with_classes=with_classes, for_update=False)
    return session.scalars(query.where(TaxonomyRecord.name == name)).one_or_none()


def list_taxonomies(
    session: Session,
    *,
    include_archived: bool,
    kind: str | None,
    offset: int,
    limit: int,
) -> tuple[list[tuple[TaxonomyRecord, int]], int]:
    """A page of taxonomies with their class counts, and the total matching."""
    where: list[ColumnElement[bool]] = []
    if not include_archived:
        where.append(TaxonomyRecord.archived.is_(False))
    if kind is not None:
        where.append(TaxonomyRecord.kind == kind)
    total = session.scalar(select(func.count()).select_from(TaxonomyRecord).where(*where)) or 0
    counts = (
        select(TaxonomyClassRecord.taxonomy_id, func.count().label("n"))
        .group_by(TaxonomyClassRecord.taxonomy_id)
        .subquery()
    )
    rows = session.execute(
        select(TaxonomyRecord, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.taxonomy_id == TaxonomyRecord.id)
        .where(*where)
        .order_by(TaxonomyRecord.name)
        .offset(offset)
        .limit(limit)
    ).all()
    return [(record, int(n)) for record, n in rows], int(total)


def replace_classes(
    session: Session, record: TaxonomyRecord, classes: Sequence[TaxonomyClass]
) -> None:
    """Swap a taxonomy's classes for ``classes`` (deleted first so unique keys never clash)."""
    if record.id is not None:
        session.execute(
            delete(TaxonomyClassRecord).where(TaxonomyClassRecord.taxonomy_id == record.id)
        )
    session.add_all(
        TaxonomyClassRecord(
            taxonomy_id=record.id,
            position=position,
            class_id=c.id,
            name=c.name,
            train_id=c.train_id,
            color=c.color,
            category=c.category,
            ignore=c.ignore,
            file_cells=dict(c.file_cells) or None,
        )
        for position, c in enumerate(classes)
    )
    session.flush()
    session.expire(record, ["classes"])


def load_classes(session: Session, taxonomy_id: int) -> list[TaxonomyClassRecord]:
    return list(
        session.scalars(
            select(TaxonomyClassRecord)
            .where(TaxonomyClassRecord.taxonomy_id == taxonomy_id)
            .order_by(TaxonomyClassRecord.position)
        )
    )


def to_domain(record: TaxonomyRecord, classes: Sequence[TaxonomyClassRecord]) -> Taxonomy:
    return Taxonomy(
        name=record.name,
        description=record.description,
        file_columns=tuple(record.file_columns or ()),
        classes=tuple(
            TaxonomyClass(
                id=c.class_id,
                name=c.name,
                train_id=c.train_id,
                color=c.color,
                category=c.category,
                ignore=c.ignore,
                file_cells=tuple((c.file_cells or {}).items()),
            )
            for c in classes
        ),
    )


def load_domain_taxonomy(session: Session, taxonomy_id: int) -> Taxonomy | None:
    record = get_taxonomy(session, taxonomy_id)
    if record is None:
        return None
    return to_domain(record, load_classes(session, taxonomy_id))


# --- what a taxonomy change touches ----------------------------------------------------


def mappings_using(session: Session, taxonomy_id: int) -> list[MappingRecord]:
    """Every mapping (archived ones too) with this taxonomy on either side, by id."""
    return list(
        session.scalars(
            select(MappingRecord)
            .where(
                or_(
                    MappingRecord.extra_taxonomy_id == taxonomy_id,
                    MappingRecord.source_taxonomy_id == taxonomy_id,
                )
            )
            .order_by(MappingRecord.id)
        )
    )


def label_stats(
    session: Session, taxonomy_id: int, label_ids: Sequence[int]
) -> list[Row[int, str, int, int]]:
    """Per dataset in this taxonomy: frames and pixels of ``label_ids`` (the occurrence index)."""
    if not label_ids:
        return []
    return list(
        session.execute(
            select(
                Dataset.id,
                Dataset.name,
                func.sum(DatasetLabelStat.frames),
                func.sum(DatasetLabelStat.pixels),
            )
            .join(DatasetLabelStat, DatasetLabelStat.dataset_id == Dataset.id)
            .where(Dataset.taxonomy_id == taxonomy_id, DatasetLabelStat.label_id.in_(label_ids))
            .group_by(Dataset.id, Dataset.name)
            .order_by(Dataset.id)
        ).all()
    )


def models_of(session: Session, taxonomy_id: int) -> list[ModelRecord]:
    return list(
        session.scalars(
            select(ModelRecord)
            .where(ModelRecord.taxonomy_id == taxonomy_id)
            .order_by(ModelRecord.id)
        )
    )


def verifications_up_to(session: Session, mapping_id: int, number: int) -> list[Verification]:
    """Decisions on a mapping recorded at revision ``number`` or before, oldest first."""
    return list(
        session.scalars(
            select(Verification)
            .where(Verification.mapping_id == mapping_id, Verification.revision_number <= number)
            .order_by(Verification.id)
        )
    )


def delete_verifications(session: Session, ids: Sequence[int]) -> None:
    if ids:
        session.execute(delete(Verification).where(Verification.id.in_(list(ids))))


def get_change(
    session: Session, taxonomy_id: int, change_id: int, *, for_update: bool = False
) -> TaxonomyChangeRecord | None:
    query = select(TaxonomyChangeRecord).where(
        TaxonomyChangeRecord.id == change_id, TaxonomyChangeRecord.taxonomy_id == taxonomy_id
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).one_or_none()


def find_change(session: Session, change_id: int) -> TaxonomyChangeRecord | None:
    return session.get(TaxonomyChangeRecord, change_id)


def list_changes(
    session: Session, taxonomy_id: int, *, offset: int, limit: int
) -> tuple[list[TaxonomyChangeRecord], int]:
    where = TaxonomyChangeRecord.taxonomy_id == taxonomy_id
    total = session.scalar(select(func.count()).select_from(TaxonomyChangeRecord).where(where))
    rows = session.scalars(
        select(TaxonomyChangeRecord)
        .where(where)
        .order_by(TaxonomyChangeRecord.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)
