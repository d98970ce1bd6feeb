"""Native YAML: exact round trips (property tests) and errors that name the line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ontolabel.domain.formats import FormatError
from ontolabel.domain.formats.native import (
    dump_mapping,
    dump_taxonomy,
    load_mapping,
    load_mapping_with_lines,
    load_taxonomy,
)
from ontolabel.domain.formats.reference import read_mapping_csv, write_mapping_csv
from ontolabel.domain.mapping import Mapping, MappingRow
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass

# Names as people write them: spaces at either end, YAML look-alikes, unicode, quotes
# (never blank, never a control character: those are refused, see formats/test_bounds.py).
printable = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12)
names = st.one_of(
    printable.filter(str.strip),
    st.sampled_from(["null", "True", "no", "1", "-", "a: b", "#x", " road ", "'", '"', "ü"]),
)
optional_ints = st.one_of(st.none(), st.integers(-1, 300))
classes = st.builds(
    TaxonomyClass,
    id=st.integers(-1, 1000),
    name=names,
    train_id=optional_ints,
    color=st.one_of(st.none(), st.from_regex(r"#[0-9a-f]{6}", fullmatch=True)),
    category=st.one_of(st.none(), names),
    ignore=st.booleans(),
    file_cells=st.lists(
        st.tuples(names, st.text(max_size=8)), max_size=3, unique_by=lambda p: p[0]
    ).map(tuple),
)
taxonomies = st.builds(
    Taxonomy,
    name=names,
    classes=st.lists(classes, max_size=8, unique_by=lambda c: c.id).map(tuple),
    description=st.text(max_size=20),
    file_columns=st.lists(names, max_size=4).map(tuple),
)
rows = st.builds(
    MappingRow,
    source_id=st.integers(0, 255),
    source_name=names,
    extra_labels=st.lists(st.one_of(names, printable), max_size=5).map(tuple),
)
mappings = st.builds(
    Mapping,
    extra_taxonomy=names,
    source_taxonomy=names,
    rows=st.lists(rows, min_size=1, max_size=6, unique_by=lambda r: r.source_id).map(tuple),
)


@settings(max_examples=150, deadline=None)
@given(taxonomies)
def test_taxonomy_round_trip_is_exact(t: Taxonomy) -> None:
    text = dump_taxonomy(t)
    loaded = load_taxonomy(text)
    assert loaded == t
    assert (loaded.description, loaded.classes) == (t.description, t.classes)
    assert dump_taxonomy(loaded) == text


@settings(max_examples=150, deadline=None)
@given(mappings)
def test_mapping_round_trip_is_exact(m: Mapping) -> None:
    text = dump_mapping(m)
    assert load_mapping(text) == m
    assert dump_mapping(load_mapping(text)) == text


@settings(max_examples=100, deadline=None)
@given(mappings)
def test_mapping_survives_reference_csv_when_cells_are_csv_safe(m: Mapping) -> None:
    # given cells the CSV format can carry (non-blank; newlines excluded by the format)
    safe = all(
        label.strip() and "\n" not in label and "\r" not in label
        for r in m.rows
        for label in r.extra_labels
    ) and all(r.source_name.strip() and not set("\r\n") & set(r.source_name) for r in m.rows)
    if not safe:
        return
    # when written as CSV and read back
    parsed = read_mapping_csv(
        write_mapping_csv(m), extra_taxonomy=m.extra_taxonomy, source_taxonomy=m.source_taxonomy
    )
    # then the mapping is the same
    assert parsed.mapping == m


def test_comment_header_is_ignored() -> None:
    t = Taxonomy("x", (TaxonomyClass(0, "road"),))
    assert load_taxonomy("# licence notice\n" + dump_taxonomy(t)) == t


def test_row_lines_point_at_the_labels() -> None:
    m = Mapping("e", "s", (MappingRow(0, "road", ("a",)), MappingRow(1, "sky", ())))
    _, lines = load_mapping_with_lines(dump_mapping(m))
    assert lines == (7, 10)


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("kind: taxonomy\nname: x\nclasses:\n- {id: 0, name: a}\n- {id: 0, name: b}\n", 5, "id"),
        ("kind: taxonomy\nname: x\nclasses:\n- {id: zero, name: a}\n", 4, "id"),
        ("kind: taxonomy\nname: x\nclasses:\n- {id: 0, name: a, colour: red}\n", 4, "colour"),
        ("kind: taxonomy\nname: x\nclasses:\n- {id: 0}\n", 4, "name"),
        ("kind: mapping\nname: x\n", 1, "kind"),
        ("kind: taxonomy\nname: [x\n", 3, None),
    ],
)
def test_taxonomy_errors_name_line_and_field(text: str, line: int, field: str | None) -> None:
    with pytest.raises(FormatError) as caught:
        load_taxonomy(text, source="t.yaml")
    assert (caught.value.line, caught.value.field) == (line, field)
    assert "t.yaml:" in caught.value.message


def test_mapping_duplicate_row_is_an_error() -> None:
    text = (
        "kind: mapping\nextra_taxonomy: e\nsource_taxonomy: s\nrows:\n"
        "- {id: 0, name: a, extra: [x]}\n- {id: 0, name: b}\n"
    )
    with pytest.raises(FormatError) as caught:
        load_mapping(text, source="m.yaml")
    assert (caught.value.line, caught.value.field) == (6, "id")
