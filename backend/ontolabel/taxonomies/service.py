"""Taxonomy rules: validation, optimistic locking, archive instead of delete, import/export.

Services only flush; the caller (request dependency, CLI scope) owns the transaction.
Writers call ``start_write`` first so SQLite queues them instead of failing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

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
from ontolabel.domain.formats.cityscapes import read_labels_py, write_labels_py
from ontolabel.domain.formats.mseg import UNIVERSAL, looks_like_master, read_mseg_master
from ontolabel.domain.formats.native import dump_taxonomy, load_taxonomy
from ontolabel.domain.formats.reference import read_labels_csv, write_labels_csv
from ontolabel.domain.taxonomy import (
    CLASS_ID_MAX,
    CLASS_ID_MIN,
    Taxonomy,
    TaxonomyClass,
    first_repeat,
)
from ontolabel.errors import Conflict, InvalidInput, NotFound
from ontolabel.taxonomies import repository
from ontolabel.taxonomies.schemas import TaxonomyDetailRead, TaxonomyKind, TaxonomyRead
from ontolabel.taxonomies.tables import TaxonomyRecord


@dataclass(frozen=True)
class TaxonomyChange:
    """What an update may change; ``None`` leaves a field as it is."""

    version: int
    name: str | None = None
    kind: TaxonomyKind | None = None
    description: str | None = None
    classes: tuple[TaxonomyClass, ...] | None = None  # new classes, in order
    file_columns: tuple[str, ...] | None = None


def validate_taxonomy(taxonomy: Taxonomy, *, source: str = "classes") -> None:
    """Refuse duplicate class ids (a label value must mean one class), ids the database
    cannot store, and empty names.

    Duplicate *names* are accepted: the published CamVid and RUGD lists have them, and
    lint reports a mapping cell naming one as ambiguous. Ids no label PNG holds (negative,
    above 65535) are accepted too: lint and the index job say so.
    """
    if not taxonomy.name.strip():
        raise InvalidInput("a taxonomy needs a name", field="name")
    if not taxonomy.classes:
        raise InvalidInput(f"taxonomy {taxonomy.name!r} has no classes", field=source)
    for index, cls in enumerate(taxonomy.classes):
        if not cls.name.strip():
            raise InvalidInput(f"class {index} has an empty name", field=f"{source}[{index}].name")
        for field, value in (("id", cls.id), ("train_id", cls.train_id)):
            if value is not None and not CLASS_ID_MIN <= value <= CLASS_ID_MAX:
                raise InvalidInput(
                    f"class {index} has {field} {value}; ids are {CLASS_ID_MIN} to {CLASS_ID_MAX}",
                    field=f"{source}[{index}].{field}",
                )
    repeat = first_repeat(c.id for c in taxonomy.classes)
    if repeat is not None:
        first, again = repeat
        raise InvalidInput(
            f"class id {taxonomy.classes[again].id} appears twice (classes {first} and {again})",
            field=f"{source}[{again}].id",
        )


def _require(session: Session, taxonomy_id: int, *, for_update: bool = False) -> TaxonomyRecord:
    record = repository.get_taxonomy(session, taxonomy_id, for_update=for_update)
    if record is None:
        raise NotFound(f"taxonomy {taxonomy_id} does not exist", field="taxonomy_id")
    return record


def _ensure_name_free(session: Session, name: str, *, field: str = "name") -> None:
    existing = repository.get_taxonomy_by_name(session, name)
    if existing is not None:
        raise Conflict(
            f"a taxonomy named {name!r} already exists (id {existing.id}); pick another name "
            "or edit that one",
            field=field,
            existing_id=existing.id,
        )


def detail(session: Session, record: TaxonomyRecord) -> TaxonomyDetailRead:
    taxonomy = domain_taxonomy(session, record)
    return read_record(
        TaxonomyDetailRead,
        record,
        class_count=len(taxonomy.classes),
        classes=taxonomy.classes,
        file_columns=list(taxonomy.file_columns),
    )


def get_taxonomy(session: Session, taxonomy_id: int) -> TaxonomyDetailRead:
    return detail(session, _require(session, taxonomy_id))


def list_taxonomies(
    session: Session,
    *,
    include_archived: bool = False,
    kind: TaxonomyKind | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[TaxonomyRead], int]:
    rows, total = repository.list_taxonomies(
        session, include_archived=include_archived, kind=kind, offset=offset, limit=limit
    )
    return [read_record(TaxonomyRead, record, class_count=n) for record, n in rows], total


def _flush_guarded(session: Session, name: str) -> None:
    """Flush; a unique-key race lost to another writer becomes 409, not 500."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"taxonomy {name!r} was changed by someone else at the same time; reload and retry",
            field="name",
        ) from exc


