"""Suggestions and conflict scores: the per-frame accumulation against a pixel loop, and the
ranking of planted cells."""

from __future__ import annotations

import numpy as np
from ontolabel.domain.constraint import AllowedTable, allowed_table, constrain
from ontolabel.domain.suggestions import Cooccurrence, SuggestSettings, count_frame, rank

from domain.factories import make_mapping, make_taxonomy, source_taxonomy

EXTRA = make_taxonomy(["street", "house", "tree", "unlabeled", "wall", "lawn"])
# street → road; house → building or void; tree → vegetation; unlabeled → void only;
# wall in no row; lawn → road *and* vegetation.
MAPPING = make_mapping(
    {
        "road": ["street", "lawn"],
        "building": ["house"],
        "vegetation": ["tree", "lawn"],
        "sky": [],
    },
    void=["house", "unlabeled"],
)
TABLE = allowed_table(MAPPING, EXTRA, source_taxonomy(MAPPING))
NAMES = {c.id: c.name for c in EXTRA.classes}
SOURCE = ["road", "building", "vegetation", "sky"]


def _random_frame(seed: int, shape: tuple[int, int] = (9, 13)) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(4, *shape)) * 3
    probs = np.exp(logits) / np.exp(logits).sum(0)
    label = rng.integers(-1, 8, shape)  # -1 and 6, 7: outside the taxonomy
    return probs.astype(np.float32), label


def test_frame_counts_match_a_pixel_by_pixel_reading() -> None:
    # given a frame with every kind of label (mapped, void-only, unmapped, outside the table)
    probs, label = _random_frame(0)
    # when it is counted
    counts = count_frame("f", probs, label, TABLE, void_threshold=0.5)
    # then each pixel lands in its (label, argmax) cell, and its outside-mass in the chosen cell
    chosen = constrain(probs, label, TABLE, void_threshold=0.5)
    rows = TABLE.table.shape[0]
    predicted = np.zeros((rows + 1, 4), dtype=np.int64)
    confidence = np.zeros((rows + 1, 4))
    labelled = np.zeros((rows + 1, 4), dtype=np.int64)
    overruled = np.zeros((rows + 1, 4))
    for y, x in np.ndindex(label.shape):
        e = label[y, x] if 0 <= label[y, x] < rows else rows
        p = probs[:, y, x]
        predicted[e, p.argmax()] += 1
        confidence[e, p.argmax()] += p.max()
        if chosen[y, x] != 255:
            inside = sum(p[c] for c in range(4) if e < rows and TABLE.table[e, c])
            labelled[e, chosen[y, x]] += 1
            overruled[e, chosen[y, x]] += 1 - inside
    np.testing.assert_array_equal(counts.predicted, predicted)
    np.testing.assert_allclose(counts.confidence, confidence, rtol=1e-6)
    np.testing.assert_array_equal(counts.labelled, labelled)
    np.testing.assert_allclose(counts.overruled, overruled, atol=1e-6)
    assert counts.predicted.sum() == label.size
    # void-only and unmapped labels never reach a class: nothing is overruled there
    assert labelled[3].sum() == 0 and labelled[4].sum() == 0


def test_cooccurrence_survives_a_round_trip_and_merges_in_order() -> None:
    frames = [count_frame(f"f{i}", *_random_frame(i), TABLE) for i in range(3)]
    # when two parts are stored as arrays, read back and merged
    first = Cooccurrence.from_arrays(Cooccurrence.of(frames[:2]).to_arrays())
    merged = Cooccurrence.merge([first, Cooccurrence(), Cooccurrence.of(frames[2:])])
    # then it is the three frames' counts, in order
    assert merged.frames == ["f0", "f1", "f2"]
    np.testing.assert_array_equal(merged.predicted, np.stack([f.predicted for f in frames]))
    np.testing.assert_allclose(merged.overruled, np.stack([f.overruled for f in frames]))


