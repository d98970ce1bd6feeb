"""Safe taxonomy changes: rename, merge and split a class, with a dry run and an exact revert.

Applying a change edits the taxonomy (a new version) and saves a new revision of every
mapping it touches, through the usual machinery: a stale taxonomy version or mapping base
revision is 409 and nothing is written. The change is stored with the classes before and
each mapping revision it was applied on, so a revert restores them exactly (a split is not
undone by a merge when the parts' cells differ). Decisions on cells a rename touched are
copied onto the new revisions (and deleted again by the revert); a merge or split changes
what a cell means, so the decisions on the rows it edits are not carried. Services only
flush; the caller owns the transaction.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.orm import Session

from ontolabel.core.audit import add_audit_event
from ontolabel.core.clock import utcnow
from ontolabel.core.users import User
from ontolabel.core.writes import start_write
from ontolabel.domain.mapping import Mapping
from ontolabel.domain.taxonomy import TaxonomyClass
from ontolabel.domain.taxonomy_change import (
    PlannedChange,
    apply_to_cells,
    apply_to_rows,
    cells_touched,
    plan_change,
    renamed_label,
    rows_changed,
)
from ontolabel.errors import Conflict, NotFound
from ontolabel.mappings import service as mapping_service
from ontolabel.taxonomies import repository
from ontolabel.taxonomies import service as taxonomy_service
from ontolabel.taxonomies.change_schemas import (
    DatasetPixels,
    MappingTouched,
    ModelTouched,
    RenameChange,
    TaxonomyChangeCreate,
    TaxonomyChangePreview,
    TaxonomyChangeRead,
)
from ontolabel.taxonomies.schemas import TaxonomyClassSchema
from ontolabel.taxonomies.tables import TaxonomyChangeRecord, TaxonomyRecord
from ontolabel.verifications.service import row_labels
from ontolabel.verifications.tables import Verification

Side = Literal["extra", "source", "both"]


@dataclass
class _MappingEdit:
    mapping_id: int
    name: str
    side: Side
    head: int
    before: Mapping
    after: Mapping
    cells: int
    rows: list[int]
    carry: list[Verification] = field(default_factory=list)
    reset: list[Verification] = field(default_factory=list)


@dataclass
class _Plan:
    record: TaxonomyRecord
    change: PlannedChange
    edits: list[_MappingEdit]
    preview: TaxonomyChangePreview


def _class_json(c: TaxonomyClass) -> dict[str, Any]:
    return {**dataclasses.asdict(c), "file_cells": [list(p) for p in c.file_cells]}


def _class_from_json(d: dict[str, Any]) -> TaxonomyClass:
    return TaxonomyClass(**{**d, "file_cells": tuple((k, v) for k, v in d["file_cells"])})


def _current_decisions(
    session: Session, mapping_id: int, head: int, mapping: Mapping
) -> list[Verification]:
    """The latest decision per cell that still holds at ``head`` (as ``revision_state``)."""
    labels = {r.source_id: row_labels(r) for r in mapping.rows}
    latest: dict[tuple[int, str], Verification] = {}
    for v in repository.verifications_up_to(session, mapping_id, head):
        if labels.get(v.source_id) == v.row_labels:
            latest[(v.source_id, v.extra_label)] = v
    return list(latest.values())


def _mapping_edit(
    session: Session, mapping_id: int, taxonomy_id: int, change: PlannedChange
) -> _MappingEdit | None:
    record, before, head = mapping_service.load_domain_mapping(session, mapping_id)
    after = before
    if record.extra_taxonomy_id == taxonomy_id:
        after = apply_to_cells(after, change)
    if record.source_taxonomy_id == taxonomy_id:
        after = apply_to_rows(after, change)
    if after == before:
        return None
    both = record.extra_taxonomy_id == record.source_taxonomy_id
    side: Side = (
        "both" if both else "extra" if record.extra_taxonomy_id == taxonomy_id else "source"
    )
    cells = (cells_touched(before, change, side="extra") if side != "source" else 0) + (
        cells_touched(before, change, side="source") if side != "extra" else 0
    )
    edit = _MappingEdit(
        mapping_id, record.name, side, head, before, after, cells, list(rows_changed(before, after))
    )
    new_labels = {r.source_id: row_labels(r) for r in after.rows}
    for v in _current_decisions(session, mapping_id, head, before):
        if new_labels.get(v.source_id) == v.row_labels:
            continue  # the row's cells are unchanged: the decision holds there as it is
        (edit.carry if change.renames_only and v.source_id in new_labels else edit.reset).append(v)
    return edit


def _plan(
    session: Session, taxonomy_id: int, body: TaxonomyChangeCreate, *, for_update: bool
) -> _Plan:
    record = repository.get_taxonomy(session, taxonomy_id, for_update=for_update)
    if record is None:
        raise NotFound(f"taxonomy {taxonomy_id} does not exist", field="taxonomy_id")
    taxonomy = taxonomy_service.domain_taxonomy(session, record)
    change = plan_change(taxonomy, body.to_domain(), keep_ids=record.kind == "extra")
    edits = [
        e
        for m in repository.mappings_using(session, taxonomy_id)
        if (e := _mapping_edit(session, m.id, taxonomy_id, change)) is not None
    ]
    stats = repository.label_stats(session, taxonomy_id, change.touched_ids)
    datasets = [
        DatasetPixels(dataset_id=d, name=n, frames=int(f or 0), pixels=int(p or 0))
        for d, n, f, p in stats
    ]
    preview = TaxonomyChangePreview(
        op=body.op,
        taxonomy_id=taxonomy_id,
        version=record.version,
        classes=[
            TaxonomyClassSchema.model_validate(dataclasses.asdict(c)) for c in change.after.classes
        ],
        touched_ids=list(change.touched_ids),
        mappings=[
            MappingTouched(
                mapping_id=e.mapping_id,
                name=e.name,
                side=e.side,
                head_revision=e.head,
                cells=e.cells,
                rows=e.rows,
            )
            for e in edits
        ],
        cells=sum(e.cells for e in edits),
        verifications_reset=sum(len(e.reset) for e in edits),
        verifications_carried=sum(len(e.carry) for e in edits),
        label_pixels=sum(d.pixels for d in datasets),
        label_frames=sum(d.frames for d in datasets),
        datasets=datasets,
        models=[
            ModelTouched(id=m.id, name=m.name) for m in repository.models_of(session, taxonomy_id)
        ],
    )
    return _Plan(record, change, edits, preview)


def preview_change(
    session: Session, taxonomy_id: int, body: TaxonomyChangeCreate
) -> TaxonomyChangePreview:
    """What applying ``body`` would do; reads only."""
    return _plan(session, taxonomy_id, body, for_update=False).preview


def _carry(
    session: Session, v: Verification, edit: _MappingEdit, change: PlannedChange, number: int
) -> int:
    row = edit.after.row(v.source_id)
    assert row is not None  # only decisions on rows that stay are carried
    copy = Verification(
        mapping_id=v.mapping_id,
        revision_number=number,
        source_id=v.source_id,
        extra_label=renamed_label(change, v.extra_label),
        decision=v.decision,
        row_labels=row_labels(row),
        dataset_id=v.dataset_id,
        sample_set_id=v.sample_set_id,
        frames_reviewed=v.frames_reviewed,
        evidence_frame_ids=list(v.evidence_frame_ids),
        note=v.note,
        reviewer=v.reviewer,
        created_at=v.created_at,
    )
    session.add(copy)
    session.flush()
    return copy.id


def apply_change(
    session: Session, taxonomy_id: int, body: TaxonomyChangeCreate, *, user: User
) -> TaxonomyChangeRecord:
    """Edit the taxonomy and save a revision of each mapping it touches; 409 if stale."""
    start_write(session)
    plan = _plan(session, taxonomy_id, body, for_update=True)
    record = plan.record
    version_before = record.version
    taxonomy_service.update_taxonomy(
        session,
        taxonomy_id,
        taxonomy_service.TaxonomyChange(
            version=body.version or record.version, classes=plan.change.after.classes
        ),
        user=user,
    )
    message = body.message or f"taxonomy {record.name!r}: {_describe(body)}"
    bases = body.base_revisions or {}
    revisions: list[dict[str, Any]] = []
    carried: list[int] = []
    for edit in plan.edits:
        saved = mapping_service.save_mapping(
            session,
            edit.mapping_id,
            base_revision=bases.get(str(edit.mapping_id), edit.head),
            rows=edit.after.rows,
            message=message,
            user=user,
        )
        carried += [_carry(session, v, edit, plan.change, saved.head_revision) for v in edit.carry]
        revisions.append(
            {
                "mapping_id": edit.mapping_id,
                "name": edit.name,
                "side": edit.side,
                "before": edit.head,
                "after": saved.head_revision,
            }
        )
    change = TaxonomyChangeRecord(
        taxonomy_id=taxonomy_id,
        op=body.op,
        spec=body.model_dump(mode="json", by_alias=True, exclude={"version", "base_revisions"}),
        classes_before=[_class_json(c) for c in plan.change.before.classes],
        classes_after=[_class_json(c) for c in plan.change.after.classes],
        version_before=version_before,
        version_after=record.version,
        mappings=revisions,
        carried_verification_ids=carried,
        report=plan.preview.model_dump(mode="json"),
        message=message,
        author=user.name,
        created_at=utcnow(),
    )
    session.add(change)
    session.flush()
    add_audit_event(
        session,
        user=user,
        action=f"change-{body.op}",
        entity="taxonomy",
        entity_id=taxonomy_id,
        detail={"change_id": change.id, "spec": change.spec, "mappings": revisions},
    )
    session.flush()
    return change


def _describe(body: TaxonomyChangeCreate) -> str:
    if isinstance(body, RenameChange):
        return f"rename {body.class_name!r} to {body.new_name!r}"
    if body.op == "merge":
        return f"merge {', '.join(repr(c) for c in body.classes)} into {body.into!r}"
    return f"split {body.class_name!r} into {', '.join(repr(p.name) for p in body.into)}"


def revert_change(
    session: Session, taxonomy_id: int, change_id: int, *, message: str | None, user: User
) -> TaxonomyChangeRecord:
    """Restore the classes, every mapping and the decisions as they were before the change.

    Refused (409) when the taxonomy or one of the mappings was edited after the change:
    reverting would overwrite that edit, so undo it first (or revert it by hand).
    """
    start_write(session)
    change = repository.get_change(session, taxonomy_id, change_id, for_update=True)
    if change is None:
        raise NotFound(f"taxonomy {taxonomy_id} has no change {change_id}", field="change_id")
    if change.reverted_at is not None:
        raise Conflict(
            f"change {change_id} was already reverted by {change.reverted_by}", field="change_id"
        )
    record = repository.get_taxonomy(session, taxonomy_id, for_update=True)
    assert record is not None  # foreign key
    if record.version != change.version_after:
        raise Conflict(
            f"taxonomy {record.name!r} is at version {record.version}; change {change_id} left "
            f"it at {change.version_after}. Revert the later edits first",
            current_version=record.version,
        )
    for m in change.mappings:
        mapping = mapping_service.get_mapping(session, m["mapping_id"])
        if mapping.head_revision != m["after"]:
            raise Conflict(
                f"mapping {m['name']!r} is at revision {mapping.head_revision}; change "
                f"{change_id} made revision {m['after']}. Revert the later edits first",
                mapping_id=m["mapping_id"],
                current_revision=mapping.head_revision,
            )
    classes = tuple(_class_from_json(c) for c in change.classes_before)
    _refuse_orphaned_rows(session, change, {c.id for c in classes})
    taxonomy_service.update_taxonomy(
        session,
        taxonomy_id,
        taxonomy_service.TaxonomyChange(version=record.version, classes=classes),
        user=user,
    )
    text = message or f"revert taxonomy change {change_id}"
    reverted: list[dict[str, Any]] = []
    for m in change.mappings:
        _, before, _ = mapping_service.load_domain_mapping(session, m["mapping_id"], m["before"])
        saved = mapping_service.save_mapping(
            session,
            m["mapping_id"],
            base_revision=m["after"],
            rows=before.rows,
            message=text,
            user=user,
        )
        reverted.append({**m, "before": m["after"], "after": saved.head_revision})
    repository.delete_verifications(session, change.carried_verification_ids)
    change.reverted_at = utcnow()
    change.reverted_by = user.name
    change.revert_revisions = reverted
    add_audit_event(
        session,
        user=user,
        action="revert-change",
        entity="taxonomy",
        entity_id=taxonomy_id,
        detail={"change_id": change_id, "mappings": reverted},
    )
    session.flush()
    return change


def _refuse_orphaned_rows(session: Session, change: TaxonomyChangeRecord, ids: set[int]) -> None:
    """409 when a mapping made since the change has a row for a class the revert removes
    (a split's part): reverting would leave that row without its class."""
    touched = {m["mapping_id"] for m in change.mappings}
    for record in repository.mappings_using(session, change.taxonomy_id):
        if record.id in touched or record.source_taxonomy_id != change.taxonomy_id:
            continue
        _, mapping, _ = mapping_service.load_domain_mapping(session, record.id)
        orphans = [r.source_id for r in mapping.source_rows if r.source_id not in ids]
        if orphans:
            raise Conflict(
                f"mapping {record.name!r} has rows for classes {orphans} that reverting change "
                f"{change.id} removes; edit or archive it first",
                mapping_id=record.id,
            )


def find_change(session: Session, change_id: int) -> TaxonomyChangeRecord:
    """A change by id alone (the CLI's ``revert CHANGE_ID``)."""
    change = repository.find_change(session, change_id)
    if change is None:
        raise NotFound(f"no taxonomy change {change_id}", field="change_id")
    return change


def list_changes(
    session: Session, taxonomy_id: int, *, offset: int = 0, limit: int = 100
) -> tuple[list[TaxonomyChangeRead], int]:
    if repository.get_taxonomy(session, taxonomy_id) is None:
        raise NotFound(f"taxonomy {taxonomy_id} does not exist", field="taxonomy_id")
    rows, total = repository.list_changes(session, taxonomy_id, offset=offset, limit=limit)
    return [read_change(r) for r in rows], total


def read_change(change: TaxonomyChangeRecord) -> TaxonomyChangeRead:
    return TaxonomyChangeRead.model_validate(change)
