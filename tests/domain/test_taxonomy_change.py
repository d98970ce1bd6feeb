"""Rename, merge and split: the classes after, and what that does to cells and rows."""

from __future__ import annotations

import pytest
from ontolabel.domain.taxonomy_change import (
    Merge,
    Rename,
    Split,
    SplitPart,
    apply_to_cells,
    apply_to_rows,
    cells_touched,
    plan_change,
)
from ontolabel.errors import InvalidInput

from domain.factories import make_mapping, make_taxonomy

EXTRA = make_taxonomy(["road", "sidewalk", "car", "van"])
SOURCE = make_taxonomy(["flat", "vehicle", "sky"], name="source")


def _rows(mapping: object) -> list[tuple[int, str, tuple[str, ...]]]:
    return [(r.source_id, r.source_name, r.extra_labels) for r in mapping.rows]  # type: ignore[attr-defined]


def test_merge_on_the_extra_side_keeps_ids_and_folds_cells() -> None:
    # given a mapping naming car and van (one row has both, padded)
    mapping = make_mapping({"flat": ["road"], "vehicle": [" car ", "van"], "sky": ["van"]})
    # when car and van are merged into vehicle, keeping ids (label PNGs hold them)
    change = plan_change(EXTRA, Merge(("car", "van"), "vehicle"), keep_ids=True)
    after = apply_to_cells(mapping, change)
    # then both classes are named vehicle and every cell naming either says vehicle once
    assert [(c.id, c.name) for c in change.after.classes][2:] == [(2, "vehicle"), (3, "vehicle")]
    assert _rows(after) == [
        (0, "flat", ("road",)),
        (1, "vehicle", ("vehicle",)),
        (2, "sky", ("vehicle",)),
    ]
    assert cells_touched(mapping, change, side="extra") == 3


def test_merge_on_the_source_side_joins_rows_into_the_kept_class() -> None:
    # given rows for flat and sky
    mapping = make_mapping(
        {"flat": ["road"], "vehicle": ["car"], "sky": ["sky", "road"]}, void=["x"]
    )
    # when sky is merged into flat (a source taxonomy: one class is kept)
    change = plan_change(SOURCE, Merge(("sky", "flat"), "flat"), keep_ids=False)
    after = apply_to_rows(mapping, change)
    # then flat keeps its id, sky is gone, and the rows are one (labels once, void untouched)
    assert [(c.id, c.name) for c in change.after.classes] == [(0, "flat"), (1, "vehicle")]
    assert _rows(after) == [
        (0, "flat", ("road", "sky")),
        (1, "vehicle", ("car",)),
        (255, "void", ("x",)),
    ]


def test_split_copies_or_gives_cells_to_the_first_part() -> None:
    mapping = make_mapping({"flat": ["road"], "vehicle": ["car", "van"], "sky": ["sky"]})
    parts = (SplitPart("car"), SplitPart("truck"))
    for policy, second in (("copy", ("car", "van")), ("first", ())):
        # when vehicle is split into car (its id) and truck (the next free id)
        change = plan_change(SOURCE, Split("vehicle", parts, policy), keep_ids=False)  # type: ignore[arg-type]
        # then the rows follow the policy
        assert [(c.id, c.name) for c in change.after.classes] == [
            (0, "flat"),
            (1, "car"),
            (3, "truck"),
            (2, "sky"),
        ]
        assert _rows(apply_to_rows(mapping, change))[1:3] == [
            (1, "car", ("car", "van")),
            (3, "truck", second),
        ]
    # and on the extra side a cell naming the split class names the parts
    extra_change = plan_change(
        EXTRA, Split("car", (SplitPart("sedan"), SplitPart("suv"))), keep_ids=True
    )
    assert _rows(apply_to_cells(mapping, extra_change))[1] == (
        1,
        "vehicle",
        ("sedan", "suv", "van"),
    )


def test_rename_is_marked_as_a_rename_and_keeps_other_cells_verbatim() -> None:
    mapping = make_mapping({"flat": [" road ", "sidewalk "]})
    change = plan_change(EXTRA, Rename("road", "street"), keep_ids=True)
    assert change.renames_only
    assert _rows(apply_to_cells(mapping, change)) == [(0, "flat", ("street", "sidewalk "))]


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (Rename("nope", "x"), "class"),
        (Rename("road", "car"), "new_name"),
        (Merge(("road",), "x"), "classes"),
        (Merge(("road", "car"), "van"), "into"),
        (Split("road", (SplitPart("a"),)), "into"),
        (Split("road", (SplitPart("a"), SplitPart("a"))), "into[1].name"),
        (Split("road", (SplitPart("a"), SplitPart("b", id=2))), "into[1].id"),
    ],
)
def test_changes_that_cannot_apply_name_the_field(edit: object, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan_change(EXTRA, edit, keep_ids=True)  # type: ignore[arg-type]
    assert caught.value.extra["field"] == field


def test_a_merge_of_classes_already_alike_changes_nothing_and_is_refused() -> None:
    twins = make_taxonomy(["rock", "rock", "sky"])
    with pytest.raises(InvalidInput, match="leaves every class as it is"):
        plan_change(twins, Merge(("rock",), "rock"), keep_ids=True)
