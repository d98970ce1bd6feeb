"""One chunk of the ``index`` job: look its frames up, read them in the pool, write them.

Readings are written as they arrive, a frame's sizes, histogram rows and ``indexed`` flag
in one transaction, so a resumed chunk skips exactly the frames already written. Run
inline (``ctx.next_chunk``), a chunk queues the next one's reads behind its own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.core.paths import resolve_data_root
from ontolabel.core.writes import begin_write
from ontolabel.datasets import bulk
from ontolabel.datasets.reading import (
    BATCH_FRAMES,
    FrameReading,
    ReadBatch,
    batch_bounds,
    default_workers,
    drop_read_ahead,
    read_ahead,
    read_in_pool,
)
from ontolabel.datasets.tables import Dataset, Frame
from ontolabel.domain.labels import LabelEncoding, color_table
from ontolabel.errors import NotFound
from ontolabel.jobs.kinds import JobContext
from ontolabel.taxonomies.tables import TaxonomyClassRecord

WRITE_EVERY = 2500
"""Frames per write transaction: at 1M histogram rows a larger one writes each page of the
label index once for more rows (on SQLite at 140k frames, a fifth less per frame than 1,000)."""
WRITE_EVERY_S = 10.0
"""...or seconds, whichever comes first, so progress moves on full-size labels too."""
PROGRESS_EVERY = 1000
"""Frames written between progress updates (each is a transaction of its own)."""
MAX_REPORTED_ERRORS = 50
"""Per chunk, frame errors also sent to the job log; the rest are on the frame rows."""


class IndexChunk(BaseModel):
    """One chunk of an index job: frames of the dataset to read, a sorted slice of ids."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset_id: int
    frame_ids: list[int]
    workers: int | None = None


def dataset_of(session: Session, dataset_id: int) -> Dataset:
    """The dataset a job's parameters name (a domain error, not retried, if it is gone)."""
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound(f"dataset {dataset_id} does not exist", field="dataset_id")
    return dataset


_READING_COLUMNS = ("width", "height", "indexed", "error_kind", "error", "unknown_labels")
_READING_TYPES = ("integer", "integer", "boolean", "varchar", "text", "json")


def write_readings(session: Session, dataset_id: int, readings: list[FrameReading]) -> None:
    """Each frame's sizes, error and ``indexed`` flag, and its histogram rows.

    Rows only for frames the update found: ``frame_labels`` has no foreign key (migration
    0007), and a frame may have gone since it was read (another plan saw its files vanish).
    """
    updated = bulk.update_rows(
        session,
        "frames",
        _READING_COLUMNS,
        _READING_TYPES,
        [
            (
                r.frame_id,
                r.width,
                r.height,
                True,
                r.error_kind,
                r.error,
                json.dumps(r.unknown) if r.unknown else None,
            )
            for r in readings
        ],
    )
    if updated < len(readings):
        ids = [r.frame_id for r in readings]
        present: set[int] = set()
        for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            present.update(
                session.scalars(select(Frame.id).where(Frame.id.in_(ids[start : start + 900])))
            )
        readings = [r for r in readings if r.frame_id in present]
    bulk.insert_rows(
        session,
        "frame_labels",
        ("frame_id", "label_id", "dataset_id", "pixels"),
        [(r.frame_id, label, dataset_id, px) for r in readings for label, px in r.counts.items()],
    )


@dataclasses.dataclass(frozen=True)
class _ChunkReads:
    """What a chunk still has to read: its batches, the frames' keys, frames already written."""

    workers: int
    batches: list[ReadBatch]
    keys: dict[int, str]
    """Frame id → key of each frame to read (for the job's error log)."""
    written: int
    """Frames of the chunk an earlier copy of it already wrote (they count as done)."""


def _chunk_reads(ctx: JobContext, chunk: IndexChunk) -> _ChunkReads:
    with ctx.session_factory() as session:
        return _reads_in(session, ctx.settings, chunk)


