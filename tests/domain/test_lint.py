"""Lint findings: what is wrong, where, and the likely fix."""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any

import pytest
from ontolabel.domain.formats.reference import read_mapping_csv
from ontolabel.domain.lint import (
    SUGGEST_MAX,
    Finding,
    lint_mapping,
    lint_source_consistency,
    suggestion_hint,
)
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass

from domain.factories import make_mapping, make_taxonomy, source_taxonomy

EXTRA = make_taxonomy(
    ["road", "sidewalk", "traffic light", "car", "truck", "unlabeled"], name="bdd"
)


def _codes(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.severity, f.code) for f in findings]


def _only(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


def _lint_csv(text: str) -> list[Finding]:
    parsed = read_mapping_csv(text, extra_taxonomy="bdd", source_taxonomy="cs", source="m.csv")
    return lint_mapping(parsed.mapping, EXTRA, parsed.source, cells=parsed.cells)


def test_clean_mapping_has_no_findings() -> None:
    mapping = make_mapping(
        {"road": ["road", "sidewalk"], "light": ["traffic light"], "car": ["car", "truck"]},
        void=["unlabeled"],
    )
    assert lint_mapping(mapping, EXTRA, source_taxonomy(mapping)) == []


def test_unknown_cells_get_the_closest_name_and_position() -> None:
    # given a case slip, a typo, two names run together and a name with no near match
    text = (
        "id,name\n"
        "0,road,Road,sidewalk\n"
        "1,light,trafic light\n"
        "2,car,car truck\n"
        "255,void,unlabeled,zeppelin\n"
    )
    # when linted
    findings = _only(_lint_csv(text), "unknown-label")
    # then each cell is an error at its line and column with the suggestion
    assert [(f.line, f.column, f.suggestion) for f in findings] == [
        (2, 3, "road"),
        (3, 3, "traffic light"),
        (4, 3, "car, truck"),
        (5, 4, None),
    ]
    assert all(f.severity == "error" for f in findings)
    assert "comma may be missing" in findings[2].message


def test_stray_spaces_are_info_because_they_still_match() -> None:
    findings = _lint_csv(
        "id,name\n0,road, road ,sidewalk\n1,x,traffic light\n2,c,car,truck\n255,void,unlabeled\n"
    )
    assert _codes(findings) == [("info", "stray-whitespace")]
    assert (findings[0].line, findings[0].column, findings[0].suggestion) == (2, 3, "road")


def test_unmapped_extra_label_is_an_error_per_rule_3() -> None:
    mapping = make_mapping(
        {"road": ["road", "sidewalk"], "car": ["car", "truck"]}, void=["unlabeled"]
    )
    findings = lint_mapping(mapping, EXTRA)
    assert _codes(findings) == [("error", "unmapped-label")]
    assert "'traffic light'" in findings[0].message and "255" in findings[0].message


def test_negative_ids_unmapped_are_only_info() -> None:
    extra = make_taxonomy(["plate"], start=-1)
    assert _codes(lint_mapping(make_mapping({"car": []}), extra)) == [
        ("info", "unused-source-class"),
        ("info", "unmapped-label"),
        ("info", "label-id-range"),
    ]


def test_duplicate_cell_and_empty_row() -> None:
    mapping = make_mapping(
        {
            "road": ["road", "sidewalk", "road"],
            "light": ["traffic light"],
            "car": ["car", "truck"],
            "train": [],
        },
        void=["unlabeled"],
    )
    findings = lint_mapping(mapping, EXTRA)
    assert _codes(findings) == [("warning", "duplicate-cell"), ("info", "unused-source-class")]
    assert findings[0].row == 0 and findings[0].column == 5
    assert findings[1].row == 3


def test_rows_against_a_given_source_taxonomy() -> None:
    # given a source taxonomy with classes 0..2
    source = make_taxonomy(["road", "light", "car"], name="cs")
    mapping = make_mapping(
        {"road": ["road", "sidewalk"], "lights": ["traffic light"], "car": ["car"], "x": ["truck"]},
        void=["unlabeled"],
    )
    # when linted with it
    findings = lint_mapping(mapping, EXTRA, source)
    # then the extra row is an error and the renamed row a warning with the right name
    assert _codes(findings) == [
        ("error", "unknown-source-class"),
        ("warning", "source-name-mismatch"),
    ]
    assert findings[0].row == 3
    assert findings[1].suggestion == "light"


def test_missing_source_row_is_a_warning() -> None:
    source = make_taxonomy(["road", "car"], name="cs")
    mapping = make_mapping(
        {"road": ["road", "sidewalk", "traffic light", "car", "truck"]}, void=["unlabeled"]
    )
    assert _codes(lint_mapping(mapping, EXTRA, source)) == [("warning", "missing-source-row")]


def test_ambiguous_extra_name_is_a_warning() -> None:
    extra = make_taxonomy(["Bicyclist", "Bicyclist"])
    findings = lint_mapping(make_mapping({"rider": ["Bicyclist"]}), extra)
    assert _codes(findings) == [("warning", "ambiguous-label")]


def test_source_consistency_flags_the_odd_mapping_out() -> None:
    # given three mappings onto "cs", one of which renames and adds a class
    a = make_mapping({"road": [], "car": []}, source="cs")
    b = make_mapping({"road": [], "car": []}, source="cs")
    c = make_mapping({"road": [], "cars": [], "bus": []}, source="cs")
    other = make_mapping({"x": []}, source="other")
    # when compared
    findings = lint_source_consistency([("a", a), ("b", b), ("c", c), ("o", other)])
    # then only c is reported, with what differs
    assert len(findings) == 1
    assert findings[0].code == "source-inconsistent" and findings[0].message.startswith("c:")
    assert "adds" in findings[0].message and "renames" in findings[0].message


def test_unmapped_label_suggests_a_row_by_its_last_name_part() -> None:
    # given a Mapillary-style source row and an extra label named like its last part
    extra = make_taxonomy(["boat"])
    mapping = make_mapping({"object--vehicle--boat": []})
    # when linted
    (unmapped,) = [f for f in lint_mapping(mapping, extra) if f.code == "unmapped-label"]
    # then the row is suggested, and shown as a row, not as a spelling
    assert unmapped.suggestion == "object--vehicle--boat"
    assert suggestion_hint(unmapped) == " (closest row: 'object--vehicle--boat')"


def test_ids_a_label_png_cannot_hold_are_reported() -> None:
    # given extra ids beyond 8 bits, beyond 16 bits and negative, all mapped, and a
    # source class a uint8 pseudo-label cannot hold
    extra = Taxonomy(
        "wide",
        (
            TaxonomyClass(7, "road"),
            TaxonomyClass(300, "lane"),
            TaxonomyClass(70000, "far"),
            TaxonomyClass(-1, "plate"),
        ),
    )
    mapping = make_mapping({"road": ["road", "lane", "far"], "car": ["plate"]})
    source = Taxonomy("src", (TaxonomyClass(0, "road"), TaxonomyClass(256, "car")))
    mapping = dataclasses.replace(
        mapping, rows=(mapping.rows[0], dataclasses.replace(mapping.rows[1], source_id=256))
    )
    # when linted
    linted = lint_mapping(mapping, extra, source)
    findings = _only(linted, "label-id-range")
    # then each says what holds it, or that nothing does, and nothing fails
    about = {name: [f for f in findings if repr(name) in f.message] for name in extra.names}
    assert len(findings) == 3 and about["road"] == []
    (lane,), (far,), (plate,) = about["lane"], about["far"], about["plate"]
    assert lane.severity == "info" and "16-bit" in lane.message
    assert far.severity == "info" and "no label PNG" in far.message
    assert plate.severity == "info" and "no label PNG" in plate.message
    (car,) = _only(linted, "source-id-range")
    assert (car.severity, car.row) == ("error", 1)
    assert "'car'" in car.message and "pseudo-label" in car.message


def _record_close_matches(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every (word, longest candidate) lint hands to difflib, which then runs as usual."""
    calls: list[tuple[str, int]] = []
    real = difflib.get_close_matches

    def recording(word: str, candidates: Any, *args: Any, **kwargs: Any) -> list[str]:
        calls.append((word, max(map(len, candidates), default=0)))
        return real(word, candidates, *args, **kwargs)

    monkeypatch.setattr(difflib, "get_close_matches", recording)
    return calls


def test_a_very_long_cell_is_compared_to_no_name(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a cell of 20,000 characters among ordinary ones
    calls = _record_close_matches(monkeypatch)
    long_cell = "car " * 5000
    mapping = make_mapping({"road": ["road", long_cell], "car": ["car", "truck", "tuck"]})
    # when linted
    findings = _only(lint_mapping(mapping, EXTRA), "unknown-label")
    # then both unknown cells are reported, only the short one got a suggestion, and
    # difflib never saw a word more than twice the longest name it was compared with
    assert [f.suggestion for f in findings] == [None, "truck"]
    assert calls and all(len(word) <= 2 * longest for word, longest in calls)


def test_close_match_lookups_are_rationed_per_lint(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a draft of 3,000 distinct unknown cells, each twice, and 3,000 unmapped labels
    calls = _record_close_matches(monkeypatch)
    extra = make_taxonomy([f"label {i}" for i in range(3000)])
    cells = [f"zz{i}" for i in range(3000)]
    mapping = make_mapping({"road": cells + cells})
    # when linted
    findings = lint_mapping(mapping, extra)
    # then every cell and label is reported, but difflib ran at most SUGGEST_MAX times
    assert len(_only(findings, "unknown-label")) == 6000
    assert len(_only(findings, "unmapped-label")) == 3000
    assert 0 < len(calls) <= SUGGEST_MAX
