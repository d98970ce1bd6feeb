"""Reference CSV reading and writing: tolerant of the real files, strict on real errors."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ontolabel.domain.formats import FormatError, decode_text
from ontolabel.domain.formats.reference import (
    ParsedMapping,
    read_labels_csv,
    read_mapping_csv,
    write_labels_csv,
    write_mapping_csv,
)
from ontolabel.domain.mapping import Mapping, MappingRow
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass
from ontolabel.errors import InvalidInput

from domain.factories import labels_for, reference_mapping_files, require_reference


def _mapping(text: str) -> ParsedMapping:
    return read_mapping_csv(
        text, extra_taxonomy="bdd", source_taxonomy="cityscapes", source="m.csv"
    )


def test_labels_csv_with_reference_header_reads_id_column_and_flags() -> None:
    # given the reference header, a negative id and an ignoreInEval flag
    text = (
        "0,name,id,trainId,category,categoryId,hasInstances,ignoreInEval,color\n"
        "0,unlabeled,0,255,void,0,False,True,#000000\n"
        "1,others ,7,,,,,,\n"
        "2,license plate,-1,-1,vehicle,7,False,True,#00008e\n"
    )
    # when read
    t = read_labels_csv(text, name="kitti")
    # then ids come from the id column, names are stripped, blanks become None
    assert t.ids == [0, 7, -1]
    assert t.names == ["unlabeled", "others", "license plate"]
    assert t.by_id(0) is not None and t.by_id(0).ignore and t.by_id(0).train_id == 255
    assert t.by_id(7) is not None and t.by_id(7).train_id is None and t.by_id(7).color is None


@pytest.mark.parametrize("header", ["id,name", "trainId,name", ",name", "\ufeffid,name"])
def test_labels_csv_header_variants_use_first_column_as_id(header: str) -> None:
    t = read_labels_csv(f"{header}\n3,road\n\n5, sky ,\n", name="x")
    assert [(c.id, c.name) for c in t] == [(3, "road"), (5, "sky")]


def test_labels_csv_without_header() -> None:
    assert read_labels_csv("0,road\n1,sky\n", name="x").names == ["road", "sky"]


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("id,name\n0,road\n0,sky\n", 3, "id"),
        ("id,name\n0,road\nx,sky\n", 3, "id"),
        ("id,name\n0,road\n1,\n", 3, "name"),
        ('id,name\n0,"road\n', 2, None),
    ],
)
def test_labels_csv_errors_name_file_line_and_field(
    text: str, line: int, field: str | None
) -> None:
    with pytest.raises(FormatError) as caught:
        read_labels_csv(text, name="x", source="labels.csv")
    assert caught.value.line == line and caught.value.field == field
    assert f"labels.csv:{line}" in caught.value.message
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.extra["file"] == "labels.csv"


def test_non_utf8_bytes_are_a_format_error_with_line() -> None:
    with pytest.raises(FormatError) as caught:
        decode_text(b"id,name\n0,stra\xdfe\n", source="labels.csv")
    assert caught.value.line == 2 and caught.value.field == "encoding"


def test_bom_is_dropped() -> None:
    assert decode_text("\ufeffid,name\n".encode(), source="x") == "id,name\n"


def test_mapping_csv_keeps_cells_verbatim_and_records_positions() -> None:
    # given blank cells, ragged rows, stray spaces and the void row
    text = ",name,,,\n0,road,road ,,parking\n1,sidewalk\n255,void,void,\n"
    # when read
    parsed = _mapping(text)
    # then cells are kept as written, blanks dropped, positions 1-based
    road, sidewalk, void = parsed.mapping.rows
    assert road.extra_labels == ("road ", "parking")
    assert sidewalk.extra_labels == ()
    assert void.is_void and void.extra_labels == ("void",)
    assert [(c.row_index, c.line, c.column, c.raw_text) for c in parsed.cells] == [
        (0, 2, 3, "road "),
        (0, 2, 5, "parking"),
        (2, 4, 3, "void"),
    ]
    assert parsed.source.names == ["road", "sidewalk"]  # void row excluded
    assert parsed.mapping.allowed("road") == {0}


@pytest.mark.parametrize(
    "header", ["id,name,,", "trainId,name", ",name,", "0,name", "\ufeffid,name"]
)
def test_mapping_csv_header_variants(header: str) -> None:
    parsed = _mapping(f"{header}\n0,road,road\n255,void,void\n")
    assert [r.source_id for r in parsed.mapping.rows] == [0, 255]
    assert parsed.cells[0].line == 2


def test_mapping_csv_without_header() -> None:
    assert _mapping("0,road,road\n").mapping.rows[0].extra_labels == ("road",)


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("id,name\n0,road,road\n0,road,x\n", 3, "id"),
        ("id,name\n0.5,road\n", 2, "id"),
        ("id,name\n,road,road\n", 2, "id"),
        ("id,name\n0,,road\n", 2, "name"),
        ('id,name\n0,road,"ro"ad\n', 2, None),
    ],
)
def test_mapping_csv_errors_name_line_and_field(text: str, line: int, field: str | None) -> None:
    with pytest.raises(FormatError) as caught:
        _mapping(text)
    assert (caught.value.line, caught.value.field) == (line, field)
    assert caught.value.message.startswith(f"m.csv:{line}:")


def test_every_reference_file_survives_export_and_reimport() -> None:
    # given every reference mapping and labels file
    require_reference()
    files = reference_mapping_files()
    assert len(files) == 49
    for path in files:
        parsed = read_mapping_csv(
            path.read_text(encoding="utf-8"), extra_taxonomy="e", source_taxonomy="s"
        )
        # when exported and read back
        again = read_mapping_csv(
            write_mapping_csv(parsed.mapping), extra_taxonomy="e", source_taxonomy="s"
        )
        # then every row holds the same set (and order) of cells
        assert again.mapping == parsed.mapping, path
        labels = labels_for(path)
        taxonomy = read_labels_csv(labels.read_text(encoding="utf-8"), name="e")
        assert read_labels_csv(write_labels_csv(taxonomy), name="e") == taxonomy, labels


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(-1, 300), st.from_regex(r"[a-z][a-z _-]{0,10}[a-z]", fullmatch=True)),
        min_size=1,
        max_size=8,
        unique_by=lambda r: r[0],
    ),
    pad=st.sampled_from(["", " ", "  "]),
    blank_lines=st.booleans(),
    bom=st.booleans(),
    extra_commas=st.integers(0, 3),
)
def test_labels_csv_tolerates_padding_blank_lines_bom_and_ragged_rows(
    rows: list[tuple[int, str]], pad: str, blank_lines: bool, bom: bool, extra_commas: int
) -> None:
    # given the same classes written the way hand-edited files are
    lines = ["0,name,id,trainId,category,categoryId,hasInstances,ignoreInEval,color"]
    for index, (class_id, name) in enumerate(rows):
        lines.append(f"{index},{pad}{name}{pad},{pad}{class_id}," + "," * extra_commas)
        if blank_lines:
            lines.append(",,,")
    text = ("\ufeff" if bom else "") + "\n".join(lines) + "\n"
    # when read
    taxonomy = read_labels_csv(text, name="x")
    # then ids and names are exactly the intended ones
    assert [(c.id, c.name) for c in taxonomy] == rows


FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+1+cmd", "-2+3", "@SUM(A1:A9)"]


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_mapping_csv_export_neutralises_formula_cells_and_reads_back() -> None:
    # given a mapping whose row name and cells a spreadsheet would run as formulas
    mapping = Mapping(
        "e", "s", (MappingRow(0, "=cmd", (*FORMULAS, "-1", "'=quoted")), MappingRow(255, "void"))
    )
    # when written as CSV
    text = write_mapping_csv(mapping)
    # then each such cell starts with a quote, numbers as they are, and it reads back
    row = _cells(text)[1]
    assert row == ["0", "'=cmd", *(f"'{f}" for f in FORMULAS), "-1", "''=quoted"]
    assert read_mapping_csv(text, extra_taxonomy="e", source_taxonomy="s").mapping == mapping


def test_labels_csv_export_neutralises_formula_cells_and_keeps_negative_ids() -> None:
    # given a class named like a formula with id -1, and a kept cell starting with a tab
    taxonomy = Taxonomy(
        "t",
        (
            TaxonomyClass(-1, FORMULAS[0], train_id=-1, category="@flat"),
            TaxonomyClass(3, "road", file_cells=(("note", "\tx"),)),
        ),
        file_columns=("id", "name", "trainId", "category", "note"),
    )
    # when written as a labels.csv
    text = write_labels_csv(taxonomy)
    # then the formula cells are quoted, the numbers are not, and it reads back the same
    assert _cells(text)[1:] == [
        ["-1", f"'{FORMULAS[0]}", "-1", "'@flat", ""],
        ["3", "road", "", "", "'\tx"],
    ]
    assert read_labels_csv(text, name="t") == taxonomy
