"""Reviewers' decisions on mapping cells, and each row's verification state at a revision.

A decision names the revision it was made against and keeps the row's labels as they
were then. It still holds at a later revision exactly when that row is unchanged there,
so a save that edits one row resets only that row's state. Services only flush.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ontolabel.core.audit import add_audit_event
from ontolabel.core.users import User
from ontolabel.datasets.tables import Frame, SampleSet
from ontolabel.domain.mapping import Mapping, MappingRow
from ontolabel.errors import InvalidInput, NotFound
from ontolabel.mappings.service import load_domain_mapping
from ontolabel.verifications.schemas import (
    CellState,
    RevisionVerification,
    RowState,
    RowVerification,
    VerificationCreate,
    VerificationRead,
)
from ontolabel.verifications.tables import Verification


def row_labels(row: MappingRow) -> list[str]:
    """The row's labels as compared across revisions (order and padding do not matter)."""
    return sorted({label.strip() for label in row.extra_labels})


def _row(mapping: Mapping, source_id: int, number: int) -> MappingRow:
    row = mapping.row(source_id)
    if row is None:
        raise NotFound(
            f"revision {number} of this mapping has no row for source class {source_id}",
            field="source_id",
        )
    return row


def _check_evidence(session: Session, spec: VerificationCreate) -> None:
    ids = sorted(set(spec.evidence_frame_ids))
    if not ids:
        return
    rows = session.execute(select(Frame.id, Frame.dataset_id).where(Frame.id.in_(ids))).all()
    missing = sorted(set(ids) - {r.id for r in rows})
    if missing:
        raise InvalidInput(f"evidence frames {missing} do not exist", field="evidence_frame_ids")
    if spec.dataset_id is not None and any(r.dataset_id != spec.dataset_id for r in rows):
        raise InvalidInput(
            f"evidence frames must belong to dataset {spec.dataset_id}", field="evidence_frame_ids"
        )


def _frames_reviewed(session: Session, spec: VerificationCreate) -> int | None:
    """Absence claims say how much was looked at: a sample set and how many of its frames."""
    if spec.decision != "absent_confirmed":
        return spec.frames_reviewed
    if spec.sample_set_id is None:
        raise InvalidInput(
            "an absence claim needs the sample set that was reviewed (sample_set_id)",
            field="sample_set_id",
        )
    sample = session.get(SampleSet, spec.sample_set_id)
    if sample is None:
        raise NotFound(f"sample set {spec.sample_set_id} does not exist", field="sample_set_id")
    size = len(sample.frame_ids)
    reviewed = size if spec.frames_reviewed is None else spec.frames_reviewed
    if reviewed > size:
        raise InvalidInput(
            f"frames_reviewed {reviewed} exceeds the {size} frames of sample set {sample.name!r}",
            field="frames_reviewed",
        )
    return reviewed


def record(session: Session, spec: VerificationCreate, user: User) -> Verification:
    """Store one decision against a revision (default: the head)."""
    _record, mapping, number = load_domain_mapping(session, spec.mapping_id, spec.revision)
    row = _row(mapping, spec.source_id, number)
    label = spec.extra_label.strip()
    labels = row_labels(row)
    if spec.decision in ("confirmed", "wrong") and label not in labels:
        raise InvalidInput(
            f"{label!r} is not in row {row.source_name!r} at revision {number}; only cells "
            "of the row can be confirmed or marked wrong",
            field="extra_label",
        )
    _check_evidence(session, spec)
    reviewed = _frames_reviewed(session, spec)
    verification = Verification(
        mapping_id=spec.mapping_id,
        revision_number=number,
        source_id=spec.source_id,
        extra_label=label,
        decision=spec.decision,
        row_labels=labels,
        dataset_id=spec.dataset_id,
        sample_set_id=spec.sample_set_id,
        frames_reviewed=reviewed,
        evidence_frame_ids=sorted(set(spec.evidence_frame_ids)),
        note=spec.note,
        reviewer=user.name,
    )
    session.add(verification)
    session.flush()
    add_audit_event(
        session,
        user=user,
        action="create",
        entity="verification",
        entity_id=verification.id,
        detail={
            "mapping_id": spec.mapping_id,
            "revision": number,
            "source_id": spec.source_id,
            "extra_label": label,
            "decision": spec.decision,
        },
    )
    return verification


def list_verifications(
    session: Session, mapping_id: int, *, offset: int = 0, limit: int = 100
) -> tuple[list[Verification], int]:
    query = select(Verification).where(Verification.mapping_id == mapping_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Verification.id.desc()).offset(offset).limit(limit))
    return list(rows), total


def _row_state(cells: list[CellState]) -> RowState:
    decisions = [c.decision for c in cells]
    if "wrong" in decisions:
        return "disputed"
    if cells and all(d == "confirmed" for d in decisions):
        return "verified"
    return "partial" if any(decisions) else "unverified"


def revision_state(session: Session, mapping_id: int, revision: int | None) -> RevisionVerification:
    """Each row's state at ``revision``: the latest decision per cell still valid there."""
    _record, mapping, number = load_domain_mapping(session, mapping_id, revision)
    decisions = session.scalars(
        select(Verification)
        .where(Verification.mapping_id == mapping_id, Verification.revision_number <= number)
        .order_by(Verification.id)
    ).all()
    items = []
    for row in mapping.rows:
        labels = row_labels(row)
        latest: dict[str, Verification] = {}
        for v in decisions:  # later ids overwrite earlier ones
            if v.source_id == row.source_id and v.row_labels == labels:
                latest[v.extra_label] = v
        cells = [
            CellState(
                extra_label=label,
                decision=latest[label].decision if label in latest else None,
                carried_over=label in latest and latest[label].revision_number < number,
                verification=VerificationRead.model_validate(latest[label])
                if label in latest
                else None,
            )
            for label in labels
        ]
        absent = [VerificationRead.model_validate(v) for k, v in latest.items() if k not in labels]
        items.append(
            RowVerification(
                source_id=row.source_id,
                source_name=row.source_name,
                state=_row_state(cells),
                cells=cells,
                absent=absent,
            )
        )
    return RevisionVerification(
        mapping_id=mapping_id, revision=number, items=items, total=len(items)
    )
