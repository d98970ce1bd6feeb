"""``ontolabel mapping compose|inverse`` on files (no database)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from ontolabel.cli.main import cli
from ontolabel.domain.formats.native import load_mapping

E_TO_S = "id,name\n0,x,a\n1,y,b\n255,void,c\n"
S_TO_T = "id,name\n0,p,x\n255,void,y\n"


def test_compose_two_csvs_into_a_file_and_stdout(tmp_path: Path) -> None:
    a, b = tmp_path / "master_labels_s.csv", tmp_path / "master_labels_t.csv"
    a.write_text(E_TO_S)
    b.write_text(S_TO_T)
    out = tmp_path / "e_to_t.yaml"
    result = CliRunner().invoke(
        cli, ["mapping", "compose", str(a), str(b), "--out", str(out), "--extra-name", "e"]
    )
    assert result.exit_code == 0, result.output
    composed = load_mapping(out.read_text())
    assert composed.extra_taxonomy == "e"
    assert [(r.source_id, r.extra_labels) for r in composed.rows] == [
        (0, ("a",)),
        (255, ("c", "b")),
    ]
    printed = CliRunner().invoke(cli, ["mapping", "compose", str(a), str(b), "--extra-name", "e"])
    assert printed.output == out.read_text()


def test_inverse_lists_labels_with_unmapped_ones(tmp_path: Path) -> None:
    mapping, labels = tmp_path / "master_labels_s.csv", tmp_path / "labels.csv"
    mapping.write_text(E_TO_S)
    labels.write_text("id,name\n0,a\n1,b\n2,c\n3,d\n")
    result = CliRunner().invoke(cli, ["mapping", "inverse", str(mapping), "--extra", str(labels)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["a\tx (0)", "b\ty (1)", "c\tvoid", "d\tunmapped"]


def test_a_reference_that_is_no_file_nor_stored_mapping_is_one_line(cli_home: Path) -> None:
    result = CliRunner().invoke(cli, ["mapping", "inverse", "no-such"])
    assert result.exit_code == 1 and "neither a file nor a stored mapping" in result.output
