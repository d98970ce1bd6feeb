"""The torch constraint agrees with the numpy reference and with DESIGN.md rules 1-5."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from ontolabel.domain.constraint import allowed_table
from ontolabel.domain.constraint import constrain as reference_constrain
from ontolabel.domain.mapping import Mapping, MappingRow
from ontolabel.domain.taxonomy import VOID_ID, Taxonomy, TaxonomyClass
from ontolabel_worker.ml.constrain import (
    ConstraintOptions,
    DeviceTable,
    constrain,
    frame_stats,
    soft_top_k,
    unconstrained,
)


def random_world(seed: int) -> tuple[Mapping, Taxonomy, Taxonomy, np.ndarray, np.ndarray]:
    """A random source/extra taxonomy, mapping, teacher softmax and label image."""
    rng = np.random.default_rng(seed)
    num_classes = int(rng.integers(1, 9))
    num_extra = int(rng.integers(1, 12))
    source = Taxonomy("s", tuple(TaxonomyClass(i, f"s{i}") for i in range(num_classes)))
    extra_ids = sorted(rng.choice(40, size=num_extra, replace=False).tolist())
    extra = Taxonomy("e", tuple(TaxonomyClass(int(i), f"e{i}") for i in extra_ids))
    rows = []
    for c in [*range(num_classes), VOID_ID]:
        chosen = [f"e{i}" for i in extra_ids if rng.random() < 0.3]
        rows.append(MappingRow(c, "void" if c == VOID_ID else f"s{c}", tuple(chosen)))
    mapping = Mapping("e", "s", tuple(rows))
    h, w = int(rng.integers(1, 12)), int(rng.integers(1, 12))
    # labels: mapped ids, ids the taxonomy lacks, ids beyond the table
    label = rng.choice([*extra_ids, 41, 60, 200], size=(h, w)).astype(np.int64)
    logits = rng.normal(size=(num_classes, h, w)) * rng.choice([0.1, 1.0, 5.0])
    if rng.random() < 0.2:
        logits = np.round(logits)  # exact ties
    probs = np.exp(logits) / np.exp(logits).sum(0, keepdims=True)
    if rng.random() < 0.2:  # all-zero pixels: ŝ is the first allowed class, q = 0
        probs[:, rng.random((h, w)) < 0.3] = 0
    return mapping, extra, source, probs.astype(np.float32), label


@pytest.mark.parametrize("kernel", ["torch", "auto"])
@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    void_threshold=st.sampled_from([0.0, 0.3, 0.5, 0.9, 1.0]),
    floor=st.sampled_from([0.0, 0.2, 0.6]),
    with_valid=st.booleans(),
)
def test_torch_matches_reference_and_rules(
    kernel: Literal["torch", "auto"],
    seed: int,
    void_threshold: float,
    floor: float,
    with_valid: bool,
) -> None:
    # given a random mapping, teacher softmax and extra label image
    mapping, extra, source, probs, label = random_world(seed)
    table = allowed_table(mapping, extra, source)
    valid = np.random.default_rng(seed).random(label.shape) > 0.2 if with_valid else None
    # when both implementations constrain it
    expected = reference_constrain(
        probs, label, table, void_threshold=void_threshold, confidence_floor=floor, valid=valid
    )
    got = constrain(
        torch.from_numpy(probs),
        torch.from_numpy(label),
        DeviceTable.from_allowed_table(table),
        ConstraintOptions(void_threshold=void_threshold, confidence_floor=floor),
        None if valid is None else torch.from_numpy(valid),
        kernel=kernel,
    ).numpy()
    # then they agree pixel for pixel
    np.testing.assert_array_equal(got, expected)
    # and every pixel obeys rules 2-5
    for (y, x), value in np.ndenumerate(got):
        e = int(label[y, x])
        names = [c.name for c in extra.classes if c.id == e]
        allowed = mapping.allowed(names[0]) if names else frozenset()
        real = allowed - {VOID_ID}
        if not real:  # rules 2 and 3: void-only or unmapped → ignore, never class 0
            assert value == VOID_ID
        elif value != VOID_ID:
            assert value in real
            columns = sorted(real)
            assert probs[value, y, x] == probs[columns, y, x].max()
        else:
            mass = probs[sorted(real), y, x]
            q = mass.max() / mass.sum() if mass.sum() > 0 else 0.0  # q = 0 for a zero sum
            assert (
                (VOID_ID in allowed and q < void_threshold + 1e-6)
                or q < floor + 1e-6
                or (valid is not None and not valid[y, x])
            )


def test_void_only_and_unmapped_labels_are_ignored() -> None:
    # given building → {building, void}, unlabeled → {void}, wall in no row
    source = Taxonomy("s", (TaxonomyClass(0, "road"), TaxonomyClass(1, "building")))
    extra = Taxonomy(
        "e",
        (
            TaxonomyClass(0, "street"),
            TaxonomyClass(1, "house"),
            TaxonomyClass(2, "unlabeled"),
            TaxonomyClass(3, "wall"),
            TaxonomyClass(4, "ground"),
        ),
    )
    mapping = Mapping(
        "e",
        "s",
        (
            MappingRow(0, "road", ("street", "ground")),
            MappingRow(1, "building", ("house", "ground")),
            MappingRow(VOID_ID, "void", ("house", "unlabeled", "ground")),
        ),
    )
    table = DeviceTable.from_allowed_table(allowed_table(mapping, extra, source))
    label = torch.tensor([[0, 1, 4, 2, 3, 9]])
    # road wins at the street pixel even though building is likelier; the house pixel keeps
    # building (its only real class); ground (road|building|void) is void when unsure
    probs = torch.tensor([[[0.1, 0.2, 0.6, 0.5, 0.5, 0.5]], [[0.9, 0.8, 0.4, 0.5, 0.5, 0.5]]])
    for kernel in ("torch", "auto"):
        result = constrain(
            probs, label, table, ConstraintOptions(void_threshold=0.7), kernel=kernel
        )
        assert result.tolist() == [[0, 1, VOID_ID, VOID_ID, VOID_ID, VOID_ID]]
    assert unconstrained(probs, table).tolist() == [[1, 1, 0, 0, 0, 0]]
    assert frame_stats(result, unconstrained(probs, table))["ignored"] == round(4 / 6, 6)


def test_soft_top_k_is_the_renormalised_constrained_distribution() -> None:
    mapping, extra, source, probs, label = random_world(7)
    table = DeviceTable.from_allowed_table(allowed_table(mapping, extra, source))
    ids, q = soft_top_k(torch.from_numpy(probs), torch.from_numpy(label), table, 2)
    assert ids.shape[0] == min(2, table.num_classes) and q.dtype == torch.uint8
    assert int(q.to(torch.int32).sum(0).max()) <= 256


@pytest.mark.parametrize("kernel", ["torch", "auto"])
def test_wide_mapping_with_uint8_labels_matches_reference(kernel: Literal["torch", "auto"]) -> None:
    # given 19 classes, ~3 per label (the gather path) and a uint8 label image with ids
    # beyond the table
    rng = np.random.default_rng(5)
    source = Taxonomy("s", tuple(TaxonomyClass(i, f"s{i}") for i in range(19)))
    extra = Taxonomy("e", tuple(TaxonomyClass(i, f"e{i}") for i in range(30)))
    rows = [
        MappingRow(c, f"s{c}", tuple(f"e{i}" for i in range(30) if rng.random() < 3 / 19))
        for c in range(19)
    ]
    rows.append(MappingRow(VOID_ID, "void", ("e0", "e1", "e2")))
    table = allowed_table(Mapping("e", "s", tuple(rows)), extra, source)
    probs = np.round(rng.random((19, 40, 50), dtype=np.float32), 1)  # ties and zeros
    label = rng.integers(0, 40, (40, 50)).astype(np.uint8)
    # when both constrain it, then they agree
    expected = reference_constrain(probs, label, table, void_threshold=0.4)
    got = constrain(
        torch.from_numpy(probs),
        torch.from_numpy(label),
        DeviceTable.from_allowed_table(table),
        ConstraintOptions(void_threshold=0.4),
        kernel=kernel,
    )
    np.testing.assert_array_equal(got.numpy(), expected)
