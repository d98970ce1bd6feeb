"""The ``index`` job: walk a dataset, pair files, read each label once, store histograms.

``plan`` walks the tree and diffs it against the stored frames: new or changed files
(size or mtime differ) become frame rows to read, vanished ones are deleted, unchanged
ones are left alone (incremental). ``run_chunk`` decodes its frames in a process pool
and writes sizes, histograms and per-frame errors as results arrive; a frame is marked
``indexed`` in the same transaction as its histogram, so a resumed chunk skips exactly
the frames already written. ``finish`` recomputes the frame order and label totals.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select, text
from sqlalchemy.orm import Session

from ontolabel.core.db import begin_write, session_scope
from ontolabel.core.memory import collection_paused
from ontolabel.core.paths import resolve_data_root
from ontolabel.datasets import bulk
from ontolabel.datasets.layout import FrameFiles, Layout, scan
from ontolabel.datasets.reading import (
    BATCH_FRAMES,
    FrameReading,
    ReadBatch,
    batch_bounds,
    default_workers,
    read_in_pool,
)
from ontolabel.datasets.tables import Dataset, DatasetLabelStat, Frame, FrameLabel
from ontolabel.domain.labels import LabelEncoding, color_table
from ontolabel.domain.sampling import orders_of
from ontolabel.errors import NotFound
from ontolabel.jobs.kinds import JSON, JobContext, JobKind, Plan, register
from ontolabel.taxonomies.tables import TaxonomyClassRecord

CHUNK_FRAMES = 5000
"""Frames per chunk: a few minutes of work on one machine even for full-size labels."""
WRITE_EVERY = 1000
"""Frames per write transaction."""
FRAMES = cast(Table, Frame.__table__)
FRAME_LABELS = cast(Table, FrameLabel.__table__)
LABEL_STATS = cast(Table, DatasetLabelStat.__table__)
MAX_REPORTED_ERRORS = 50
"""Per chunk, frame errors also sent to the job log; the rest are on the frame rows."""


# -- the job kind ----------------------------------------------------------------------


def _dataset(session: Session, dataset_id: int) -> Dataset:
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound(f"dataset {dataset_id} does not exist", field="dataset_id")
    return dataset


def layout_of(dataset: Dataset) -> Layout:
    return Layout(
        image_glob=dataset.image_glob,
        label_glob=dataset.label_glob,
        image_regex=dataset.image_regex,
        label_regex=dataset.label_regex,
        label_encoding=dataset.label_encoding,  # type: ignore[arg-type]
    )


_STAT_FIELDS = (
    "image_path",
    "label_path",
    "image_size",
    "image_mtime_ns",
    "label_size",
    "label_mtime_ns",
)
_ROW_FIELDS = (
    "key",
    *_STAT_FIELDS,
    "split",
    "sequence",
    "frame",
    "camera",
    "indexed",
    "error_kind",
    "error",
    "width",
    "height",
    "unknown_labels",
    "ordinal",
    "seq_pos",
)
"""What ``plan`` writes of a new or changed frame, in :func:`_frame_row` order."""


def _stats(found: FrameFiles) -> tuple[Any, ...]:
    """The ``_STAT_FIELDS`` of a scanned frame: unchanged values mean an unchanged frame."""
    image, label = found.image, found.label
    return (
        image.rel if image else None,
        label.rel if label else None,
        image.size if image else None,
        image.mtime_ns if image else None,
        label.size if label else None,
        label.mtime_ns if label else None,
    )


def _frame_row(
    found: FrameFiles, stats: tuple[Any, ...], order: tuple[int, int]
) -> tuple[Any, ...]:
    """A frame row in ``_ROW_FIELDS`` order, not yet read (unpaired ones are done, with their
    error: they have nothing to read)."""
    g = found.groups
    problem = found.problem
    kind = None
    if problem:
        kind = "duplicate" if "share the key" in problem else "missing_partner"
    return (
        found.key,
        *stats,
        g.get("split", ""),
        g.get("sequence", ""),
        g.get("frame", ""),
        g.get("camera", ""),
        problem is not None,
        kind,
        problem,
        None,
        None,
        None,
        *order,
    )


def _update_by_id(session: Session, rows: list[dict[str, Any]]) -> None:
    """Core executemany ``UPDATE frames SET … WHERE id = …`` (ORM bulk costs 3x at 140k)."""
    if not rows:
        return
    table = FRAMES
    columns = [c for c in rows[0] if c != "id"]
    statement = (
        table.update()
        .where(table.c.id == bindparam("b_id"))
        .values({c: bindparam(f"b_{c}") for c in columns})
    )
    session.execute(statement, [{f"b_{k}": v for k, v in r.items()} for r in rows])


def _frame_order(found: list[FrameFiles]) -> list[tuple[int, int]]:
    """(ordinal, seq_pos) of each scanned frame, in ``found`` order."""
    return orders_of(
        [
            (e.groups.get("sequence", ""), e.groups.get("frame", ""), e.groups.get("camera", ""))
            for e in found
        ]
    )


def _plan(ctx: JobContext, params: JSON) -> Plan:
    # A walk and rows of 140k frames are ~1M small acyclic objects: without collections
    # triggered by them, planning takes a quarter less time.
    with collection_paused():
        return _plan_frames(ctx, params)


def _plan_frames(ctx: JobContext, params: JSON) -> Plan:
    dataset_id = int(params["dataset_id"])
    with ctx.session_factory() as session:
        dataset = _dataset(session, dataset_id)
        root = resolve_data_root(dataset.root, ctx.settings.allowed_data_roots)
        layout = layout_of(dataset)
    found = scan(root, layout)
    ctx.log(
        f"found {found.images} image(s), {found.labels} label(s), {found.paired} pair(s), "
        f"{len(found.unpaired)} unpaired, {len(found.off_pattern)} off-pattern"
    )
    order = _frame_order(found.frames)
    with session_scope(ctx.session_factory) as session:
        begin_write(session)
        stored = {
            row.key: row
            for row in session.execute(
                select(
                    Frame.id,
                    Frame.key,
                    Frame.indexed,
                    Frame.ordinal,
                    Frame.seq_pos,
                    *(getattr(Frame, f) for f in _STAT_FIELDS),
                ).where(Frame.dataset_id == dataset_id)
            )
        }
        new_rows: list[tuple[Any, ...]] = []
        changed: list[dict[str, Any]] = []
        moved: list[tuple[int, int, int]] = []
        unchanged = 0
        for entry, place in zip(found.frames, order, strict=True):
            stats = _stats(entry)
            old = stored.pop(entry.key, None)
            if old is None:
                new_rows.append((dataset_id, *_frame_row(entry, stats, place)))
            elif old.indexed and stats == tuple(old)[-len(_STAT_FIELDS) :]:  # the select's tail
                unchanged += 1
                if (old.ordinal, old.seq_pos) != place:
                    moved.append((old.id, *place))
            else:
                row = dict(zip(_ROW_FIELDS, _frame_row(entry, stats, place), strict=True))
                changed.append({**row, "id": old.id})
        gone = [row.id for row in stored.values()]
        for start in range(0, len(gone), 900):
            ids = gone[start : start + 900]
            session.execute(delete(FrameLabel).where(FrameLabel.frame_id.in_(ids)))
            session.execute(delete(Frame).where(Frame.id.in_(ids)))
        changed_ids = [r["id"] for r in changed]
        for start in range(0, len(changed_ids), 900):
            ids = changed_ids[start : start + 900]
            session.execute(delete(FrameLabel).where(FrameLabel.frame_id.in_(ids)))
        _update_by_id(session, changed)
        bulk.update_rows(session, "frames", ("ordinal", "seq_pos"), ("integer", "integer"), moved)
        bulk.insert_rows(session, "frames", ("dataset_id", *_ROW_FIELDS), new_rows)
        to_read = list(
            session.scalars(
                select(Frame.id)
                .where(Frame.dataset_id == dataset_id, Frame.indexed.is_(False))
                .order_by(Frame.id)
            )
        )
    for entry in found.unpaired[:MAX_REPORTED_ERRORS]:
        ctx.frame_error(entry.key, entry.problem or "unpaired")
    ctx.log(
        f"{len(new_rows)} new, {len(changed)} changed, {unchanged} unchanged, "
        f"{len(gone)} removed; {len(to_read)} frame(s) to read"
    )
    chunks = [
        {
            "dataset_id": dataset_id,
            "frame_ids": to_read[i : i + CHUNK_FRAMES],
            "workers": params.get("workers"),
        }
        for i in range(0, len(to_read), CHUNK_FRAMES)
    ]
    return Plan(chunks=chunks, total=len(to_read))


_READING_COLUMNS = ("width", "height", "indexed", "error_kind", "error", "unknown_labels")
_READING_TYPES = ("integer", "integer", "boolean", "varchar", "text", "json")


def _write_readings(session: Session, dataset_id: int, readings: list[FrameReading]) -> None:
    bulk.update_rows(
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
    bulk.insert_rows(
        session,
        "frame_labels",
        ("frame_id", "label_id", "dataset_id", "pixels"),
        [(r.frame_id, label, dataset_id, px) for r in readings for label, px in r.counts.items()],
    )


def _run_chunk(ctx: JobContext, params: JSON) -> None:
    dataset_id = int(params["dataset_id"])
    with ctx.session_factory() as session:
        dataset = _dataset(session, dataset_id)
        root = str(resolve_data_root(dataset.root, ctx.settings.allowed_data_roots))
        encoding: LabelEncoding = dataset.label_encoding  # type: ignore[assignment]
        classes = session.execute(
            select(TaxonomyClassRecord.class_id, TaxonomyClassRecord.color).where(
                TaxonomyClassRecord.taxonomy_id == dataset.taxonomy_id
            )
        ).all()
        # The chunk's ids are a sorted slice of the plan's: a range scan, filtered here, is
        # 5x cheaper than binding thousands of ids into an IN list while the pool waits.
        wanted = set(params["frame_ids"])
        todo = [
            row
            for row in session.execute(
                select(Frame.id, Frame.image_path, Frame.label_path, Frame.key)
                .where(
                    Frame.dataset_id == dataset_id,
                    Frame.id.between(min(wanted, default=0), max(wanted, default=-1)),
                    Frame.indexed.is_(False),
                )
                .order_by(Frame.id)
            )
            if row.id in wanted
        ]
    keys = {row.id: row.key for row in todo}
    template = ReadBatch(
        root=root,
        encoding=encoding,
        colors=color_table({c.class_id: c.color for c in classes}),
        known_ids=frozenset(c.class_id for c in classes),
        items=[],
    )
    workers = int(params.get("workers") or default_workers())
    batches = (
        dataclasses.replace(
            template, items=[(r.id, r.image_path, r.label_path) for r in todo[start:end]]
        )
        for start, end in batch_bounds(len(todo), workers)
    )
    buffer: list[FrameReading] = []
    reported = 0
    # Frames an earlier copy of this chunk already wrote count too (the count restarts).
    unreported = len(wanted) - len(todo)
    # Once the pool holds no more than its running batches it is draining: each result is
    # then written at once, so the chunk's last write is a few frames, not up to
    # WRITE_EVERY frames written while every worker waits for the next chunk.
    draining_below = workers * BATCH_FRAMES
    outstanding = len(todo)

    def write() -> None:
        nonlocal reported, unreported
        with session_scope(ctx.session_factory) as session:
            begin_write(session)
            _write_readings(session, dataset_id, buffer)
        for r in buffer:
            if r.error and reported < MAX_REPORTED_ERRORS:
                ctx.frame_error(keys[r.frame_id], r.error)
                reported += 1
        unreported += len(buffer)
        buffer.clear()

    with contextlib.closing(read_in_pool(batches, workers)) as results:
        for readings in results:
            buffer.extend(readings)
            outstanding -= len(readings)
            if len(buffer) >= WRITE_EVERY or outstanding <= draining_below:
                write()
            if unreported >= WRITE_EVERY:
                ctx.advance(unreported)  # its own transaction: once per WRITE_EVERY frames
                unreported = 0
                if ctx.is_cancelled():
                    return
    if buffer:
        write()
    if unreported:
        ctx.advance(unreported)


def _finish(ctx: JobContext, params: JSON) -> JSON:
    dataset_id = int(params["dataset_id"])
    with session_scope(ctx.session_factory) as session:
        begin_write(session)
        refresh_stats(session, dataset_id)
        dataset = _dataset(session, dataset_id)
        dataset.index_job_id = ctx.job_id
        dataset.indexed_at = datetime.now(UTC)
        outputs = {
            "dataset_id": dataset_id,
            "frames": dataset.frame_count,
            "errors": dataset.error_count,
        }
    with session_scope(ctx.session_factory) as session:
        if session.get_bind().dialect.name == "postgresql":
            # Fresh planner statistics now, not whenever autovacuum wakes: after a first
            # index the tables grew from nothing and the sampling queries' plans need them.
            session.execute(text("ANALYZE frames"))
            session.execute(text("ANALYZE frame_labels"))
    ctx.log(f"indexed {outputs['frames']} frame(s), {outputs['errors']} with errors")
    return outputs


def refresh_stats(session: Session, dataset_id: int) -> None:
    """Rewrite the per-label totals and the dataset's frame and error counts."""
    session.execute(delete(DatasetLabelStat).where(DatasetLabelStat.dataset_id == dataset_id))
    totals = session.execute(
        select(FrameLabel.label_id, func.count(), func.sum(FrameLabel.pixels))
        .where(FrameLabel.dataset_id == dataset_id)
        .group_by(FrameLabel.label_id)
    ).all()
    if totals:
        session.execute(
            LABEL_STATS.insert(),
            [
                {"dataset_id": dataset_id, "label_id": label, "frames": n, "pixels": int(px)}
                for label, n, px in totals
            ],
        )
    frames = session.scalar(select(func.count()).where(Frame.dataset_id == dataset_id))
    errors = session.scalar(
        select(func.count()).where(Frame.dataset_id == dataset_id, Frame.error_kind.is_not(None))
    )
    dataset = _dataset(session, dataset_id)
    dataset.frame_count = int(frames or 0)
    dataset.error_count = int(errors or 0)
    session.flush()


INDEX = register(
    JobKind(name="index", queue="cpu", plan=_plan, run_chunk=_run_chunk, finish=_finish)
)
