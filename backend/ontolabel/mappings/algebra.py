"""Mapping algebra over stored revisions: the inverse (per extra label) view, and compose.

The algebra itself is ``domain.mapping`` (``inverse_view``, ``compose``); this reads the
revisions, names what cannot be chained, and saves a composition as a new mapping.
Services only flush.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ontolabel.core.users import User
from ontolabel.domain.mapping import compose, inverse_view
from ontolabel.errors import InvalidInput
from ontolabel.mappings import service
from ontolabel.mappings.schemas import (
    LabelViewRead,
    MappingComposition,
    MappingInverse,
    MappingRowSchema,
    RevisionRef,
)
from ontolabel.taxonomies import repository as taxonomy_repository


def inverse(session: Session, mapping_id: int, number: int | None = None) -> MappingInverse:
    """``allowed(e)`` for every extra label, unmapped ones included."""
    record, mapping, at = service.load_domain_mapping(session, mapping_id, number)
    extra = taxonomy_repository.load_domain_taxonomy(session, record.extra_taxonomy_id)
    assert extra is not None  # foreign key
    items = [
        LabelViewRead(
            label=v.label,
            source_ids=list(v.source_ids),
            source_names=list(v.source_names),
            void=v.void,
            unmapped=v.unmapped,
        )
        for v in inverse_view(mapping, extra.names)
    ]
    return MappingInverse(mapping_id=mapping_id, revision=at, items=items, total=len(items))


def compose_revisions(
    session: Session,
    first: RevisionRef,
    second: RevisionRef,
    *,
    name: str | None,
    message: str,
    user: User,
) -> tuple[MappingComposition, int | None]:
    """The composition of two revisions; saved as mapping ``name`` when given (its id too)."""
    _, a, a_at = service.load_domain_mapping(session, first.mapping_id, first.revision)
    _, b, b_at = service.load_domain_mapping(session, second.mapping_id, second.revision)
    if a.source_taxonomy != b.extra_taxonomy:
        raise InvalidInput(
            f"mapping {second.mapping_id} maps {b.extra_taxonomy!r}, not {a.source_taxonomy!r} "
            f"(the taxonomy mapping {first.mapping_id} maps onto): they do not chain",
            field="second",
        )
    composed = compose(a, b)
    created_id = None
    if name is not None:
        record = service.create_mapping(
            session,
            name=name,
            extra_taxonomy=composed.extra_taxonomy,
            source_taxonomy=composed.source_taxonomy,
            rows=composed.rows,
            message=message
            or f"compose mapping {first.mapping_id} r{a_at} with {second.mapping_id} r{b_at}",
            user=user,
            action="compose",
        )
        created_id = record.id
    findings = service.lint_draft(
        session,
        extra_taxonomy=composed.extra_taxonomy,
        source_taxonomy=composed.source_taxonomy,
        rows=composed.rows,
    ).findings
    result = MappingComposition(
        extra_taxonomy=composed.extra_taxonomy,
        source_taxonomy=composed.source_taxonomy,
        first=RevisionRef(mapping_id=first.mapping_id, revision=a_at),
        second=RevisionRef(mapping_id=second.mapping_id, revision=b_at),
        rows=[
            MappingRowSchema.model_construct(
                source_id=r.source_id, source_name=r.source_name, extra_labels=list(r.extra_labels)
            )
            for r in composed.rows
        ],
        findings=findings,
        mapping=service.get_mapping(session, created_id) if created_id is not None else None,
    )
    return result, created_id
