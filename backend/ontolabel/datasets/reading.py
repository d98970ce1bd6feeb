"""Reading label files in a process pool: plain data in, plain data out.

Kept free of SQLAlchemy and the job system so spawned pool processes start fast.
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.util
import os
from collections.abc import Generator, Iterable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from ontolabel.domain.labels import (
    LabelDecodeError,
    LabelEncoding,
    decode_label,
    image_size,
    label_histogram,
    open_image,
)

BATCH_FRAMES = 128
"""Frames per pool task: large enough that pickling is noise next to decoding."""
TAIL_BATCH_FRAMES = 8
"""The smallest task, at the end of a chunk (see :func:`batch_bounds`)."""


@dataclass(frozen=True)
class ReadBatch:
    root: str
    encoding: LabelEncoding
    colors: dict[int, int]
    known_ids: frozenset[int]
    items: list[tuple[int, str | None, str | None]]  # frame id, image rel, label rel


@dataclass
class FrameReading:
    frame_id: int
    width: int | None = None
    height: int | None = None
    counts: dict[int, int] = field(default_factory=dict)
    unknown: list[int] = field(default_factory=list)
    error_kind: str | None = None
    error: str | None = None


def _error_kind(message: str) -> str:
    if "truncated" in message:
        return "truncated"
    if "too large" in message:
        return "too_large"
    return "unreadable"


def batch_bounds(total: int, workers: int) -> list[tuple[int, int]]:
    """``[start, end)`` of each pool task over ``total`` frames, in order.

    Guided scheduling: ``BATCH_FRAMES`` while plenty is left, then a ``1 / (2 · workers)``
    share of the rest, so the last tasks are a few frames and all workers run dry
    together instead of one decoding a whole batch while the others wait for the next
    chunk.
    """
    bounds = []
    start = 0
    while start < total:
        share = -(-(total - start) // (2 * workers))
        end = min(total, start + max(TAIL_BATCH_FRAMES, min(BATCH_FRAMES, share)))
        bounds.append((start, end))
        start = end
    return bounds


def read_frame(
    root: str, image_rel: str | None, label_rel: str | None, batch: ReadBatch, frame_id: int
) -> FrameReading:
    """Size from the image header, histogram from the label; problems become the frame's error."""
    out = FrameReading(frame_id)
    image_dims: tuple[int, int] | None = None
    if image_rel is not None:
        try:
            image_dims = image_size(os.path.join(root, image_rel))
            out.width, out.height = image_dims
        except LabelDecodeError as exc:
            out.error_kind, out.error = _error_kind(str(exc)), f"image: {exc}"
    if label_rel is None:
        return out
    try:
        with open_image(os.path.join(root, label_rel)) as label:
            out.counts = label_histogram(label, batch.encoding, batch.colors)
            label_dims = (label.width, label.height)
    except LabelDecodeError as exc:
        out.error_kind, out.error = _error_kind(str(exc)), f"label: {exc}"
        return out
    out.unknown = sorted(set(out.counts) - batch.known_ids)
    if image_dims is None:
        out.width, out.height = label_dims
    elif label_dims != image_dims and out.error_kind is None:
        out.error_kind = "size_mismatch"
        out.error = (
            f"label is {label_dims[0]}x{label_dims[1]}, image {image_dims[0]}x{image_dims[1]}"
        )
    return out


def read_batch(batch: ReadBatch) -> list[FrameReading]:
    return [read_frame(batch.root, img, lbl, batch, fid) for fid, img, lbl in batch.items]


def decode_only(batch: ReadBatch, as_ids: bool = False) -> int:
    """Decode every pixel of the labels of ``batch`` and nothing else: the bench's bound.

    Pillow's ``load()`` inflates and unfilters the whole file; ``as_ids`` also builds the
    id array (:func:`decode_label`, a copy the index job never makes).
    """
    for _fid, _img, lbl in batch.items:
        if lbl is not None:
            with open_image(os.path.join(batch.root, lbl)) as label:
                if as_ids:
                    decode_label(label, batch.encoding, batch.colors)
    return len(batch.items)


_POOLS: dict[int, ProcessPoolExecutor] = {}


def reader_pool(workers: int) -> ProcessPoolExecutor:
    """A spawned pool, kept for the life of the process (chunks after the first reuse it)."""
    pool = _POOLS.get(workers)
    if pool is None:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        _POOLS[workers] = pool
    return pool


def _close_pools() -> None:
    for pool in _POOLS.values():
        pool.shutdown(wait=True, cancel_futures=True)
    _POOLS.clear()


# A main process runs atexit hooks; a multiprocessing child (the embedded job runner) skips
# them and instead joins its children on exit, which would wait forever on a live pool.
# Priority above the queues' own close finalizers (10), so the shutdown sentinels still go out.
atexit.register(_close_pools)
multiprocessing.util.Finalize(None, _close_pools, exitpriority=100)


def default_workers() -> int:
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


def read_in_pool(
    batches: Iterable[ReadBatch], workers: int
) -> Generator[list[FrameReading], None, None]:
    """Results batch by batch as they finish.

    Every batch of the chunk is queued at once (they are small: ids and paths), so the
    pool keeps decoding while the caller writes results; closing the iterator early
    (cancellation) drops the batches not yet started.
    """
    pool = reader_pool(workers)
    futures: list[Future[list[FrameReading]]] = []
    try:
        futures = [pool.submit(read_batch, batch) for batch in batches]
        for future in as_completed(futures):
            yield future.result()
    except BrokenProcessPool:
        # A dead worker breaks the pool for good: forget it so the retried chunk gets a new one.
        _POOLS.pop(workers, None)
        raise
    finally:
        for future in futures:
            future.cancel()
