"""The shipped catalog: loads, resolves, and equals a fresh conversion of the reference."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
from ontolabel.domain.catalog import convert_reference, load_catalog, reference_lint_report
from ontolabel.domain.formats import FormatError
from ontolabel.domain.formats.native import dump_mapping
from ontolabel.domain.formats.reference import read_mapping_csv

from domain.factories import REPO, make_mapping, require_reference

CATALOG = REPO / "ontologies"


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_committed_catalog_equals_a_fresh_conversion(tmp_path: Path) -> None:
    # given the reference next to the repository
    src = require_reference()
    # when converted afresh
    convert_reference(src, tmp_path)
    # then every committed file is byte-identical and none is missing or extra
    fresh, committed = _tree(tmp_path), _tree(CATALOG)
    assert sorted(fresh) == sorted(committed)
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert changed == [], f"regenerate with: ontolabel convert-reference {src} ontologies"


def test_catalog_loads_and_every_mapping_resolves() -> None:
    catalog = load_catalog(CATALOG)
    assert len(catalog.mappings) == 49
    assert {"cityscapes-19", "mapillary-63", "mapillary-65", "offroad-34", "master-20"} <= set(
        catalog.taxonomies
    )
    assert len(catalog.taxonomies["cityscapes-19"]) == 19
    assert len(catalog.taxonomies["mapillary-65"]) == 65
    for entry in catalog.mappings:
        assert entry.name == f"{entry.extra_taxonomy}__{entry.source_taxonomy}"
        source = catalog.taxonomies[entry.source_taxonomy]
        assert [r.source_id for r in entry.mapping.source_rows] == source.ids


def test_catalog_rows_equal_the_reference_rows() -> None:
    # the mistake policy: the reference text is kept verbatim, cell for cell
    src = require_reference()
    catalog = {m.name: m.mapping for m in load_catalog(CATALOG).mappings}
    bdd = read_mapping_csv(
        (src / "datasets/ApolloScape/lists/master_labels_mapillary.csv").read_text(),
        extra_taxonomy="apolloscape",
        source_taxonomy="mapillary-63",
    ).mapping
    assert catalog["apolloscape__mapillary-63"] == bdd
    assert "rover " in bdd.rows[13].extra_labels  # stray space kept


def test_a_mapping_naming_an_unknown_taxonomy_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taxonomies").mkdir()
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "e__s.yaml").write_text(
        dump_mapping(make_mapping({"a": []}, extra="e", source="s"))
    )
    with pytest.raises(FormatError, match="extra_taxonomy 'e'"):
        load_catalog(tmp_path)


def test_license_is_shipped() -> None:
    src = require_reference()
    assert filecmp.cmp(src / "LICENSE", CATALOG / "LICENSE-data-priors", shallow=False)


def test_committed_lint_report_is_current() -> None:
    # docs/reference-lint.md is generated; a change in lint or the reference must regenerate it
    src = require_reference()
    committed = (REPO / "docs" / "reference-lint.md").read_text(encoding="utf-8")
    assert committed == reference_lint_report(src), (
        f"regenerate with: ontolabel lint-reference {src} -o docs/reference-lint.md"
    )
