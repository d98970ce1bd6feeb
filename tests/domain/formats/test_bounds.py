"""Files are held to the bounds request bodies are: names, cells, ids, classes and rows.

Each refusal is a FormatError naming the line, and reading stops at the first record past
a bound; YAML aliases are refused, so a few hundred bytes cannot expand into gigabytes.
"""

from __future__ import annotations

import pytest
from ontolabel.domain.formats import FormatError
from ontolabel.domain.formats.native import load_mapping, load_taxonomy
from ontolabel.domain.formats.reference import read_labels_csv, read_mapping_csv
from ontolabel.domain.limits import (
    CELL_MAX_CHARS,
    CELLS_MAX,
    CELLS_PER_ROW_MAX,
    CLASSES_MAX,
    NAME_MAX_CHARS,
    ROWS_MAX,
)

BILLION_LAUGHS = """kind: taxonomy
name: lol
classes:
- &a {id: 0, name: lol}
- &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
- &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
- &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
- &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
- &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
- &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
- &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
- &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def _mapping_csv(text: str) -> None:
    read_mapping_csv(text, extra_taxonomy="e", source_taxonomy="s", source="m.csv")


@pytest.mark.parametrize(
    "text",
    [
        BILLION_LAUGHS,
        "kind: taxonomy\nname: &n road\nclasses:\n- {id: 0, name: *n}\n",
        "kind: taxonomy\nname: t\nclasses:\n- &c {id: 0, name: a}\n- {<<: *c, id: 1}\n",
    ],
)
def test_a_yaml_alias_is_refused_naming_the_anchor_line(text: str) -> None:
    # given YAML that repeats an anchored value by alias (plainly, as a merge, exploding)
    with pytest.raises(FormatError) as refused:
        load_taxonomy(text, source="t.yaml")
    # then it is refused on the anchor's line, before anything is expanded
    assert "alias" in refused.value.message
    assert refused.value.line == 4 if text is BILLION_LAUGHS else refused.value.line in (2, 4)


def test_a_mapping_yaml_alias_is_refused() -> None:
    text = "kind: mapping\nextra_taxonomy: e\nsource_taxonomy: s\nrows:\n"
    text += "- {id: 0, name: road, extra: &x [a, b]}\n- {id: 1, name: car, extra: *x}\n"
    with pytest.raises(FormatError, match="alias") as refused:
        load_mapping(text, source="m.yaml")
    assert refused.value.line == 5


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("id,name\n0,road\n1,side\x07walk\n", 3, "name"),
        ("id,name\n0," + "r" * (NAME_MAX_CHARS + 1) + "\n", 2, "name"),
        ('id,name,category\n0,road,"flat\nground"\n', 2, "category"),
    ],
)
def test_labels_csv_names_are_bounded(text: str, line: int, field: str) -> None:
    with pytest.raises(FormatError) as refused:
        read_labels_csv(text, name="t", source="labels.csv")
    assert (refused.value.line, refused.value.field) == (line, field)


@pytest.mark.parametrize(
    ("text", "line", "field", "says"),
    [
        ("id,name\n0,road,e0\n4294967296,big,e1\n", 3, "id", "32-bit"),
        ("id,name\n0,ro\x00ad,e0\n", 2, "name", "control"),
        ("id,name\n0,road,e\x1b0\n", 2, "extra", "control"),
        ("id,name\n0,road," + "e" * (CELL_MAX_CHARS + 1) + "\n", 2, "extra", str(CELL_MAX_CHARS)),
        ("id,name\n0,road," + "e," * (CELLS_PER_ROW_MAX + 1) + "\n", 2, "extra", "labels"),
    ],
)
def test_mapping_csv_ids_names_and_cells_are_bounded(
    text: str, line: int, field: str, says: str
) -> None:
    with pytest.raises(FormatError, match=says) as refused:
        _mapping_csv(text)
    assert (refused.value.line, refused.value.field) == (line, field)


def test_a_mapping_csv_of_too_many_cells_is_refused_at_the_row_past_the_total() -> None:
    row = "," + ",".join(["e"] * 5000)
    rows = CELLS_MAX // 5000 + 1
    text = "id,name\n" + "".join(f"{i},s{i}{row}\n" for i in range(rows))
    with pytest.raises(FormatError, match=str(CELLS_MAX)) as refused:
        _mapping_csv(text)
    assert refused.value.line == rows + 1


def test_csv_readers_stop_at_the_record_past_their_bound() -> None:
    # given files of many more records than a taxonomy or mapping may hold
    labels = "id,name\n" + "".join(f"{i},c{i}\n" for i in range(CLASSES_MAX + 5000))
    mapping = "id,name\n" + "".join(f"{i},c{i},e\n" for i in range(ROWS_MAX + 5000))
    # then each is refused at the first line past the bound
    with pytest.raises(FormatError, match=str(CLASSES_MAX)) as classes:
        read_labels_csv(labels, name="t", source="labels.csv")
    with pytest.raises(FormatError, match=str(ROWS_MAX)) as rows:
        _mapping_csv(mapping)
    assert classes.value.line == CLASSES_MAX + 2
    assert rows.value.line == ROWS_MAX + 2


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ('kind: taxonomy\nname: "a\\tb"\nclasses:\n- {id: 0, name: road}\n', 1, "name"),
        ('kind: taxonomy\nname: t\nclasses:\n- {id: 0, name: "ro\\x00ad"}\n', 4, "name"),
        ("kind: taxonomy\nname: t\nclasses:\n- {id: 4294967296, name: road}\n", 4, "id"),
        ("kind: taxonomy\nname: t\nclasses:\n- {id: 0, name: ' '}\n", 4, "name"),
    ],
)
def test_taxonomy_yaml_names_and_ids_are_bounded(text: str, line: int, field: str) -> None:
    with pytest.raises(FormatError) as refused:
        load_taxonomy(text, source="t.yaml")
    assert (refused.value.line, refused.value.field) == (line, field)


def test_taxonomy_yaml_of_too_many_classes_is_refused() -> None:
    text = "kind: taxonomy\nname: t\nclasses:\n"
    text += "".join(f"- {{id: {i}, name: c{i}}}\n" for i in range(CLASSES_MAX + 1))
    with pytest.raises(FormatError, match=str(CLASSES_MAX)) as refused:
        load_taxonomy(text, source="t.yaml")
    assert refused.value.line == CLASSES_MAX + 4


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("{id: 4294967296, name: road, extra: [a]}", "id"),
        ('{id: 0, name: "ro\\nad", extra: [a]}', "name"),
        ('{id: 0, name: road, extra: ["a\\x85"]}', "extra"),
    ],
)
def test_mapping_yaml_ids_names_and_cells_are_bounded(row: str, field: str) -> None:
    text = f"kind: mapping\nextra_taxonomy: e\nsource_taxonomy: s\nrows:\n- {row}\n"
    with pytest.raises(FormatError) as refused:
        load_mapping(text, source="m.yaml")
    assert (refused.value.line, refused.value.field) == (5, field)
