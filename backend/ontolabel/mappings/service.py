"""Mapping rules: immutable revisions, stale saves refused with 409, archive, import/export.

Every save appends revision ``head + 1`` naming the revision it was based on. Three
guards keep concurrent saves honest, so exactly one save per base revision wins:
the writer lock (``begin_write``: BEGIN IMMEDIATE on SQLite, ``SELECT … FOR UPDATE`` on
the mapping row on PostgreSQL), a compare-and-set of ``mappings.head_revision``, and
the unique key ``(mapping_id, number)``; whichever trips turns into 409 with the head.
Services only flush; the caller owns the transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ontolabel.core.archiving import set_archived as archive
from ontolabel.core.audit import add_audit_event
from ontolabel.core.clock import utcnow
from ontolabel.core.exports import Exported, safe_filename
from ontolabel.core.schemas import read_record
from ontolabel.core.uploads import FileFormat
from ontolabel.core.users import User
from ontolabel.core.writes import start_write
from ontolabel.domain.formats.mseg import (
    UNIVERSAL,
    looks_like_master,
    read_mseg_master,
    read_mseg_pairwise,
    write_mseg_pairwise,
)
from ontolabel.domain.formats.native import dump_mapping, load_mapping
from ontolabel.domain.formats.reference import read_mapping_csv, write_mapping_csv
from ontolabel.domain.lint import lint_mapping
from ontolabel.domain.mapping import Mapping, MappingRow, diff
from ontolabel.domain.taxonomy import VOID_ID, Taxonomy, TaxonomyClass, first_repeat
from ontolabel.errors import Conflict, InvalidInput, NotFound
from ontolabel.mappings import repository
from ontolabel.mappings.schemas import (
    FindingRead,
    LintReport,
    MappingDetailRead,
    MappingRead,
    MappingRevisionRead,
    MappingRevisionSummary,
    MappingRowSchema,
)
from ontolabel.mappings.tables import MappingRecord, MappingRevision
from ontolabel.taxonomies import repository as taxonomy_repository
from ontolabel.taxonomies import service as taxonomy_service
from ontolabel.taxonomies.tables import TaxonomyRecord

Content = list[dict[str, Any]]


# --- content <-> domain -----------------------------------------------------------------


def rows_to_content(rows: Sequence[MappingRow]) -> Content:
    return [
        {
            "source_id": r.source_id,
            "source_name": r.source_name,
            "extra_labels": list(r.extra_labels),
        }
        for r in rows
    ]


def content_to_mapping(content: Content, *, extra: str, source: str) -> Mapping:
    return Mapping(
        extra_taxonomy=extra,
        source_taxonomy=source,
        rows=tuple(
            MappingRow(
                source_id=int(r["source_id"]),
                source_name=str(r["source_name"]),
                extra_labels=tuple(r["extra_labels"]),
            )
            for r in content
        ),
    )


def _jsonable(value: Any) -> Any:
    """Plain JSON values from the domain's dataclasses, tuples and sets."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not f.name.startswith("_")
        }
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((_jsonable(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _diff(previous: Mapping | None, current: Mapping) -> dict[str, Any] | None:
    if previous is None:
        return None
    result = _jsonable(diff(previous, current))
    return result if isinstance(result, dict) else {"changes": result}


# --- validation -------------------------------------------------------------------------


def validate_rows(mapping: Mapping, source: Taxonomy) -> None:
    """Refuse structural errors (422 naming the row).

    Unknown extra labels and row names that differ from the source taxonomy are saved:
    lint reports them, so a half-finished mapping can still be kept.
    """
    if not mapping.rows:
        raise InvalidInput("a mapping needs at least one row", field="rows")
    repeat = first_repeat(r.source_id for r in mapping.rows)
    if repeat is not None:
        first, again = repeat
        raise InvalidInput(
            f"source class {mapping.rows[again].source_id} has two rows ({first} and {again}); "
            "merge them into one",
            field=f"rows[{again}].source_id",
        )
    for index, row in enumerate(mapping.rows):
        where = f"rows[{index}]"
        if row.source_id != VOID_ID and source.by_id(row.source_id) is None:
            raise InvalidInput(
                f"source class id {row.source_id} is not in taxonomy {source.name!r}",
                field=f"{where}.source_id",
            )
        for j, label in enumerate(row.extra_labels):
            if not label.strip():
                raise InvalidInput(
                    f"row for source class {row.source_id} has an empty extra label",
                    field=f"{where}.extra_labels[{j}]",
                )


def _taxonomy_named(session: Session, name: str, *, field: str) -> TaxonomyRecord:
    record = taxonomy_repository.get_taxonomy_by_name(session, name.strip())
    if record is None:
        raise InvalidInput(
            f"taxonomy {name!r} does not exist; create or import it first", field=field
        )
    return record


# --- reads ------------------------------------------------------------------------------


def _require(session: Session, mapping_id: int, *, for_update: bool = False) -> MappingRecord:
    record = repository.get_mapping(session, mapping_id, for_update=for_update)
    if record is None:
        raise NotFound(f"mapping {mapping_id} does not exist", field="mapping_id")
    return record


def get_mapping(session: Session, mapping_id: int) -> MappingDetailRead:
    found = repository.get_mapping_with_head(session, mapping_id)
    if found is None:
        raise NotFound(f"mapping {mapping_id} does not exist", field="mapping_id")
    record, extra, source, head = found
    return read_record(
        MappingDetailRead,
        record,
        extra_taxonomy=extra,
        source_taxonomy=source,
        head=_revision_read(head),
    )


def list_mappings(
    session: Session,
    *,
    include_archived: bool = False,
    extra_taxonomy_id: int | None = None,
    source_taxonomy_id: int | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[MappingRead], int]:
    rows, total = repository.list_mappings(
        session,
        include_archived=include_archived,
        extra_taxonomy_id=extra_taxonomy_id,
        source_taxonomy_id=source_taxonomy_id,
        offset=offset,
        limit=limit,
    )
    items = [
        read_record(MappingRead, r, extra_taxonomy=extra, source_taxonomy=source)
        for r, extra, source in rows
    ]
    return items, total


def list_revisions(session: Session, mapping_id: int) -> list[MappingRevisionSummary]:
    _require(session, mapping_id)
    return [
        read_record(MappingRevisionSummary, r)
        for r in repository.list_revisions(session, mapping_id)
    ]


def _revision(session: Session, mapping_id: int, number: int) -> MappingRevision:
    revision = repository.get_revision(session, mapping_id, number)
    if revision is None:
        _require(session, mapping_id)
        raise NotFound(f"mapping {mapping_id} has no revision {number}", field="number")
    return revision


def _revision_read(revision: MappingRevision) -> MappingRevisionRead:
    # Stored rows were validated on the way in; skip re-validating 60+ rows per read.
    rows = [MappingRowSchema.model_construct(**row) for row in revision.content]
    return read_record(MappingRevisionRead, revision, rows=rows)


def get_revision(session: Session, mapping_id: int, number: int) -> MappingRevisionRead:
    return _revision_read(_revision(session, mapping_id, number))


def load_domain_mapping(
    session: Session, mapping_id: int, number: int | None = None
) -> tuple[MappingRecord, Mapping, int]:
    """The mapping at revision ``number`` (default: head) as a domain object."""
    found = repository.get_mapping_with_names(session, mapping_id)
    if found is None:
        raise NotFound(f"mapping {mapping_id} does not exist", field="mapping_id")
    record, extra, source = found
    revision = _revision(session, mapping_id, number or record.head_revision)
    return record, content_to_mapping(revision.content, extra=extra, source=source), revision.number


# --- writes -----------------------------------------------------------------------------


def _conflict(session: Session, record: MappingRecord, base: int) -> Conflict:
    head = _revision_read(_revision(session, record.id, record.head_revision))
    return Conflict(
        f"mapping {record.name!r} is at revision {record.head_revision}, not {base}: someone "
        "saved in between. Nothing was overwritten; re-apply your change to `current` and "
        f"save with base_revision={record.head_revision}",
        current_revision=record.head_revision,
        current=head.model_dump(mode="json"),
    )


def _append_revision(
    session: Session,
    record: MappingRecord,
    mapping: Mapping,
    *,
    base: int,
    previous: Mapping | None,
    message: str,
    user: User,
    action: str,
) -> MappingRevision:
    """Write revision ``base + 1`` if the head is still ``base``; else 409 with the head."""
    now = utcnow()
    number = base + 1
    if record.head_revision != base:
        raise _conflict(session, record, base)
    revision = MappingRevision(
        mapping_id=record.id,
        number=number,
        content=rows_to_content(mapping.rows),
        author=user.name,
        created_at=now,
        message=message,
        based_on=base or None,
        diff=_diff(previous, mapping),
    )
    try:
        with session.begin_nested():
            if base and not repository.advance_head(
                session, record.id, base=base, new=number, at=now
            ):
                raise _Lost
            session.add(revision)
            session.flush()
    except (_Lost, IntegrityError) as exc:
        # Another writer got past the lock (it cannot, but the database has the last
        # word): report what is stored now instead of a 500.
        session.refresh(record)
        raise _conflict(session, record, base) from exc
    if not base:
        record.head_revision = number
    add_audit_event(
        session,
        user=user,
        action=action,
        entity="mapping",
        entity_id=record.id,
        detail={"revision": number, "based_on": base or None, "message": message},
    )
    session.flush()
    return revision


class _Lost(Exception):
    """The compare-and-set of the head revision found it moved."""


def _ensure_name_free(session: Session, name: str) -> None:
    existing = repository.get_mapping_by_name(session, name)
    if existing is not None:
        raise Conflict(
            f"a mapping named {name!r} already exists (id {existing.id}); pick another name "
            "or save a new revision of that one",
            field="name",
            existing_id=existing.id,
        )


def create_mapping(
    session: Session,
    *,
    name: str,
    extra_taxonomy: str,
    source_taxonomy: str,
    rows: Sequence[MappingRow],
    message: str,
    user: User,
    action: str = "create",
) -> MappingRecord:
    """A new mapping with revision 1; both taxonomies must exist (422 naming the missing one)."""
    start_write(session)
    extra = _taxonomy_named(session, extra_taxonomy, field="extra_taxonomy")
    source = _taxonomy_named(session, source_taxonomy, field="source_taxonomy")
    mapping = Mapping(extra_taxonomy=extra.name, source_taxonomy=source.name, rows=tuple(rows))
    validate_rows(mapping, taxonomy_service.domain_taxonomy(session, source))
    name = name.strip()
    _ensure_name_free(session, name)
    now = utcnow()
    record = MappingRecord(
        name=name,
        extra_taxonomy_id=extra.id,
        source_taxonomy_id=source.id,
        archived=False,
        head_revision=0,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"a mapping named {name!r} was created at the same moment; pick another name",
            field="name",
        ) from exc
    _append_revision(
        session, record, mapping, base=0, previous=None, message=message, user=user, action=action
    )
    return record


def save_mapping(
    session: Session,
    mapping_id: int,
    *,
    base_revision: int,
    rows: Sequence[MappingRow],
    message: str,
    user: User,
) -> MappingRecord:
    """Save new rows on top of ``base_revision``; 409 with the head if that is stale."""
    start_write(session)
    record = _require(session, mapping_id, for_update=True)
    if record.head_revision != base_revision:
        raise _conflict(session, record, base_revision)
    _, previous, _ = load_domain_mapping(session, mapping_id, base_revision)
    mapping = dataclasses.replace(previous, rows=tuple(rows))
    source = taxonomy_repository.load_domain_taxonomy(session, record.source_taxonomy_id)
    assert source is not None  # foreign key
    validate_rows(mapping, source)
    _append_revision(
        session,
        record,
        mapping,
        base=base_revision,
        previous=previous,
        message=message,
        user=user,
        action="save",
    )
    return record


def revert_mapping(
    session: Session,
    mapping_id: int,
    number: int,
    *,
    base_revision: int | None,
    message: str | None,
    user: User,
) -> MappingRecord:
    """A new head revision carrying revision ``number``'s content (history is kept)."""
    start_write(session)
    record = _require(session, mapping_id, for_update=True)
    base = record.head_revision if base_revision is None else base_revision
    if record.head_revision != base:
        raise _conflict(session, record, base)
    _, target, _ = load_domain_mapping(session, mapping_id, number)
    _, previous, _ = load_domain_mapping(session, mapping_id, base)
    _append_revision(
        session,
        record,
        target,
        base=base,
        previous=previous,
        message=message or f"revert to revision {number}",
        user=user,
        action="revert",
    )
    return record


def set_archived(session: Session, mapping_id: int, *, archived: bool, user: User) -> MappingRecord:
    """Archive (hide) or restore a mapping; revisions stay readable either way."""
    start_write(session)
    record = _require(session, mapping_id, for_update=True)
    archive(session, record, archived=archived, user=user, entity="mapping")
    return record


# --- files ------------------------------------------------------------------------------


def export_mapping(
    session: Session, mapping_id: int, fmt: FileFormat, number: int | None = None
) -> Exported:
    record, mapping, at = load_domain_mapping(session, mapping_id, number)
    stem = f"{safe_filename(record.name)}.r{at}"
    if fmt == "csv":
        return Exported(write_mapping_csv(mapping), f"{stem}.csv", "text/csv")
    if fmt == "tsv":
        extra = taxonomy_repository.load_domain_taxonomy(session, record.extra_taxonomy_id)
        names = extra.names if extra else []
        text = write_mseg_pairwise(mapping, names)
        return Exported(text, f"{stem}.tsv", "text/tab-separated-values")
    if fmt == "py":
        raise InvalidInput("a labels.py holds a taxonomy, not a mapping", field="format")
    return Exported(dump_mapping(mapping), f"{stem}.mapping.yaml", "application/yaml")


def _default_source_name(filename: str) -> str:
    """``master_labels_cityscapes.csv`` → ``cityscapes``."""
    stem = PurePath(filename).stem
    return stem.removeprefix("master_labels_") or stem


def import_mapping(
    session: Session,
    text: str,
    *,
    fmt: FileFormat,
    filename: str,
    extra_taxonomy: str | None,
    source_taxonomy: str | None,
    name: str | None,
    message: str,
    user: User,
) -> MappingRecord:
    """Create a mapping from a reference CSV or native YAML.

    The extra taxonomy must exist. The source taxonomy is the one named (or, for a CSV
    without a name, named after the file); if no such taxonomy exists it is created
    from the file's source rows. All of it happens in the caller's one transaction.
    """
    start_write(session)
    if fmt == "csv":
        if not extra_taxonomy:
            raise InvalidInput("name the extra taxonomy this CSV maps", field="extra_taxonomy")
        source_name = (source_taxonomy or _default_source_name(filename)).strip()
        parsed = read_mapping_csv(
            text, extra_taxonomy=extra_taxonomy, source_taxonomy=source_name, source=filename
        )
        mapping, source_from_file = parsed.mapping, parsed.source
    elif fmt == "tsv":
        mapping, source_from_file = _read_tsv(text, filename, extra_taxonomy, source_taxonomy)
    elif fmt == "py":
        raise InvalidInput(
            "a labels.py holds a taxonomy: import it as one", file=filename, field="format"
        )
    else:
        mapping = load_mapping(text, source=filename)
        mapping = dataclasses.replace(
            mapping,
            extra_taxonomy=extra_taxonomy or mapping.extra_taxonomy,
            source_taxonomy=source_taxonomy or mapping.source_taxonomy,
        )
        source_from_file = Taxonomy(
            name=mapping.source_taxonomy,
            classes=tuple(
                TaxonomyClass(id=r.source_id, name=r.source_name.strip())
                for r in mapping.source_rows
            ),
        )
    extra = _taxonomy_named(session, mapping.extra_taxonomy, field="extra_taxonomy")
    existing = taxonomy_repository.get_taxonomy_by_name(session, mapping.source_taxonomy)
    if existing is None:
        taxonomy_service.create_taxonomy(session, source_from_file, kind="source", user=user)
    elif fmt == "tsv":
        source = taxonomy_service.domain_taxonomy(session, existing)
        mapping = _numbered_as(mapping, source, filename)
    return create_mapping(
        session,
        name=name or f"{extra.name}-to-{mapping.source_taxonomy}",
        extra_taxonomy=extra.name,
        source_taxonomy=mapping.source_taxonomy,
        rows=mapping.rows,
        message=message or f"import {PurePath(filename).name}",
        user=user,
        action="import",
    )


def _read_tsv(
    text: str, filename: str, extra_taxonomy: str | None, source_taxonomy: str | None
) -> tuple[Mapping, Taxonomy]:
    """An MSeg TSV's mapping and the source classes it names: a pairwise file, or the
    column ``extra_taxonomy`` of a master file (onto its universal taxonomy)."""
    if not looks_like_master(text):
        parsed = read_mseg_pairwise(
            text, extra_taxonomy=extra_taxonomy, source_taxonomy=source_taxonomy, source=filename
        )
        return parsed.mapping, parsed.target
    if not extra_taxonomy:
        raise InvalidInput(
            "name the dataset column of the master TSV to import (extra_taxonomy)",
            field="extra_taxonomy",
        )
    master = read_mseg_master(text, name=(source_taxonomy or UNIVERSAL).strip(), source=filename)
    column = extra_taxonomy.strip()
    if column not in master.mappings:
        raise InvalidInput(
            f"{filename} has no dataset column {column!r}; it has "
            f"{', '.join(sorted(master.mappings)) or 'none'}",
            file=filename,
            field="extra_taxonomy",
        )
    return master.mappings[column], master.universal


def _numbered_as(mapping: Mapping, source: Taxonomy, filename: str) -> Mapping:
    """An MSeg mapping's rows with the ids the stored source taxonomy gives their names
    (the file names classes only)."""
    rows = []
    for row in mapping.rows:
        if row.is_void:
            rows.append(row)
            continue
        found = source.by_name(row.source_name.strip())
        if found is None:
            raise InvalidInput(
                f"{row.source_name!r} is not a class of taxonomy {source.name!r}",
                file=filename,
                field="source_taxonomy",
            )
        rows.append(dataclasses.replace(row, source_id=found.id, source_name=found.name))
    return dataclasses.replace(mapping, rows=tuple(rows))


# --- lint -------------------------------------------------------------------------------


def lint_saved(session: Session, mapping_id: int, number: int | None = None) -> LintReport:
    """Lint findings for a stored revision (default: the head)."""
    record, mapping, at = load_domain_mapping(session, mapping_id, number)
    extra = taxonomy_repository.load_domain_taxonomy(session, record.extra_taxonomy_id)
    source = taxonomy_repository.load_domain_taxonomy(session, record.source_taxonomy_id)
    assert extra is not None and source is not None  # foreign keys
    return _lint(mapping, extra, source, revision=at)


def lint_draft(
    session: Session, *, extra_taxonomy: str, source_taxonomy: str, rows: Sequence[MappingRow]
) -> LintReport:
    """Lint an unsaved mapping; structural problems come back as findings too."""
    extra = _taxonomy_named(session, extra_taxonomy, field="extra_taxonomy")
    source = _taxonomy_named(session, source_taxonomy, field="source_taxonomy")
    mapping = Mapping(extra_taxonomy=extra.name, source_taxonomy=source.name, rows=tuple(rows))
    return _lint(
        mapping,
        taxonomy_service.domain_taxonomy(session, extra),
        taxonomy_service.domain_taxonomy(session, source),
        revision=None,
    )


def _lint(
    mapping: Mapping, extra: Taxonomy, source: Taxonomy, *, revision: int | None
) -> LintReport:
    findings = [
        FindingRead.model_validate(_jsonable(f)) for f in lint_mapping(mapping, extra, source)
    ]
    return LintReport(revision=revision, findings=findings)
