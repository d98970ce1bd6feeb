"""Load the shipped catalog (``ontologies/``) into the database, idempotently.

A second load of the same files changes nothing (no revision, no audit event); a
changed mapping file becomes a new revision with the message ``catalog load``; a
changed taxonomy file bumps that taxonomy's version. Runs in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ontolabel.core.users import User
from ontolabel.core.writes import start_write
from ontolabel.domain.catalog import Catalog
from ontolabel.domain.taxonomy import Taxonomy
from ontolabel.errors import Conflict
from ontolabel.mappings import repository, service
from ontolabel.taxonomies import repository as taxonomy_repository
from ontolabel.taxonomies import service as taxonomy_service
from ontolabel.taxonomies.schemas import TaxonomyKind

CATALOG_MESSAGE = "catalog load"


@dataclass
class CatalogLoadReport:
    """What a load did, by name."""

    created_taxonomies: list[str] = field(default_factory=list)
    updated_taxonomies: list[str] = field(default_factory=list)
    created_mappings: list[str] = field(default_factory=list)
    revised_mappings: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.created_taxonomies
            or self.updated_taxonomies
            or self.created_mappings
            or self.revised_mappings
        )


def load_catalog_into_db(session: Session, catalog: Catalog, user: User) -> CatalogLoadReport:
    """Create or update every taxonomy and mapping of ``catalog``; flush only."""
    start_write(session)
    report = CatalogLoadReport()
    sources = {m.source_taxonomy for m in catalog.mappings}
    for name, taxonomy in sorted(catalog.taxonomies.items()):
        kind: TaxonomyKind = "source" if name in sources else "extra"
        _load_taxonomy(session, taxonomy, kind, user, report)
    for entry in sorted(catalog.mappings, key=lambda m: m.name):
        existing = repository.get_mapping_by_name(session, entry.name)
        if existing is None:
            service.create_mapping(
                session,
                name=entry.name,
                extra_taxonomy=entry.extra_taxonomy,
                source_taxonomy=entry.source_taxonomy,
                rows=entry.mapping.rows,
                message=CATALOG_MESSAGE,
                user=user,
                action="catalog-load",
            )
            report.created_mappings.append(entry.name)
            continue
        record, head, at = service.load_domain_mapping(session, existing.id)
        if (head.extra_taxonomy, head.source_taxonomy) != (
            entry.extra_taxonomy,
            entry.source_taxonomy,
        ):
            raise Conflict(
                f"mapping {entry.name!r} in the database maps {head.extra_taxonomy!r} onto "
                f"{head.source_taxonomy!r}, the catalog file {entry.extra_taxonomy!r} onto "
                f"{entry.source_taxonomy!r}; rename one of them",
                field="name",
            )
        if service.rows_to_content(head.rows) == service.rows_to_content(entry.mapping.rows):
            report.unchanged.append(entry.name)
            continue
        service.save_mapping(
            session,
            record.id,
            base_revision=at,
            rows=entry.mapping.rows,
            message=CATALOG_MESSAGE,
            user=user,
        )
        report.revised_mappings.append(entry.name)
    return report


def _load_taxonomy(
    session: Session,
    taxonomy: Taxonomy,
    kind: TaxonomyKind,
    user: User,
    report: CatalogLoadReport,
) -> None:
    record = taxonomy_repository.get_taxonomy_by_name(session, taxonomy.name)
    if record is None:
        taxonomy_service.create_taxonomy(
            session, taxonomy, kind=kind, user=user, action="catalog-load"
        )
        report.created_taxonomies.append(taxonomy.name)
        return
    stored = taxonomy_service.domain_taxonomy(session, record)
    if (stored.classes, stored.description, stored.file_columns, record.kind) == (
        taxonomy.classes,
        taxonomy.description,
        taxonomy.file_columns,
        kind,
    ):
        report.unchanged.append(taxonomy.name)
        return
    change = taxonomy_service.TaxonomyChange(
        version=record.version,
        kind=kind,
        description=taxonomy.description,
        classes=taxonomy.classes,
        file_columns=taxonomy.file_columns,
    )
    taxonomy_service.update_taxonomy(session, record.id, change, user=user)
    report.updated_taxonomies.append(taxonomy.name)
