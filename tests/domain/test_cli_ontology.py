"""``ontolabel lint`` and ``ontolabel convert`` on files the tests write, and on the reference."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from ontolabel.cli.main import cli
from ontolabel.domain.catalog import load_catalog
from ontolabel.domain.formats.reference import read_labels_csv, read_mapping_csv

from domain.factories import labels_for, reference_mapping_files, require_reference

LABELS = "0,name,id,trainId\n0,road,0,0\n1,sidewalk,1,1\n2,traffic light,2,2\n3,unlabeled,3,255\n"
GOOD = "id,name\n0,road,road\n1,sidewalk,sidewalk\n2,light,traffic light\n255,void,unlabeled\n"
BAD = "id,name\n0,road,Road\n1,sidewalk,sidewalk\n2,light,traffic light\n255,void,unlabeled\n"


def _write(tmp_path: Path, **files: str) -> dict[str, Path]:
    paths = {}
    for name, text in files.items():
        path = tmp_path / name.replace("_csv", ".csv")
        path.write_text(text, encoding="utf-8")
        paths[name] = path
    return paths


def test_lint_clean_mapping_exits_0(tmp_path: Path) -> None:
    p = _write(tmp_path, labels_csv=LABELS, good_csv=GOOD)
    result = CliRunner().invoke(cli, ["lint", str(p["good_csv"]), "--extra", str(p["labels_csv"])])
    assert result.exit_code == 0, result.output


def test_lint_names_the_bad_cell_and_exits_1(tmp_path: Path) -> None:
    # given a mapping with 'Road' for 'road'
    p = _write(tmp_path, labels_csv=LABELS, bad_csv=BAD)
    # when linted
    result = CliRunner().invoke(cli, ["lint", str(p["bad_csv"]), "--extra", str(p["labels_csv"])])
    # then exit 1 and a line file:line:col naming the cell and the right name
    assert result.exit_code == 1
    assert (
        f"{p['bad_csv']}:2:3: error unknown-label row 0 (road): 'Road' is not a label of "
        "'labels' (did you mean 'road'?)"
    ) in result.output
    # and the road label, no longer named anywhere, is an unmapped-label error too
    assert "unmapped-label" in result.output


def test_lint_json(tmp_path: Path) -> None:
    p = _write(tmp_path, labels_csv=LABELS, bad_csv=BAD)
    result = CliRunner().invoke(
        cli, ["lint", str(p["bad_csv"]), "--extra", str(p["labels_csv"]), "--json"]
    )
    findings = json.loads(result.output)
    assert result.exit_code == 1
    assert findings[0] == {
        "severity": "error",
        "code": "unknown-label",
        "message": "row 0 (road): 'Road' is not a label of 'labels'",
        "row": 0,
        "column": 3,
        "line": 2,
        "suggestion": "road",
    }


def test_lint_with_source_taxonomy(tmp_path: Path) -> None:
    p = _write(
        tmp_path, labels_csv=LABELS, good_csv=GOOD, source_csv="id,name\n0,road\n1,sidewalk\n"
    )
    result = CliRunner().invoke(
        cli,
        [
            "lint",
            str(p["good_csv"]),
            "--extra",
            str(p["labels_csv"]),
            "--source",
            str(p["source_csv"]),
        ],
    )
    assert result.exit_code == 1
    assert "unknown-source-class" in result.output


def test_unreadable_file_exits_2_naming_the_line(tmp_path: Path) -> None:
    p = _write(tmp_path, labels_csv=LABELS, dup_csv="id,name\n0,a,road\n0,b,road\n")
    result = CliRunner().invoke(cli, ["lint", str(p["dup_csv"]), "--extra", str(p["labels_csv"])])
    assert result.exit_code == 2
    assert f"{p['dup_csv']}:3: duplicate source class id 0" in result.output


def test_convert_mapping_and_taxonomy_both_ways(tmp_path: Path) -> None:
    # given a labels.csv and a mapping CSV
    p = _write(tmp_path, labels_csv=LABELS, good_csv=GOOD)
    runner = CliRunner()
    # when each goes to YAML and back
    for args in (
        ["convert", str(p["labels_csv"]), "-o", str(tmp_path / "t.yaml"), "--name", "bdd"],
        ["convert", str(tmp_path / "t.yaml"), "-o", str(tmp_path / "t.csv")],
        [
            "convert",
            str(p["good_csv"]),
            "--extra",
            str(tmp_path / "t.yaml"),
            "-o",
            str(tmp_path / "m.yaml"),
        ],
        ["convert", str(tmp_path / "m.yaml"), "-o", str(tmp_path / "m.csv")],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, (args, result.output)
    # then the content is the same, and the native mapping names its extra taxonomy
    assert "extra_taxonomy: bdd" in (tmp_path / "m.yaml").read_text()
    assert read_labels_csv((tmp_path / "t.csv").read_text(), name="bdd") == read_labels_csv(
        LABELS, name="bdd"
    )
    again = read_mapping_csv(
        (tmp_path / "m.csv").read_text(), extra_taxonomy="bdd", source_taxonomy="s"
    )
    assert (
        again.mapping == read_mapping_csv(GOOD, extra_taxonomy="bdd", source_taxonomy="s").mapping
    )


def test_lint_native_mapping_finds_its_taxonomies_in_the_catalog() -> None:
    catalog = Path(__file__).resolve().parents[2] / "ontologies"
    result = CliRunner().invoke(
        cli, ["lint", str(catalog / "mappings" / "bdd__cityscapes-19.yaml")]
    )
    assert result.exit_code == 0, result.output


def test_every_reference_file_lints_and_round_trips(tmp_path: Path) -> None:
    # given all 49 reference mappings
    require_reference()
    runner = CliRunner()
    failing = []
    for path in reference_mapping_files():
        labels = labels_for(path)
        # when linted
        result = runner.invoke(cli, ["lint", str(path), "--extra", str(labels), "--json"])
        assert result.exit_code in (0, 1), (path, result.output)
        findings = json.loads(result.output)
        unknown = [f for f in findings if f["code"] == "unknown-label"]
        # then exit 1 exactly when a cell names a label the taxonomy lacks (or one is unmapped)
        errors = [f for f in findings if f["severity"] == "error"]
        assert (result.exit_code == 1) == bool(errors), path
        for f in unknown:
            assert f["line"] and f["column"] and f["message"]
        if unknown:
            failing.append(path)
        # and convert → back reproduces every row
        native, back = tmp_path / "m.yaml", tmp_path / "m.csv"
        assert (
            runner.invoke(
                cli, ["convert", str(path), "--extra", str(labels), "-o", str(native)]
            ).exit_code
            == 0
        )
        assert runner.invoke(cli, ["convert", str(native), "-o", str(back)]).exit_code == 0
        original = read_mapping_csv(path.read_text(), extra_taxonomy="e", source_taxonomy="s")
        converted = read_mapping_csv(back.read_text(), extra_taxonomy="e", source_taxonomy="s")
        assert converted.mapping.rows == original.mapping.rows, path
    assert {p.parent.parent.name for p in failing} == {"CamVid", "a2d2", "coco", "god", "goose2d"}


def test_reference_mistakes_get_the_right_suggestion() -> None:
    # given coco's mapillary mapping, with a capitalised name and two names run together
    src = require_reference()
    path = src / "datasets/coco/lists/master_labels_mapillary.csv"
    # when linted
    result = CliRunner().invoke(cli, ["lint", str(path), "--extra", str(labels_for(path))])
    # then both cells are named with the fix
    assert result.exit_code == 1
    assert f"{path}:36:3: error unknown-label" in result.output
    assert "(did you mean 'building-other-merged'?)" in result.output
    assert f"{path}:46:4: error unknown-label" in result.output
    assert "(did you mean 'tree-merged, void'?)" in result.output


def test_reference_typo_gets_a_suggestion(tmp_path: Path) -> None:
    # given a reference-style mapping with a label run together with its neighbour
    p = _write(
        tmp_path,
        labels_csv=LABELS,
        typo_csv="id,name\n0,road,road sidewalk\n2,light,trafic light\n255,void,unlabeled\n",
    )
    result = CliRunner().invoke(cli, ["lint", str(p["typo_csv"]), "--extra", str(p["labels_csv"])])
    assert "(did you mean 'road, sidewalk'?)" in result.output
    assert "(did you mean 'traffic light'?)" in result.output


def test_convert_kind_overrides_the_guess(tmp_path: Path) -> None:
    # given a two-column labels file, which reads like a mapping without labels
    p = _write(tmp_path, plain_csv="id,name\n0,road\n1,sky\n")
    out = tmp_path / "plain.yaml"
    # when converted as a taxonomy
    result = CliRunner().invoke(
        cli, ["convert", str(p["plain_csv"]), "-o", str(out), "--kind", "taxonomy"]
    )
    # then it is one
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("kind: taxonomy\nname: plain\n")


def test_convert_csv_mapping_needs_its_extra_taxonomy(tmp_path: Path) -> None:
    # given a mapping CSV, which does not say which taxonomy its cells name
    p = _write(tmp_path, good_csv=GOOD)
    out = tmp_path / "m.yaml"
    runner = CliRunner()
    # when converted without --extra: refused, nothing written
    refused = runner.invoke(cli, ["convert", str(p["good_csv"]), "-o", str(out)])
    assert refused.exit_code == 2 and "--extra" in refused.output
    assert not out.exists()
    # when the extra taxonomy is named: converted under that name
    named = runner.invoke(
        cli, ["convert", str(p["good_csv"]), "--extra-name", "bdd", "-o", str(out)]
    )
    assert named.exit_code == 0, named.output
    assert "extra_taxonomy: bdd" in out.read_text()
    # and the native file converts back without --extra: it names its taxonomies
    back = runner.invoke(cli, ["convert", str(out), "-o", str(tmp_path / "m.csv")])
    assert back.exit_code == 0, back.output


def test_convert_reference_writes_the_whole_catalog(tmp_path: Path) -> None:
    # given the reference data-priors folder
    src = require_reference()
    # when the catalog is regenerated into an empty folder
    result = CliRunner().invoke(cli, ["convert-reference", str(src), str(tmp_path)])
    # then every taxonomy, mapping and the licence is written, and it loads
    assert result.exit_code == 0, result.output
    assert "wrote 78 files" in result.output
    assert len(load_catalog(tmp_path).mappings) == 49


def test_convert_reads_and_writes_labels_py_and_mseg_tsv(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("id,name,trainId\n0,road,0\n1,car,1\n")
    py, back = tmp_path / "labels.py", tmp_path / "back.yaml"
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["convert", str(labels), "-o", str(py), "--kind", "taxonomy"]).exit_code
        == 0
    )
    assert "Label('car', 1, 1, None" in py.read_text()
    assert runner.invoke(cli, ["convert", str(py), "-o", str(back)]).exit_code == 0
    assert "- {id: 1, name: car, train_id: 1" in back.read_text()
    master = tmp_path / "master.tsv"
    master.write_text(
        "Parent Category\tcity-2\tuniversal\n\troad\tflat\n\t{car, van}\tvehicle\n"
        "\tsky\tunlabeled\n"
    )
    column = tmp_path / "city.csv"
    result = runner.invoke(
        cli, ["convert", str(master), "-o", str(column), "--extra-name", "city-2"]
    )
    assert result.exit_code == 0, result.output
    assert column.read_text() == "id,name\n0,flat,road\n1,vehicle,car,van\n255,void,sky\n"
    pairwise = tmp_path / "city_to_universal.tsv"
    assert (
        runner.invoke(
            cli, ["convert", str(column), "-o", str(pairwise), "--extra-name", "c"]
        ).exit_code
        == 0
    )
    assert pairwise.read_text().splitlines()[1:] == [
        "road\tflat",
        "car\tvehicle",
        "van\tvehicle",
        "sky\tunlabeled",
    ]
