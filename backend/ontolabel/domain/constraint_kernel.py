"""The constraint's fused CPU kernel: one pass per pixel, compiled by numba.

numpy's vectorised lookup (``constraint._constrain_gather``) makes ~10 passes over each tile
(gather, max, sum, compare, divide, ...); this kernel visits every pixel once and reads only
the probabilities its label allows — none where the label allows one class and neither void
nor a confidence floor applies, the common case in the published mappings. Labels come in
runs (regions of one class), so it works run by run: a run needing no comparison is a fill,
a long one is compared column by column in vector code, a short one pixel by pixel (figures:
docs/performance.md, "Labeler"). It keeps the rules and arithmetic of
``constraint.constrain`` exactly (float32 sums in ascending column order, the lowest column
wins a tie, ``q = 0`` for a zero sum, float32 thresholds); the tests hold it to the numpy
forms pixel for pixel.

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

_RUN = 256
"""Longest run of one label handled at once: its scratch columns (3 KB) stay in L1 cache
next to the probabilities streaming through (at 2048 they did not, and it ran 2x slower)."""

_MIN_RUN = 16
"""Shorter runs are resolved pixel by pixel: column passes pay off from about this length."""


@numba.njit(nogil=True, cache=True, boundscheck=False, inline="always")
def _pixel(  # pragma: no cover - compiled; covered through fused_constrain
    probs: npt.NDArray[np.float32],
    i: np.uintp,
    row: int,
    cols: npt.NDArray[np.intp],
    count: npt.NDArray[np.intp],
    void: npt.NDArray[np.bool_],
    source_ids: npt.NDArray[np.uint8],
    void_threshold: np.float32,
    confidence_floor: np.float32,
) -> np.uint8:
    """One pixel's value by rules 4 and 5 (its row needs a comparison)."""
    zero = np.float32(0.0)
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
    if (void[row] and q < void_threshold) or q < confidence_floor:
        return _IGNORE
    return source_ids[best]


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
    zero, one = np.float32(0.0), np.float32(1.0)
    best_p = np.empty(_RUN, dtype=np.float32)
    total = np.empty(_RUN, dtype=np.float32)
    best = np.empty(_RUN, dtype=np.int32)
    i = start
    while i < stop:
        # A run of pixels with one label (at most _RUN): one row of the table for all.
        e = label[i]
        end = min(stop, i + _RUN)
        j = i + 1
        while j < end and label[np.uintp(j)] == e:
            j += 1
        row = num_rows if e < 0 or e >= num_rows else e
        d = direct[row]
        m = j - i
        # Indexing through slices from 0 (and unsigned indices): an index the compiler cannot
        # prove non-negative gets a wraparound branch per element, which blocks vector code
        # (the run's final loop ran 16x slower as ``out[i + x]``).
        run_out = out[i:j]
        if d != _COMPUTE:  # rules 2 and 3, or one class with nothing to compare
            run_out[:] = np.uint8(d)
        elif m < _MIN_RUN:
            for x in range(m):
                run_out[x] = _pixel(
                    probs,
                    np.uintp(i + x),
                    row,
                    cols,
                    count,
                    void,
                    source_ids,
                    void_threshold,
                    confidence_floor,
                )
        else:
            # Column by column over the run: contiguous reads, compiled to vector code.
            # ``best`` holds the winning column's source id; branch-free selects throughout.
            first = cols[row, 0]
            first_id = np.int32(source_ids[first])
            plane = probs[first, i:j]
            for x in range(m):
                best_p[x] = plane[x]
                total[x] = plane[x]
                best[x] = first_id
            for k in range(1, count[row]):  # ascending: sums as in the per-pixel form
                c = cols[row, k]
                c_id = np.int32(source_ids[c])
                plane = probs[c, i:j]
                for x in range(m):
                    p = plane[x]
                    total[x] = total[x] + p
                    held = best_p[x]
                    above = p > held  # strict: the lowest column keeps a tie
                    best_p[x] = p if above else held
                    best[x] = c_id if above else best[x]
            is_void = void[row]
            for x in range(m):
                t = total[x]
                # a zero sum means every allowed p is 0, so best_p / 1 is the rule's q = 0
                q = best_p[x] / (t if t > zero else one)
                drop = (is_void & (q < void_threshold)) | (q < confidence_floor)
                run_out[x] = _IGNORE if drop else np.uint8(best[x])
        if use_valid:  # rule 5: padding
            run_valid = valid[i:j]
            for x in range(m):
                if not run_valid[x]:
                    run_out[x] = _IGNORE
        i = j


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
