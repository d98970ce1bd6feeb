"""The constraint's fused CPU kernel: one pass per pixel, compiled by numba.

numpy's vectorised lookup (``constraint._constrain_gather``) makes ~10 passes over each
tile (gather, max, sum, compare, divide, ...); this kernel visits every pixel once and reads
only the probabilities its label allows — none where the label allows one class and neither
void nor a confidence floor applies, the common case in the published mappings. It keeps
the rules and arithmetic of ``constraint.constrain`` exactly (float32 sums in ascending
column order, the lowest column wins a tie, ``q = 0`` for a zero sum, float32 thresholds);
the tests hold it to the numpy forms pixel for pixel.

The kernel releases the GIL; ``fused_constrain`` splits the image into bands of pixels run
on a small thread pool (one per process, so a forked child makes its own). numba's parallel
layers are avoided on purpose: ``workqueue`` aborts when two threads call a parallel kernel
at once (the API's preview runs in a thread pool), and OpenMP breaks after fork (Celery's
prefork pool). Compiled code is cached on disk next to this module.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numba
import numpy as np
import numpy.typing as npt

_IGNORE = np.uint8(255)

_MIN_PIXELS_PER_BAND = 1 << 16
"""Below this many pixels per band handing it to a thread costs more than it saves."""

_BANDS_PER_THREAD = 4
"""Bands per pool thread: work is uneven across an image, so threads take bands as they free."""


_COMPUTE = 256
"""``direct[e]`` value meaning "compare the allowed probabilities"; 0-255 is written as is."""


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _kernel(  # pragma: no cover - compiled; covered through fused_constrain
    probs: npt.NDArray[np.float32],  # [C, P]
    label: npt.NDArray[np.integer],  # [P]
    valid: npt.NDArray[np.bool_],  # [P], or [1] when use_valid is False
    use_valid: bool,
    direct: npt.NDArray[np.int16],  # [E+1]: the pixel's value when it needs no comparison
    cols: npt.NDArray[np.intp],  # [E+1, K]: allowed columns ascending, row E empty
    count: npt.NDArray[np.intp],  # [E+1]
    void: npt.NDArray[np.bool_],  # [E+1]
    source_ids: npt.NDArray[np.uint8],  # [C]
    void_threshold: np.float32,
    confidence_floor: np.float32,
    out: npt.NDArray[np.uint8],  # [P]
    start: int,
    stop: int,
) -> None:
    num_rows = count.shape[0] - 1
    zero = np.float32(0.0)
    for i in range(start, stop):
        e = label[i]
        row = num_rows if e < 0 or e >= num_rows else e
        if use_valid and not valid[i]:  # rule 5: padding
            out[i] = _IGNORE
            continue
        d = direct[row]
        if d != _COMPUTE:  # rules 2 and 3, or one class with nothing to compare
            out[i] = d
            continue
        n = count[row]
        best = cols[row, 0]
        best_p = probs[best, i]
        total = best_p
        for k in range(1, n):
            c = cols[row, k]
            p = probs[c, i]
            total += p
            if p > best_p:  # strict: the lowest column keeps a tie
                best_p = p
                best = c
        q = best_p / total if total > zero else zero
        if (void[row] and q < void_threshold) or q < confidence_floor:  # rules 4 and 5
            out[i] = _IGNORE
        else:
            out[i] = source_ids[best]


_pools: dict[int, tuple[ThreadPoolExecutor, int]] = {}
_pools_lock = threading.Lock()


def _pool() -> tuple[ThreadPoolExecutor, int]:
    """This process's band pool and its size (a fork inherits the dict, not the threads)."""
    pid = os.getpid()
    with _pools_lock:
        entry = _pools.get(pid)
        if entry is None:
            workers = max(1, min(8, len(os.sched_getaffinity(0))))
            pool = ThreadPoolExecutor(workers, thread_name_prefix="constrain")
            entry = _pools[pid] = (pool, workers)
        return entry


def fused_constrain(
    probs: npt.NDArray[np.float32],
    label: npt.NDArray[np.integer],
    cols: npt.NDArray[np.intp],
    count: npt.NDArray[np.intp],
    void: npt.NDArray[np.bool_],
    source_ids: npt.NDArray[np.uint8],
    void_threshold: float,
    confidence_floor: float,
    valid: npt.NDArray[np.bool_] | None,
) -> npt.NDArray[np.uint8]:
    """``probs [C, P]`` float32 C-contiguous, ``label [P]`` → uint8 ``[P]`` (see module doc).

    Rows decided without reading a probability are resolved once per call into ``direct``:
    no allowed class → 255 (rules 2, 3); exactly one, no void and no floor → its id (``q``
    is then never compared). A ``confidence_floor`` <= 0 never drops a pixel (``q >= 0``).
    """
    pixels = label.shape[0]
    direct = np.full(count.shape[0], _COMPUTE, dtype=np.int16)
    direct[count == 0] = _IGNORE
    if not confidence_floor > 0:
        single = (count == 1) & ~void
        direct[single] = source_ids[cols[single, 0]]
    out = np.empty(pixels, dtype=np.uint8)
    use_valid = valid is not None
    valid_arr = np.ascontiguousarray(valid) if valid is not None else np.ones(1, dtype=bool)
    args = (
        probs,
        np.ascontiguousarray(label),
        valid_arr,
        use_valid,
        direct,
        cols,
        count,
        void,
        source_ids,
        np.float32(void_threshold),
        np.float32(confidence_floor),
        out,
    )
    pool, workers = _pool()
    bands = max(1, min(workers * _BANDS_PER_THREAD, pixels // _MIN_PIXELS_PER_BAND))
    if bands == 1:
        _kernel(*args, 0, pixels)
        return out
    edges = np.linspace(0, pixels, bands + 1).astype(np.int64)
    futures = [pool.submit(_kernel, *args, int(a), int(b)) for a, b in pairwise(edges)]
    for future in futures:
        future.result()
    return out


__all__ = ["fused_constrain"]
