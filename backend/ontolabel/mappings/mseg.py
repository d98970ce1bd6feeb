"""An MSeg master TSV of a stored taxonomy: its classes and every mapping onto it.

It lives with the mappings because a master file is a universal taxonomy *plus* the
mappings of each dataset onto it (``domain.formats.mseg``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ontolabel.core.exports import Exported, safe_filename
from ontolabel.domain.formats.mseg import write_mseg_master
from ontolabel.errors import InvalidInput, NotFound
from ontolabel.mappings import service
from ontolabel.taxonomies import repository as taxonomy_repository


def export_master(session: Session, taxonomy_id: int) -> Exported:
    """The taxonomy as the ``universal`` column, one column per (unarchived) mapping onto it."""
    universal = taxonomy_repository.load_domain_taxonomy(session, taxonomy_id)
    if universal is None:
        raise NotFound(f"taxonomy {taxonomy_id} does not exist", field="taxonomy_id")
    listed, _ = service.list_mappings(session, source_taxonomy_id=taxonomy_id, limit=100_000)
    mappings = [service.load_domain_mapping(session, m.id)[1] for m in listed]
    columns = [m.extra_taxonomy for m in mappings]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise InvalidInput(
            f"several mappings of {', '.join(map(repr, repeated))} onto {universal.name!r}: a "
            "master TSV has one column per dataset; archive all but one",
            field="format",
        )
    text = write_mseg_master(universal, mappings)
    return Exported(
        text, f"{safe_filename(universal.name)}.master.tsv", "text/tab-separated-values"
    )
