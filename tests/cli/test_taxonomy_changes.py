"""``ontolabel taxonomy merge|revert|changes`` over the embedded database."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from ontolabel.cli.database import open_database
from ontolabel.cli.main import cli
from ontolabel.core.db import session_scope
from ontolabel.core.users import User
from ontolabel.domain.mapping import MappingRow
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass
from ontolabel.mappings import service as mapping_service
from ontolabel.taxonomies import service as taxonomy_service

ROWS = (MappingRow(0, "flat", ("road", "sidewalk")), MappingRow(1, "car", ("car",)))


def _setup() -> None:
    _, factory = open_database()
    with session_scope(factory) as session:
        for name, kind, names in (
            ("ext", "extra", ["road", "sidewalk", "car"]),
            ("src", "source", ["flat", "car"]),
        ):
            classes = tuple(TaxonomyClass(i, n) for i, n in enumerate(names))
            taxonomy_service.create_taxonomy(
                session,
                Taxonomy(name, classes),
                kind=kind,
                user=User("t"),  # type: ignore[arg-type]
            )
        mapping_service.create_mapping(
            session,
            name="ext-to-src",
            extra_taxonomy="ext",
            source_taxonomy="src",
            rows=ROWS,
            message="",
            user=User("t"),
        )


def _rows() -> tuple[MappingRow, ...]:
    _, factory = open_database()
    with session_scope(factory) as session:
        return mapping_service.load_domain_mapping(session, 1)[1].rows


def test_merge_dry_run_apply_list_and_revert(cli_home: Path) -> None:
    # given a mapping of ext onto src
    _setup()
    runner = CliRunner()
    # when the merge is dry-run, it says what it touches and changes nothing
    dry = runner.invoke(
        cli, ["taxonomy", "merge", "ext", "road", "sidewalk", "--into", "ground", "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert "mapping ext-to-src (extra, r1): 2 cell(s), rows 0" in dry.output
    assert _rows() == ROWS
    # when applied, the mapping has a new revision and the change is listed
    applied = runner.invoke(
        cli, ["taxonomy", "merge", "ext", "road", "sidewalk", "--into", "ground"]
    )
    assert applied.exit_code == 0, applied.output
    assert "revision 1 -> 2" in applied.output and "ontolabel taxonomy revert 1" in applied.output
    assert _rows()[0].extra_labels == ("ground",)
    listed = runner.invoke(cli, ["taxonomy", "changes", "ext"])
    assert listed.output.startswith("1\tmerge\tcli\t")
    # when reverted, the rows are back
    reverted = runner.invoke(cli, ["taxonomy", "revert", "1"])
    assert reverted.exit_code == 0, reverted.output
    assert _rows() == ROWS
    # and a split's parts may name their ids
    split = runner.invoke(
        cli,
        [
            "taxonomy",
            "split",
            "src",
            "car",
            "--into",
            "car",
            "--into",
            "bus:7",
            "--dry-run",
            "--json",
        ],
    )
    assert split.exit_code == 0, split.output
    assert '"id": 7' in split.output and '"name": "bus"' in split.output
    # and refusals are one line, exit 1
    bad = runner.invoke(cli, ["taxonomy", "rename", "ext", "nope", "x"])
    assert bad.exit_code == 1 and "no class named 'nope'" in bad.output
