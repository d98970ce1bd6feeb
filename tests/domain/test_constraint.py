"""The constraint lookup against DESIGN.md rules 1-5, pixel by pixel."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from ontolabel.domain.constraint import IGNORE, AllowedTable, allowed_table, constrain
from ontolabel.domain.mapping import Mapping
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass
from ontolabel.errors import InvalidInput

from domain.factories import make_mapping, make_taxonomy, source_taxonomy

EXTRA = make_taxonomy(["road", "building", "tunnel", "sky", "unlabeled", "bicycle", "pole"])
MAPPING = make_mapping(
    {
        "road": ["road"],
        "building": ["building", "tunnel"],
        "sky": ["sky"],
        "bicycle": ["bicycle"],
    },
    void=["building", "unlabeled"],
)
# pole (id 6) is in no row: rule 3.
TABLE = allowed_table(MAPPING, EXTRA, source_taxonomy(MAPPING))


def _frame(label: list[int], probs: list[list[float]]) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(probs, dtype=np.float32).T.reshape(-1, 1, len(label)), np.asarray(
        [label], dtype=np.int64
    )


def test_table_rows_follow_the_mapping() -> None:
    assert TABLE.table.shape == (7, 4)
    assert TABLE.table[1].tolist() == [False, True, False, False]  # building
    assert TABLE.table[2].tolist() == [False, True, False, False]  # tunnel
    assert TABLE.void.tolist() == [False, True, False, False, True, False, False]
    assert TABLE.source_ids.tolist() == [0, 1, 2, 3]
    assert not TABLE.table[6].any() and not TABLE.void[6]


@pytest.mark.parametrize("method", ["fused", "dense", "gather"])
def test_rules_on_one_pixel_each(method: str) -> None:
    # given road, void-only, unmapped, building (void ∈ A) confident and unsure, out of table
    probs = [[0.1, 0.2, 0.6, 0.1]] * 6
    sure = [0.05, 0.9, 0.02, 0.03]
    unsure = [0.0, 0.4, 0.0, 0.6]  # building 0.4 is the only allowed class: q = 1
    p, label = _frame([0, 4, 6, 1, 1, 200], [probs[0], probs[0], probs[0], sure, unsure, probs[0]])
    # when constrained
    out = constrain(p, label, TABLE, method=method)
    # then: road → road (rule 4 without void), unlabeled → 255 (rule 2), pole → 255 not 0
    # (rule 3), building → building (q = 0.9/0.9 and 0.4/0.4 ≥ 0.5), 200 → 255
    assert out[0].tolist() == [0, IGNORE, IGNORE, 1, 1, IGNORE]
    assert out.dtype == np.uint8


def test_void_threshold_uses_renormalised_confidence() -> None:
    # given a label allowed {road, sky, void}: q(road) = 0.3 / 0.5 = 0.6
    mapping = make_mapping({"road": ["x"], "sky": ["x"]}, void=["x"])
    extra = make_taxonomy(["x"])
    table = allowed_table(mapping, extra, source_taxonomy(mapping))
    probs, label = _frame([0], [[0.3, 0.2]])
    # when the threshold is below / above q
    # then the class is kept / dropped to 255
    assert constrain(probs, label, table, void_threshold=0.6)[0, 0] == 0
    assert constrain(probs, label, table, void_threshold=0.61)[0, 0] == IGNORE


def test_confidence_floor_and_valid_mask() -> None:
    mapping = make_mapping({"road": ["x"], "sky": ["x"]})
    table = allowed_table(mapping, make_taxonomy(["x"]), source_taxonomy(mapping))
    probs, label = _frame([0, 0], [[0.3, 0.2], [0.9, 0.1]])
    assert constrain(probs, label, table, confidence_floor=0.7)[0].tolist() == [IGNORE, 0]
    valid = np.array([[True, False]])
    assert constrain(probs, label, table, valid=valid)[0].tolist() == [0, IGNORE]


def test_zero_probability_over_allowed_classes_still_picks_an_allowed_class() -> None:
    mapping = make_mapping({"road": [], "sky": ["x"]})
    table = allowed_table(mapping, make_taxonomy(["x"]), source_taxonomy(mapping))
    probs, label = _frame([0], [[1.0, 0.0]])
    assert constrain(probs, label, table)[0, 0] == 1


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="classes"):
        constrain(np.zeros((3, 2, 2), np.float32), np.zeros((2, 2), np.int64), TABLE)


def test_duplicate_extra_names_map_every_id_and_negative_ids_are_skipped() -> None:
    # given CamVid's two "Bicyclist" classes and a class with id -1
    extra = Taxonomy(
        "camvid",
        (TaxonomyClass(-1, "plate"), TaxonomyClass(0, "Bicyclist"), TaxonomyClass(1, "Bicyclist")),
    )
    mapping = make_mapping({"rider": ["Bicyclist"], "car": ["plate"]})
    # when the table is built
    table = allowed_table(mapping, extra, source_taxonomy(mapping))
    # then both ids get the row, and -1 (never in a PNG) has none
    assert table.table.tolist() == [[True, False], [True, False]]
    assert table.extra_ids.tolist() == [0, 1]


def test_ids_no_png_holds_get_no_row_and_their_pixels_are_ignored() -> None:
    # given a 16-bit id, one above what any PNG holds, and the largest id a class may have
    extra = Taxonomy(
        "wide",
        (
            TaxonomyClass(0, "road"),
            TaxonomyClass(65535, "lane"),
            TaxonomyClass(65536, "far"),
            TaxonomyClass(2**31 - 1, "farthest"),
        ),
    )
    mapping = make_mapping({"road": ["road", "far", "farthest"], "lane": ["lane"]})
    # when the table is built
    table = allowed_table(mapping, extra, source_taxonomy(mapping))
    # then it has rows up to 65535 only, and a pixel beyond them is ignored (rule 3)
    assert table.table.shape == (65536, 2)
    assert table.extra_ids.tolist() == [0, 65535]
    probs, label = _frame([0, 65535, 65536], [[0.9, 0.1], [0.2, 0.8], [0.9, 0.1]])
    assert constrain(probs, label, table).tolist() == [[0, 1, IGNORE]]


def reference_pixel(
    p: np.ndarray, e: int, mapping: Mapping, names: list[str], threshold: float, floor: float
) -> int:
    """DESIGN.md rules 1-5 read literally, one pixel at a time (the test oracle)."""
    if not 0 <= e < len(names):
        return IGNORE
    allowed = mapping.allowed(names[e])  # rule 1
    real = sorted(s for s in allowed if s != 255)
    if not real:  # rules 2 and 3
        return IGNORE
    best = max(real, key=lambda s: (p[s], -s))  # rule 4, lowest id wins a tie
    total = np.float32(sum(np.float32(p[s]) for s in real))
    q = np.float32(p[best]) / total if total > 0 else 0.0
    if 255 in allowed and q < threshold:
        return IGNORE
    if q < floor:  # rule 5
        return IGNORE
    return best


@st.composite
def cases(draw: st.DrawFn) -> tuple[Mapping, list[str], np.ndarray, np.ndarray, float, float]:
    num_classes = draw(st.integers(1, 5))
    names = [f"e{i}" for i in range(draw(st.integers(1, 6)))]
    rows = {
        f"s{c}": draw(st.lists(st.sampled_from(names), max_size=4, unique=True))
        for c in range(num_classes)
    }
    void = draw(st.lists(st.sampled_from(names), max_size=3, unique=True))
    mapping = make_mapping(rows, void=void)
    h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    label = draw(hnp.arrays(np.int64, (h, w), elements=st.integers(-1, len(names) + 1)))
    # coarse values so exact ties happen
    probs = draw(
        hnp.arrays(np.float32, (num_classes, h, w), elements=st.sampled_from([0.0, 0.1, 0.25, 0.5]))
    )
    threshold = draw(st.sampled_from([0.0, 0.4, 0.5, 0.9]))
    floor = draw(st.sampled_from([0.0, 0.3, 0.6]))
    return mapping, names, label, probs, threshold, floor


METHODS = ["fused", "dense", "gather"]


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=300, deadline=None)
@given(cases())
def test_every_pixel_follows_the_rules(
    method: str,
    case: tuple[Mapping, list[str], np.ndarray, np.ndarray, float, float],
) -> None:
    # given any mapping, label image and teacher probabilities
    mapping, names, label, probs, threshold, floor = case
    table: AllowedTable = allowed_table(mapping, make_taxonomy(names), source_taxonomy(mapping))
    # when constrained
    out = constrain(
        probs, label, table, void_threshold=threshold, confidence_floor=floor, method=method
    )
    # then each pixel is what the rules say: in allowed(gt) or 255, unmapped never 0
    for (y, x), value in np.ndenumerate(out):
        e = int(label[y, x])
        expected = reference_pixel(probs[:, y, x], e, mapping, names, threshold, floor)
        assert value == expected, (y, x, e)
        if value != IGNORE:
            assert int(value) in mapping.allowed(names[e])


@pytest.mark.parametrize("method", METHODS)
def test_large_frame_is_tiled_without_changing_the_result(method: str) -> None:
    rng = np.random.default_rng(0)
    names = [f"e{i}" for i in range(30)]
    rows = {f"s{c}": [n for n in names if rng.random() < 0.2] for c in range(19)}
    mapping = make_mapping(rows, void=names[:5])
    table = allowed_table(mapping, make_taxonomy(names), source_taxonomy(mapping))
    probs = rng.random((19, 300, 400), dtype=np.float32)
    label = rng.integers(0, 32, (300, 400))
    out = constrain(probs, label, table, method=method)
    sample = [(int(y), int(x)) for y, x in rng.integers(0, (300, 400), (200, 2))]
    for y, x in sample:
        assert out[y, x] == reference_pixel(
            probs[:, y, x], int(label[y, x]), mapping, names, 0.5, 0
        )


def test_allowed_columns_are_padded_with_the_sentinel() -> None:
    # building and tunnel allow one column; the unmapped and padding rows none
    assert TABLE.max_allowed == 1
    assert TABLE.allowed_cols[:, 0].tolist() == [0, 1, 1, 2, 4, 3, 4, 4]
    assert TABLE.allowed_count.tolist() == [1, 1, 1, 1, 0, 1, 0, 0]


def _mixed_widths(height: int, width: int, seed: int = 3) -> tuple[AllowedTable, np.ndarray]:
    """A 19-class table whose rows allow 0-7 classes (8 void), and rounded probabilities."""
    rng = np.random.default_rng(seed)
    names = [f"e{i}" for i in range(40)]
    rows = {f"s{c}": [n for n in names if rng.random() < 3 / 19] for c in range(19)}
    mapping = make_mapping(rows, void=names[:8])
    table = allowed_table(mapping, make_taxonomy(names), source_taxonomy(mapping))
    probs = np.round(rng.random((19, height, width), dtype=np.float32), 1)  # ties and zeros
    return table, probs


@pytest.mark.parametrize("dtype", [np.int64, np.int16, np.uint8, np.uint16])
def test_all_methods_agree_on_a_frame_with_mixed_row_widths(dtype: type) -> None:
    table, probs = _mixed_widths(64, 96)
    rng = np.random.default_rng(4)
    low = 0 if np.dtype(dtype).kind == "u" else -2
    label = rng.integers(low, 45, (64, 96)).astype(dtype)
    valid = rng.random((64, 96)) > 0.1
    for threshold, floor in ((0.5, 0.0), (0.3, 0.4), (1.0, 0.0)):
        fused, dense, gather = (
            constrain(
                probs,
                label,
                table,
                void_threshold=threshold,
                confidence_floor=floor,
                valid=valid,
                method=m,
            )
            for m in ("fused", "dense", "gather")
        )
        np.testing.assert_array_equal(gather, dense)
        np.testing.assert_array_equal(fused, dense)


@pytest.mark.parametrize("dtype", [np.int64, np.uint8])
def test_fused_kernel_agrees_on_runs_of_every_length(dtype: type) -> None:
    # Runs of one label from 1 pixel to longer than the kernel's scratch (256): short ones
    # go pixel by pixel, long ones column by column, the longest in several pieces.
    table, probs = _mixed_widths(160, 256, seed=11)
    rng = np.random.default_rng(12)
    lengths = np.concatenate([rng.integers(1, 40, 300), [15, 16, 17, 255, 256, 257, 600, 5000]])
    rng.shuffle(lengths)
    values = rng.integers(0, 45, lengths.size)
    label = np.repeat(values, lengths)[: 160 * 256]
    label = np.pad(label, (0, 160 * 256 - label.size), mode="edge").reshape(160, 256)
    valid = np.ones((160, 256), dtype=bool)
    valid[:, 200:] = False  # padding inside long runs
    valid[7, 3] = False
    for threshold, floor, mask in ((0.5, 0.0, None), (0.3, 0.4, valid), (1.0, 0.0, valid)):
        kwargs = {"void_threshold": threshold, "confidence_floor": floor, "valid": mask}
        np.testing.assert_array_equal(
            constrain(probs, label.astype(dtype), table, method="fused", **kwargs),
            constrain(probs, label, table, method="dense", **kwargs),
        )


def test_fused_kernel_splits_a_large_frame_into_bands_without_changing_the_result() -> None:
    # 600 x 500 = 300,000 pixels: more than one band wherever there are two cores
    table, probs = _mixed_widths(600, 500, seed=5)
    label = np.repeat(np.random.default_rng(6).integers(0, 42, (600, 50)), 10, axis=1)
    np.testing.assert_array_equal(
        constrain(probs, label, table, method="fused"),
        constrain(probs, label, table, method="dense"),
    )


def test_fused_kernel_gives_the_same_answer_to_concurrent_callers() -> None:
    # the API's preview runs constrain from a thread pool; the band pool is shared
    table, probs = _mixed_widths(400, 700, seed=7)
    label = np.random.default_rng(8).integers(0, 42, (400, 700))
    expected = constrain(probs, label, table, method="dense")
    with ThreadPoolExecutor(4) as callers:
        results = list(callers.map(lambda _: constrain(probs, label, table), range(8)))
    for result in results:
        np.testing.assert_array_equal(result, expected)


def _constrain_in_child(args: tuple[np.ndarray, np.ndarray, AllowedTable]) -> np.ndarray:
    probs, label, table = args
    return constrain(probs, label, table)


def test_fused_kernel_works_in_a_forked_child_after_the_parent_used_it() -> None:
    # Celery's prefork pool forks after the parent may have run the kernel
    table, probs = _mixed_widths(400, 700, seed=9)
    label = np.random.default_rng(10).integers(0, 42, (400, 700))
    in_parent = constrain(probs, label, table)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        in_child = pool.apply(_constrain_in_child, ((probs, label, table),))
    np.testing.assert_array_equal(in_child, in_parent)


def test_source_ids_that_do_not_fit_a_uint8_label_are_refused() -> None:
    mapping = make_mapping({"road": ["x"]})
    source = Taxonomy("s", (TaxonomyClass(300, "road"),))
    with pytest.raises(InvalidInput, match="0-254"):
        allowed_table(mapping, make_taxonomy(["x"]), source)
