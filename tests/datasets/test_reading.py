"""Reading labels in the pool: read-ahead of the next chunk, prefetching, header sizes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ontolabel.datasets import reading
from ontolabel.datasets.reading import (
    FrameReading,
    ReadBatch,
    drop_read_ahead,
    prefetch,
    read_ahead,
    read_batch,
    read_in_pool,
)
from ontolabel.domain.labels import image_size, label_histogram, open_image
from PIL import Image

from .factories import label_array, write_frame, write_png

WORKERS = 1


class QueueOnlyPool:
    """Stands in for the process pool: records what is queued; runs it only when told."""

    def __init__(self) -> None:
        self.queued: list[tuple[Future[list[FrameReading]], ReadBatch]] = []

    def submit(
        self, fn: Callable[[ReadBatch], list[FrameReading]], batch: ReadBatch
    ) -> Future[list[FrameReading]]:
        future: Future[list[FrameReading]] = Future()
        self.queued.append((future, batch))
        return future

    def run_all(self) -> None:
        for future, batch in self.queued:
            if future.set_running_or_notify_cancel():
                future.set_result(read_batch(batch))


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[QueueOnlyPool]:
    fake = QueueOnlyPool()
    monkeypatch.setitem(reading._POOLS, WORKERS, fake)  # type: ignore[arg-type]
    yield fake
    drop_read_ahead()


def _batches(root: Path, first: int, count: int) -> list[ReadBatch]:
    return [
        ReadBatch(str(root), "id", {}, frozenset({0, 2, 4}), [(i, None, f"labels/{i}.png")])
        for i in range(first, first + count)
    ]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for i in range(6):
        write_png(tmp_path / "labels" / f"{i}.png", label_array(0))  # 48 px of 0 and 2, 32 of 4
    return tmp_path


def _read_all(reads: Any) -> dict[int, dict[int, int]]:
    return {r.frame_id: r.counts for readings in reads for r in readings}


def test_the_next_chunk_takes_over_the_reads_queued_ahead_for_it(
    root: Path, pool: QueueOnlyPool
) -> None:
    # given a chunk's reads queued, and the next chunk's queued behind them
    current = read_in_pool(_batches(root, 0, 3), WORKERS)
    read_ahead(_batches(root, 3, 3), WORKERS)
    assert len(pool.queued) == 6

    # when the current chunk finishes and the next one asks for the same batches
    pool.run_all()
    assert set(_read_all(current)) == {0, 1, 2}
    following = read_in_pool(_batches(root, 3, 3), WORKERS)

    # then nothing is queued twice and the read-ahead results are the next chunk's
    assert len(pool.queued) == 6
    assert _read_all(following) == {i: {0: 48, 2: 48, 4: 32} for i in (3, 4, 5)}


def test_a_read_ahead_for_other_batches_is_cancelled_not_used(
    root: Path, pool: QueueOnlyPool
) -> None:
    # given reads queued ahead for one set of frames
    read_ahead(_batches(root, 3, 3), WORKERS)
    stale = [future for future, _batch in pool.queued]

    # when the chunk that runs next asks for other frames (say some were written meanwhile)
    reads = read_in_pool(_batches(root, 4, 2), WORKERS)
    pool.run_all()

    # then the stale reads are cancelled before they start and the asked-for ones are read
    assert all(future.cancelled() for future in stale)
    assert set(_read_all(reads)) == {4, 5}


def test_dropping_the_read_ahead_cancels_what_has_not_started(
    root: Path, pool: QueueOnlyPool
) -> None:
    read_ahead(_batches(root, 0, 2), WORKERS)

    drop_read_ahead()

    assert all(future.cancelled() for future, _batch in pool.queued)
    assert reading._ahead is None


def test_closing_the_reads_cancels_the_batches_not_started(root: Path, pool: QueueOnlyPool) -> None:
    reads = read_in_pool(_batches(root, 0, 3), WORKERS)

    reads.close()

    assert all(future.cancelled() for future, _batch in pool.queued)


def test_prefetch_skips_missing_files_and_the_frame_read_still_reports_them(
    tmp_path: Path,
) -> None:
    write_frame(tmp_path, "s/000", label_array(0))
    batch = ReadBatch(
        str(tmp_path),
        "id",
        {},
        frozenset({0, 2, 4}),
        [(1, "images/s/000.png", "labels/s/000.png"), (2, "images/s/000.png", "labels/gone.png")],
    )

    prefetch(str(tmp_path), [None, "labels/gone.png", "images/s/000.png"])
    good, missing = read_batch(batch)

    assert (good.width, good.height, good.error) == (16, 8, None)
    assert good.counts == {0: 48, 2: 48, 4: 32}
    assert missing.error_kind == "unreadable" and missing.error is not None


def test_header_size_and_histogram_match_pillow(tmp_path: Path) -> None:
    ids = np.zeros((5, 7), dtype=np.uint8)
    ids[1:3, 2:6] = 9
    ids[4, :] = 255
    path = write_png(tmp_path / "l.png", ids)
    jpeg = tmp_path / "i.jpg"
    Image.new("RGB", (7, 5)).save(jpeg)

    with open_image(path) as label:
        counts = label_histogram(label, "id")

    assert image_size(path) == image_size(jpeg) == (7, 5)
    assert counts == {0: 20, 9: 8, 255: 7}