def _planted_world(table: AllowedTable = TABLE, frames: int = 6) -> Cooccurrence:
    """A teacher that knows the truth: street is road, house building, tree vegetation,
    lawn vegetation (so (road, lawn) is wrong), wall is building (the missing cell); it is
    less sure that unlabeled pixels are sky."""
    truth = {0: (0, 0.85), 1: (1, 0.85), 2: (2, 0.85), 4: (1, 0.85), 5: (2, 0.85), 3: (3, 0.5)}
    rng = np.random.default_rng(7)
    counted = []
    for i in range(frames):
        label = rng.integers(0, 6, (20, 30))
        probs = np.full((4, 20, 30), 0.05, dtype=np.float32)
        for extra_id, (column, p) in truth.items():
            probs[column][label == extra_id] = p
        probs += rng.uniform(0, 0.02, probs.shape).astype(np.float32)
        probs /= probs.sum(0)
        counted.append(count_frame(f"seq/{i:02d}.png", probs, label, table))
    return Cooccurrence.of(counted)


def test_a_missing_cell_ranks_first_among_adds() -> None:
    # given frames where the teacher sees wall as building, and wall is in no row
    suggestions = rank(_planted_world(), TABLE, NAMES, SOURCE)
    # then (building, wall) is the first thing to add, with every frame as evidence
    first = suggestions.add[0]
    assert (first.source, first.extra) == ("building", "wall")
    assert first.score > 0.8 and len(first.frames) == 6
    # and unlabeled (void only) pixels the teacher calls sky are also worth a look
    assert ("sky", "unlabeled") in [(a.source, a.extra) for a in suggestions.add]


def test_a_wrong_cell_ranks_first_among_removes_and_conflicts() -> None:
    # given lawn allowed as road, which the teacher never predicts there
    suggestions = rank(_planted_world(), TABLE, NAMES, SOURCE)
    # then (road, lawn) is the first removal; (vegetation, lawn) stays
    removes = [(r.source, r.extra) for r in suggestions.remove]
    assert removes[0] == ("road", "lawn") and ("vegetation", "lawn") not in removes
    assert suggestions.remove[0].score > 0.98
    # and no allowed cell is overruled much: the teacher agrees wherever the priors label
    assert all(c.score < 0.2 for c in suggestions.conflict_cells)


def test_a_label_in_the_wrong_row_is_a_conflict_and_both_its_cells_are_suggested() -> None:
    # given tree listed under road only (its real class vegetation left out)
    wrong = make_mapping(
        {
            "road": ["street", "tree"],
            "building": ["house", "wall"],
            "vegetation": ["lawn"],
            "sky": [],
        },
        void=["house", "unlabeled"],
    )
    table = allowed_table(wrong, EXTRA, source_taxonomy(wrong))
    # when the same frames are counted under it
    suggestions = rank(_planted_world(table), table, NAMES, SOURCE)
    # then the priors overrule the teacher most on (road, tree), every frame about equally
    top = suggestions.conflict_cells[0]
    assert (top.source, top.extra) == ("road", "tree") and top.score > 0.8
    assert (suggestions.remove[0].source, suggestions.remove[0].extra) == ("road", "tree")
    assert ("vegetation", "tree") in [(a.source, a.extra) for a in suggestions.add[:2]]
    assert len(suggestions.conflict_frames) == 6
    assert all(0 < f.score < 1 for f in suggestions.conflict_frames)


def test_thresholds_and_sizes_bound_the_lists() -> None:
    settings = SuggestSettings(min_pixels=10**9)
    # a label with fewer pixels than min_pixels is not judged at all
    suggestions = rank(_planted_world(), TABLE, NAMES, SOURCE, settings)
    assert suggestions.add == () and suggestions.remove == () and suggestions.conflict_cells == ()
    # and no frames give no suggestions
    empty = rank(Cooccurrence(), TABLE, NAMES, SOURCE)
    assert empty.to_json() == {"add": [], "remove": [], "conflicts": {"cells": [], "frames": []}}
    # evidence is capped
    capped = rank(_planted_world(), TABLE, NAMES, SOURCE, SuggestSettings(evidence_frames=2))
    assert all(len(a.frames) <= 2 for a in capped.add)
