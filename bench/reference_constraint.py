"""The reference approach to the constraint step, as the published reference code does it.

Shared by ``bench.bench_lint`` and ``bench.bench_constraint`` so both measure the same
baseline: a Python loop over the C source classes builds a per-class correction mask
(``mask[c] = np.isin(label, extra ids allowed for c)``), then ``probs * mask``, renormalise
by the per-pixel sum, argmax, all in float32. Where a label allows no class the sum is 0,
the division gives NaN and argmax writes class 0 — DESIGN.md rule 3, which ontolabel fixes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def reference_constrain(
    probs: npt.NDArray[np.float32], label: npt.NDArray[np.integer], table: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    """``probs [C,H,W]``, ``label [H,W]``, ``table [num_extra_ids, C]`` → column ``[H,W]``."""
    num_classes = probs.shape[0]
    mask = np.zeros(probs.shape, dtype=bool)
    for c in range(num_classes):  # the per-class loop being measured
        mask[c] = np.isin(label, np.flatnonzero(table[:, c]))
    p = probs * mask
    with np.errstate(divide="ignore", invalid="ignore"):
        p = p / p.sum(axis=0, keepdims=True)
    return np.asarray(p.argmax(axis=0))


__all__ = ["reference_constrain"]