def _reads_in(session: Session, settings: Settings, chunk: IndexChunk) -> _ChunkReads:
    dataset = dataset_of(session, chunk.dataset_id)
    root = str(resolve_data_root(dataset.root, settings.allowed_data_roots))
    encoding: LabelEncoding = dataset.label_encoding  # type: ignore[assignment]
    classes = session.execute(
        select(TaxonomyClassRecord.class_id, TaxonomyClassRecord.color).where(
            TaxonomyClassRecord.taxonomy_id == dataset.taxonomy_id
        )
    ).all()
    # The chunk's ids are a sorted slice of the plan's: a range scan, filtered here, is
    # 5x cheaper than binding thousands of ids into an IN list. By id alone: given the
    # dataset too, SQLite walks that dataset's whole index (140k rows) instead.
    wanted = set(chunk.frame_ids)
    todo = [
        row
        for row in session.execute(
            select(Frame.id, Frame.image_path, Frame.label_path, Frame.key)
            .where(
                Frame.id.between(min(wanted, default=0), max(wanted, default=-1)),
                Frame.indexed.is_(False),
            )
            .order_by(Frame.id)
        )
        if row[0] in wanted
    ]
    template = ReadBatch(
        root=root,
        encoding=encoding,
        colors=color_table({c.class_id: c.color for c in classes}),
        known_ids=frozenset(c.class_id for c in classes),
        items=[],
    )
    workers = chunk.workers or default_workers()
    items = [(frame_id, image, label) for frame_id, image, label, _key in todo]
    batches = [
        dataclasses.replace(template, items=items[start:end])
        for start, end in batch_bounds(len(items), workers)
    ]
    keys = {frame_id: key for frame_id, _image, _label, key in todo}
    return _ChunkReads(workers, batches, keys, len(wanted) - len(todo))


def run_chunk(ctx: JobContext, params: IndexChunk) -> None:
    chunk = _chunk_reads(ctx, params)
    finished = False
    try:
        with contextlib.closing(read_in_pool(chunk.batches, chunk.workers)) as results:
            upcoming = ctx.next_chunk()
            if upcoming is not None:
                # Queued behind this chunk's reads: the pool decodes on while this chunk's
                # last rows are written and the next chunk starts.
                with ctx.session_factory() as session:
                    read_chunk_ahead(session, ctx.settings, IndexChunk.model_validate(upcoming))
            finished = _write_results(
                ctx, params.dataset_id, chunk, results, drain=upcoming is None
            )
    finally:
        if not finished:
            drop_read_ahead()  # cancelled or failed: the next chunk does not start now


def _write_results(
    ctx: JobContext,
    dataset_id: int,
    chunk: _ChunkReads,
    results: Iterable[list[FrameReading]],
    drain: bool,
) -> bool:
    """Write readings as they arrive; False if the job was cancelled meanwhile.

    ``drain``: nothing is queued behind this chunk, so once the pool holds no more than its
    running batches each result is written at once: the chunk's last write is then a few
    frames, not up to WRITE_EVERY frames written while every worker waits for the next chunk.
    """
    buffer: list[FrameReading] = []
    reported = 0
    # Frames an earlier copy of this chunk already wrote count too (the count restarts).
    unreported = chunk.written
    draining_below = chunk.workers * BATCH_FRAMES if drain else 0
    outstanding = len(chunk.keys)
    write_by = time.monotonic() + WRITE_EVERY_S

    def write() -> None:
        nonlocal reported, unreported, write_by
        with session_scope(ctx.session_factory) as session:
            begin_write(session)
            write_readings(session, dataset_id, buffer)
        for r in buffer:
            if r.error and reported < MAX_REPORTED_ERRORS:
                ctx.frame_error(chunk.keys[r.frame_id], r.error)
                reported += 1
        unreported += len(buffer)
        buffer.clear()
        write_by = time.monotonic() + WRITE_EVERY_S

    for readings in results:
        buffer.extend(readings)
        outstanding -= len(readings)
        if (
            len(buffer) >= WRITE_EVERY
            or outstanding <= draining_below
            or time.monotonic() >= write_by
        ):
            write()
            if unreported >= PROGRESS_EVERY:
                ctx.advance(unreported)  # its own transaction
                unreported = 0
            if ctx.is_cancelled():
                return False
    if buffer:
        write()
    if unreported:
        ctx.advance(unreported)
    return True


def read_chunk_ahead(session: Session, settings: Settings, chunk: IndexChunk) -> None:
    """Queue a chunk's reads now, its frames looked up in ``session`` (the plan's, holding
    them uncommitted), for the chunk itself to take over when it runs in this process."""
    reads = _reads_in(session, settings, chunk)
    read_ahead(reads.batches, reads.workers)
