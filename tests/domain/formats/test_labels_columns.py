"""A labels.csv keeps every column and spelling it had, through the reference and native formats."""

from __future__ import annotations

import dataclasses

import pytest
from ontolabel.domain.formats import FormatError
from ontolabel.domain.formats.native import dump_taxonomy, load_taxonomy
from ontolabel.domain.formats.reference import read_labels_csv, write_labels_csv
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass

HEADER = "0,name,id,trainId,category,categoryId,hasInstances,ignoreInEval,color\n"
KITTI_ROWS = (
    "0,unlabeled,0,255,void,0,False,True,#000000\n"
    "34,license plate,-1,-1,vehicle,7,False,True,#00008e\n"
)
APOLLO_ROW = '11,rider ,37,5,"person on motorcycle,bicycle or tricycle ",,,,\n'


def test_columns_without_a_field_are_kept_per_class_in_file_order() -> None:
    # given KITTI's rows: a row index, categoryId and hasInstances have no field
    t = read_labels_csv(HEADER + KITTI_ROWS, name="kitti")
    # then the header is the taxonomy's, and each class keeps those cells and "False"
    assert t.file_columns == tuple(HEADER.strip().split(","))
    plate = t.by_id(-1)
    assert plate is not None and (plate.train_id, plate.ignore) == (-1, True)
    assert plate.file_cells == (("0", "34"), ("categoryId", "7"), ("hasInstances", "False"))
    # and it is written back as the file had it
    assert write_labels_csv(t) == HEADER + KITTI_ROWS


def test_padded_names_are_matched_stripped_and_written_padded() -> None:
    # given ApolloScape's padded name and category (quoted, holding commas)
    t = read_labels_csv(HEADER + APOLLO_ROW, name="apolloscape")
    rider = t.classes[0]
    # then the fields hold the stripped text, the file's spelling is kept beside them
    assert (rider.name, rider.category) == ("rider", "person on motorcycle,bicycle or tricycle")
    assert dict(rider.file_cells)["name"] == "rider "
    assert write_labels_csv(t) == HEADER + APOLLO_ROW


def test_an_edited_field_is_written_from_its_new_value() -> None:
    # given a padded name and a "False" flag kept from the file
    t = read_labels_csv(HEADER + APOLLO_ROW + KITTI_ROWS, name="t")
    rider, unlabeled, plate = t.classes
    # when the name and the flag are edited
    edited = dataclasses.replace(
        t,
        classes=(
            dataclasses.replace(rider, name="cyclist"),
            dataclasses.replace(unlabeled, ignore=False),
            plate,
        ),
    )
    # then the stale spellings give way; the other cells stay as the file had them
    rows = write_labels_csv(edited).splitlines()
    assert rows[1].split(",")[:3] == ["11", "cyclist", "37"]
    assert rows[2] == "0,unlabeled,0,255,void,0,False,,#000000"
    assert rows[3] == KITTI_ROWS.splitlines()[1]


def test_a_header_of_its_own_is_written_back_in_its_order() -> None:
    text = "name,id,depth,color\nroad,7,0.5,#804080\nsky, 23,,\n"
    t = read_labels_csv(text, name="x")
    assert [(c.id, c.name, c.color) for c in t] == [(7, "road", "#804080"), (23, "sky", None)]
    assert write_labels_csv(t) == text


def test_unnamed_columns_holding_values_get_a_name_empty_ones_go() -> None:
    # given a header with a blank column that holds a value and a trailing empty one
    t = read_labels_csv("id,name,,\n3,road,x,\n4,sky\n", name="x")
    # then the one with a value is "column 3"; the empty one is dropped
    assert t.file_columns == ("id", "name", "column 3")
    assert t.classes[0].file_cells == (("column 3", "x"),)
    assert write_labels_csv(t) == "id,name,column 3\n3,road,x\n4,sky,\n"


def test_a_taxonomy_made_elsewhere_gets_the_reference_header_and_its_cells() -> None:
    t = Taxonomy(
        "made",
        (TaxonomyClass(7, "road", file_cells=(("depth", "2"),)), TaxonomyClass(300, "lane")),
    )
    assert write_labels_csv(t).splitlines() == [
        HEADER.strip() + ",depth",
        "0,road,7,,,,,,,2",
        "1,lane,300,,,,,,,",
    ]


@pytest.mark.parametrize(
    ("row", "field"),
    [("1,sky,2147483648", "id"), ("1,sky,3,2147483648", "trainId"), ("1,sky,3,,,,,,red", "color")],
)
def test_values_the_database_cannot_hold_are_format_errors(row: str, field: str) -> None:
    with pytest.raises(FormatError) as caught:
        read_labels_csv(HEADER + row + "\n", name="x", source="labels.csv")
    assert (caught.value.line, caught.value.field) == (2, field)


def test_native_yaml_carries_the_file_columns_and_cells() -> None:
    # given a taxonomy read from a labels.csv with columns and spellings of its own
    t = read_labels_csv(HEADER + APOLLO_ROW + KITTI_ROWS, name="t")
    # when dumped as YAML and loaded again
    loaded = load_taxonomy(dump_taxonomy(t))
    # then nothing is lost: the same taxonomy, the same CSV
    assert loaded == t
    assert write_labels_csv(loaded) == HEADER + APOLLO_ROW + KITTI_ROWS


@pytest.mark.parametrize(
    ("entry", "field"),
    [("file_cells: {a: 1}", "file_cells"), ("file_cells: [a]", "file_cells")],
)
def test_native_file_cells_must_be_text_by_column(entry: str, field: str) -> None:
    text = f"kind: taxonomy\nname: x\nclasses:\n- {{id: 0, name: road, {entry}}}\n"
    with pytest.raises(FormatError) as caught:
        load_taxonomy(text)
    assert (caught.value.line, caught.value.field) == (4, field)
