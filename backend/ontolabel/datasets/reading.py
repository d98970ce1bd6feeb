"""Reading label files in a process pool: plain data in, plain data out.

Kept free of SQLAlchemy and the job system so spawned pool processes start fast.
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.util
import os
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from ontolabel.domain.labels import (
    HEADER_BYTES,
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
    prefetch(batch.root, (img for _fid, img, _lbl in batch.items), HEADER_BYTES)  # sizes only
    prefetch(batch.root, (lbl for _fid, _img, lbl in batch.items))
    return [read_frame(batch.root, img, lbl, batch, fid) for fid, img, lbl in batch.items]


def prefetch(root: str, rels: Iterable[str | None], length: int = 0) -> None:
    """Have the kernel start reading these files now (``POSIX_FADV_WILLNEED``): their first
    ``length`` bytes, or all of them.

    A task's first step: without it a frame whose files are not in the page cache waits
    for its reads one after another while its core idles; hinted, they are read while
    the frames before it decode.
    """
    for rel in rels:
        if rel is None:
            continue
        try:
            fd = os.open(os.path.join(root, rel), os.O_RDONLY)
        except OSError:
            continue  # reading the frame reports it
        try:
            os.posix_fadvise(fd, 0, length, os.POSIX_FADV_WILLNEED)
        finally:
            os.close(fd)


def decode_only(batch: ReadBatch, as_ids: bool = False) -> int:
    """Decode every pixel of the labels of ``batch`` and nothing else: the bench's bound.

    Pillow's ``load()`` inflates and unfilters the whole file; ``as_ids`` also builds the
    id array (:func:`decode_label`, a copy the index job never makes). The label files are
    prefetched as in :func:`read_batch`: on a cold page cache neither waits on the disk more.
    """
    prefetch(batch.root, (lbl for _fid, _img, lbl in batch.items))
    for _fid, _img, lbl in batch.items:
        if lbl is not None:
            with open_image(os.path.join(batch.root, lbl)) as label:
                if as_ids:
                    decode_label(label, batch.encoding, batch.colors)
    return len(batch.items)


_POOLS: dict[int, ProcessPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def reader_pool(workers: int) -> ProcessPoolExecutor:
    """A spawned pool, kept for the life of the process (chunks after the first reuse it)."""
    with _POOLS_LOCK:  # two threads must not each start a pool (one would be leaked)
        pool = _POOLS.get(workers)
        if pool is None:
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
            _POOLS[workers] = pool
        return pool


def discard_pool(workers: int) -> None:
    """Forget a broken pool (a worker died): the next :func:`reader_pool` starts a new one."""
    _POOLS.pop(workers, None)


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


_ahead: tuple[list[ReadBatch], list[Future[list[FrameReading]]]] | None = None
"""What :func:`read_ahead` queued: a set of batches and their futures, or nothing."""
_AHEAD_LOCK = threading.Lock()
"""Guards ``_ahead``: a process running chunks in threads must not take another's reads."""


def read_ahead(batches: list[ReadBatch], workers: int) -> None:
    """Queue ``batches`` now for the :func:`read_in_pool` call that will ask for them.

    The index job queues its next chunk's reads behind the running chunk's, so the pool
    decodes straight through the change of chunk instead of running dry while one chunk
    ends and the next looks up its frames. Replaces (and cancels) an earlier read-ahead.
    """
    global _ahead
    pool = reader_pool(workers)
    with _AHEAD_LOCK:
        _drop_read_ahead()
        try:
            _ahead = (batches, [pool.submit(read_batch, batch) for batch in batches])
        except BrokenProcessPool:
            discard_pool(workers)
            raise


def drop_read_ahead() -> None:
    """Cancel read-ahead batches not yet started (their chunk will not run here now)."""
    with _AHEAD_LOCK:
        _drop_read_ahead()


def _drop_read_ahead() -> None:
    global _ahead
    if _ahead is not None:
        for future in _ahead[1]:
            future.cancel()
        _ahead = None


def _queue(batches: list[ReadBatch], workers: int) -> list[Future[list[FrameReading]]]:
    """Futures of ``batches``: the read-ahead's when it queued exactly these, else new."""
    global _ahead
    with _AHEAD_LOCK:
        if _ahead is not None and _ahead[0] == batches:
            futures, _ahead = _ahead[1], None
            return futures
        _drop_read_ahead()
    pool = reader_pool(workers)
    return [pool.submit(read_batch, batch) for batch in batches]


def read_in_pool(batches: Iterable[ReadBatch], workers: int) -> PoolReads:
    """Queue every batch now (they are small: ids and paths) and return their results.

    The pool keeps decoding while the caller writes results; closing the reads early
    (cancellation) drops the batches not yet started.
    """
    try:
        futures = _queue(list(batches), workers)
    except BrokenProcessPool:
        discard_pool(workers)
        raise
    return PoolReads(futures, workers)


class PoolReads:
    """Queued batches: iterate for their results as they finish; ``close`` cancels the rest."""

    def __init__(self, futures: list[Future[list[FrameReading]]], workers: int) -> None:
        self._futures = futures
        self._workers = workers

    def __iter__(self) -> Iterator[list[FrameReading]]:
        try:
            for future in as_completed(self._futures):
                yield future.result()
        except BrokenProcessPool:
            # A dead worker breaks the pool for good: forget it so the retried chunk gets a
            # new one.
            discard_pool(self._workers)
            raise

    def close(self) -> None:
        for future in self._futures:
            future.cancel()
