"""Which extra labels an edit changes: the constraint rows of two mappings compared."""

from __future__ import annotations

import dataclasses

import numpy as np
from ontolabel.domain.constraint import allowed_table, constrain
from ontolabel.domain.staleness import ConstraintRows, changed_labels, constraint_rows
from ontolabel.domain.taxonomy import VOID_ID, TaxonomyClass

from .factories import make_mapping, make_taxonomy, source_taxonomy

EXTRA = make_taxonomy(["unlabeled", "street", "house", "tree", "wall"])
ROWS = {"road": ["street"], "building": ["house"], "vegetation": ["tree"]}


def _rows(rows: dict[str, list[str]], void: list[str] | None = None) -> ConstraintRows:
    mapping = make_mapping(rows, void=["unlabeled", "house"] if void is None else void)
    return constraint_rows(mapping, EXTRA, source_taxonomy(make_mapping(ROWS)))


def test_rows_list_each_extra_id_allowed_sources_and_void_and_leave_unmapped_ids_out() -> None:
    rows = _rows(ROWS)
    assert rows.columns == (0, 1, 2)
    assert dict(rows.rows) == {0: (VOID_ID,), 1: (0,), 2: (1, VOID_ID), 3: (2,)}  # wall: none
    assert ConstraintRows.from_json(rows.to_json()) == rows


def test_one_row_edit_changes_exactly_the_labels_it_adds_or_removes() -> None:
    # given building gaining tree and losing nothing, road losing street
    edited = {"road": [], "building": ["house", "tree"], "vegetation": ["tree"]}
    # then tree (now building or vegetation) and street (now nothing) changed, nothing else
    assert changed_labels(_rows(ROWS), _rows(edited)) == {1, 3}
    # and an edit that only reorders cells changes nothing
    reordered = {"road": ["street"], "building": ["house"], "vegetation": ["tree"]}
    assert changed_labels(_rows(ROWS), _rows(reordered, void=["house", "unlabeled"])) == set()


def test_other_columns_or_colours_make_every_frame_stale() -> None:
    rows = _rows(ROWS)
    assert changed_labels(rows, dataclasses.replace(rows, columns=(0, 2, 1))) is None
    recoloured = dataclasses.replace(rows, colors={0x102030: 1})
    assert changed_labels(rows, recoloured) is None


def test_without_priors_no_row_matters() -> None:
    mapping = make_mapping(ROWS, void=["unlabeled"])
    source = source_taxonomy(mapping)
    plain = constraint_rows(mapping, EXTRA, source, priors=False)
    other = constraint_rows(make_mapping({"road": ["tree"]}), EXTRA, source, priors=False)
    assert changed_labels(plain, other) == set()


def test_a_frame_without_changed_labels_gets_the_same_pseudo_label() -> None:
    # given two revisions differing in tree's row, and a frame holding street and house only
    extra = dataclasses.replace(EXTRA, classes=(*EXTRA.classes, TaxonomyClass(id=9, name="rider")))
    before = make_mapping(ROWS, void=["unlabeled", "house"])
    after = make_mapping({**ROWS, "building": ["house", "tree"]}, void=["unlabeled", "house"])
    source = source_taxonomy(before)
    changed = changed_labels(
        constraint_rows(before, extra, source), constraint_rows(after, extra, source)
    )
    rng = np.random.default_rng(3)
    probs = rng.random((3, 8, 8)).astype(np.float32)
    label = rng.choice([1, 2, 9], (8, 8))
    assert changed is not None and not changed & set(np.unique(label).tolist())
    # then the constraint writes the same pixels under both
    old = constrain(probs, label, allowed_table(before, extra, source))
    new = constrain(probs, label, allowed_table(after, extra, source))
    assert np.array_equal(old, new)
    # and a frame holding tree, where the teacher favours building, does not
    assert changed == {3}
    tree, favoured = np.full((8, 8), 3), np.stack([np.full((8, 8), p) for p in (0.1, 0.6, 0.3)])
    assert set(np.unique(constrain(favoured, tree, allowed_table(before, extra, source)))) == {2}
    assert set(np.unique(constrain(favoured, tree, allowed_table(after, extra, source)))) == {1}
