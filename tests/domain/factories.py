"""Builders for taxonomies and mappings, and the location of the reference files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from ontolabel.domain.mapping import Mapping, MappingRow
from ontolabel.domain.taxonomy import VOID_ID, Taxonomy, TaxonomyClass

REPO = Path(__file__).resolve().parents[2]
# A verbatim copy of the published files (BSD-3, see its LICENSE), so a clean checkout
# tests against the real mistakes without the shared folder beside it.
DATA_PRIORS = REPO / "tests" / "data" / "data-priors"
REFERENCE_DATASETS = DATA_PRIORS / "datasets"


def require_reference() -> Path:
    """The data-priors folder (vendored under ``tests/data``)."""
    if not (REFERENCE_DATASETS / "BDD" / "lists" / "labels.csv").is_file():
        pytest.skip(f"reference data-priors not found at {DATA_PRIORS}")
    return DATA_PRIORS


def reference_mapping_files() -> list[Path]:
    return sorted(REFERENCE_DATASETS.glob("*/lists/master_labels*.csv"))


def labels_for(mapping_file: Path) -> Path:
    """The labels.csv a reference mapping file names its cells from."""
    name = "labels_old.csv" if mapping_file.stem.endswith("_old") else "labels.csv"
    return mapping_file.parent / name


def make_taxonomy(names: Sequence[str], *, name: str = "extra", start: int = 0) -> Taxonomy:
    """Classes with ids ``start, start+1, …`` in the order given."""
    return Taxonomy(
        name=name,
        classes=tuple(TaxonomyClass(id=start + i, name=n) for i, n in enumerate(names)),
    )


def make_mapping(
    rows: dict[str, Sequence[str]],
    *,
    void: Sequence[str] | None = None,
    extra: str = "extra",
    source: str = "source",
) -> Mapping:
    """Source classes get ids 0.. in dict order; ``void`` adds the 255 row."""
    built = [MappingRow(i, name, tuple(labels)) for i, (name, labels) in enumerate(rows.items())]
    if void is not None:
        built.append(MappingRow(VOID_ID, "void", tuple(void)))
    return Mapping(extra_taxonomy=extra, source_taxonomy=source, rows=tuple(built))


def source_taxonomy(mapping: Mapping) -> Taxonomy:
    return Taxonomy(
        name=mapping.source_taxonomy,
        classes=tuple(TaxonomyClass(r.source_id, r.source_name) for r in mapping.source_rows),
    )