def create_taxonomy(
    session: Session, taxonomy: Taxonomy, *, kind: TaxonomyKind, user: User, action: str = "create"
) -> TaxonomyRecord:
    start_write(session)
    validate_taxonomy(taxonomy)
    _ensure_name_free(session, taxonomy.name)
    now = utcnow()
    record = TaxonomyRecord(
        name=taxonomy.name,
        kind=kind,
        description=taxonomy.description,
        file_columns=list(taxonomy.file_columns) or None,
        archived=False,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(record)
    _flush_guarded(session, taxonomy.name)
    repository.replace_classes(session, record, taxonomy.classes)
    add_audit_event(
        session,
        user=user,
        action=action,
        entity="taxonomy",
        entity_id=record.id,
        detail={"name": record.name, "classes": len(taxonomy.classes)},
    )
    session.flush()
    return record


def update_taxonomy(
    session: Session, taxonomy_id: int, change: TaxonomyChange, *, user: User
) -> TaxonomyRecord:
    """Apply ``change`` if it is based on the current version, else 409 with what is stored."""
    start_write(session)
    record = _require(session, taxonomy_id, for_update=True)
    if record.version != change.version:
        stored = detail(session, record)
        raise Conflict(
            f"taxonomy {record.name!r} is at version {record.version}, not {change.version}: "
            "someone saved in between; reload, re-apply your edit and save again",
            current_version=record.version,
            current=stored.model_dump(mode="json"),
        )
    changed: list[str] = []
    if change.name is not None and change.name.strip() != record.name:
        _ensure_name_free(session, change.name.strip())
        record.name = change.name.strip()
        changed.append("name")
    if change.kind is not None and change.kind != record.kind:
        record.kind = change.kind
        changed.append("kind")
    if change.description is not None and change.description != record.description:
        record.description = change.description
        changed.append("description")
    if change.file_columns is not None and change.file_columns != tuple(record.file_columns or ()):
        record.file_columns = list(change.file_columns) or None
        changed.append("file_columns")
    if change.classes is not None:
        validate_taxonomy(Taxonomy(name=record.name, classes=change.classes))
        current = domain_taxonomy(session, record)
        if current.classes != change.classes:
            repository.replace_classes(session, record, change.classes)
            changed.append("classes")
    if changed:
        record.version += 1
        record.updated_at = utcnow()
        add_audit_event(
            session,
            user=user,
            action="update",
            entity="taxonomy",
            entity_id=record.id,
            detail={"changed": changed, "version": record.version},
        )
        _flush_guarded(session, record.name)
    return record


def set_archived(
    session: Session, taxonomy_id: int, *, archived: bool, user: User
) -> TaxonomyRecord:
    """Archive (hide) or restore a taxonomy; nothing is ever deleted."""
    start_write(session)
    record = _require(session, taxonomy_id, for_update=True)
    if archive(session, record, archived=archived, user=user, entity="taxonomy"):
        # A new version, so an edit based on the one before the archive gets 409.
        record.version += 1
        session.flush()
    return record


def parse_taxonomy(text: str, *, fmt: FileFormat, filename: str, name: str | None) -> Taxonomy:
    """A taxonomy from a labels.csv, a Cityscapes-style labels.py, an MSeg master TSV (its
    universal column), each named ``name`` or after the file, or native YAML."""
    named = (name or filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]).strip()
    if fmt == "csv":
        return read_labels_csv(text, name=named, source=filename)
    if fmt == "py":
        return read_labels_py(text, name=named, source=filename)
    if fmt == "tsv":
        if not looks_like_master(text):
            raise InvalidInput(
                f"{filename} is a pairwise TSV (a mapping, no universal column): import it "
                "as a mapping",
                file=filename,
                field="file",
            )
        return read_mseg_master(text, name=(name or UNIVERSAL).strip(), source=filename).universal
    taxonomy = load_taxonomy(text, source=filename)
    if name and name.strip() != taxonomy.name:
        taxonomy = dataclasses.replace(taxonomy, name=name.strip())
    return taxonomy


def import_taxonomy(
    session: Session,
    text: str,
    *,
    fmt: FileFormat,
    filename: str,
    kind: TaxonomyKind,
    name: str | None,
    user: User,
) -> TaxonomyRecord:
    taxonomy = parse_taxonomy(text, fmt=fmt, filename=filename, name=name)
    return create_taxonomy(session, taxonomy, kind=kind, user=user, action="import")


def export_taxonomy(session: Session, taxonomy_id: int, fmt: FileFormat) -> Exported:
    """The taxonomy as a labels.csv, a labels.py or native YAML (an MSeg master TSV, which
    needs the mappings onto it, is ``mappings.mseg.export_master``)."""
    record = _require(session, taxonomy_id)
    taxonomy = domain_taxonomy(session, record)
    if fmt == "csv":
        return Exported(
            write_labels_csv(taxonomy), f"{safe_filename(record.name)}.labels.csv", "text/csv"
        )
    if fmt == "py":
        return Exported(
            write_labels_py(taxonomy), f"{safe_filename(record.name)}_labels.py", "text/x-python"
        )
    if fmt == "tsv":
        raise InvalidInput("export a master TSV through the mappings onto it", field="format")
    return Exported(
        dump_taxonomy(taxonomy), f"{safe_filename(record.name)}.taxonomy.yaml", "application/yaml"
    )


def domain_taxonomy(session: Session, record: TaxonomyRecord) -> Taxonomy:
    return repository.to_domain(record, repository.load_classes(session, record.id))
