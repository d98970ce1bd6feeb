"""The ``index`` job: walk a dataset, pair files, read each label once, store histograms.

``plan`` walks the tree and diffs it against the stored frames: new or changed files
(size or mtime differ) become frame rows to read, vanished ones are deleted, unchanged
ones are left alone (incremental). ``run_chunk`` decodes its frames in a process pool
and writes sizes, histograms and per-frame errors as results arrive; a frame is marked
``indexed`` in the same transaction as its histogram, so a resumed chunk skips exactly
the frames already written. ``finish`` recomputes the frame order and label totals.

The pool stays busy from the walk to the last chunk: the plan's walk runs in it
(:mod:`ontolabel.datasets.scanning`), and when one process runs the whole job
(``ctx.inline``) the plan queues the first chunk's reads and each chunk the next one's
behind its own, so decoding never waits while rows are written or a chunk starts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, delete, func, select, text
from sqlalchemy.orm import Session

from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.core.memory import collection_paused
from ontolabel.core.paths import resolve_data_root
from ontolabel.core.writes import begin_write
from ontolabel.datasets import bulk
from ontolabel.datasets.chunks import (
    MAX_REPORTED_ERRORS,
    IndexChunk,
    dataset_of,
    read_chunk_ahead,
    run_chunk,
)
from ontolabel.datasets.layout import FrameFiles, Layout
from ontolabel.datasets.reading import default_workers, drop_read_ahead
from ontolabel.datasets.scanning import scan_in_pool
from ontolabel.datasets.service import claim_index
from ontolabel.datasets.tables import Dataset, DatasetLabelStat, Frame, FrameLabel
from ontolabel.domain.labels import ids_no_label_holds
from ontolabel.domain.sampling import orders_of
from ontolabel.jobs.kinds import JSON, JobContext, JobKind, Plan, register
from ontolabel.jobs.params import IndexParams
from ontolabel.taxonomies import repository as taxonomy_repository

CHUNK_FRAMES = 5000
"""Frames per chunk: a few minutes of work on one machine even for full-size labels."""
FRAMES = cast(Table, Frame.__table__)
FRAME_LABELS = cast(Table, FrameLabel.__table__)
LABEL_STATS = cast(Table, DatasetLabelStat.__table__)


# -- the job kind ----------------------------------------------------------------------


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


def _plan(ctx: JobContext, params: IndexParams) -> Plan[IndexChunk]:
    # A walk and rows of 140k frames are ~1M small acyclic objects: without collections
    # triggered by them, planning takes a quarter less time.
    with collection_paused():
        try:
            return _plan_frames(ctx, params)
        except BaseException:
            drop_read_ahead()  # the first chunk's reads, if queued: it will not run now
            raise


def _plan_frames(ctx: JobContext, params: IndexParams) -> Plan[IndexChunk]:
    dataset_id = params.dataset_id
    with session_scope(ctx.session_factory) as session:
        dataset = claim_index(session, dataset_id, ctx.job_id)
        dataset.index_job_id = ctx.job_id
        root = resolve_data_root(dataset.root, ctx.settings.allowed_data_roots)
        layout = layout_of(dataset)
        unheld = _classes_no_label_holds(session, dataset)
    if unheld:
        ctx.log(unheld, "warning")
    found = scan_in_pool(root, layout, params.workers or default_workers())
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
        for start in range(0, len(gone), 900):  # their histogram rows go by trigger (0007)
            session.execute(delete(Frame).where(Frame.id.in_(gone[start : start + 900])))
        changed_ids = [r["id"] for r in changed]
        for start in range(0, len(changed_ids), 900):
            ids = changed_ids[start : start + 900]
            session.execute(delete(FrameLabel).where(FrameLabel.frame_id.in_(ids)))
        _update_by_id(session, changed)
        bulk.update_rows(session, "frames", ("ordinal", "seq_pos"), ("integer", "integer"), moved)
        # Inline, the first chunk runs next, here: insert its frames first and queue its
        # reads, so the pool decodes while the rest are inserted and the plan is stored.
        head = _first_chunk_rows(new_rows, changed) if ctx.inline else 0
        bulk.insert_rows(session, "frames", ("dataset_id", *_ROW_FIELDS), new_rows[:head])
        if ctx.inline:
            _read_first_chunk_ahead(session, ctx.settings, dataset_id, params)
        bulk.insert_rows(session, "frames", ("dataset_id", *_ROW_FIELDS), new_rows[head:])
        to_read = list(session.scalars(_to_read(dataset_id)))
        if len(to_read) > CHUNK_FRAMES and session.get_bind().dialect.name == "postgresql":
            # Statistics for the rows just written: without them PostgreSQL joins each
            # chunk's batched frame update against a scan of the whole table.
            session.execute(text("ANALYZE frames"))
    for entry in found.unpaired[:MAX_REPORTED_ERRORS]:
        ctx.frame_error(entry.key, entry.problem or "unpaired")
    ctx.log(
        f"{len(new_rows)} new, {len(changed)} changed, {unchanged} unchanged, "
        f"{len(gone)} removed; {len(to_read)} frame(s) to read"
    )
    chunks = [
        _chunk_params(dataset_id, to_read[i : i + CHUNK_FRAMES], params)
        for i in range(0, len(to_read), CHUNK_FRAMES)
    ]
    return Plan(chunks=chunks, total=len(to_read))


def _classes_no_label_holds(session: Session, dataset: Dataset) -> str | None:
    """A line for the job log naming the taxonomy's classes whose ids the dataset's label PNGs
    cannot hold (Cityscapes' license plate, -1): no pixel will be indexed as one of them."""
    classes = {
        c.class_id: c.name for c in taxonomy_repository.load_classes(session, dataset.taxonomy_id)
    }
    unheld = ids_no_label_holds(classes, dataset.label_encoding)  # type: ignore[arg-type]
    if not unheld:
        return None
    named = ", ".join(f"{classes[i]!r} ({i})" for i in unheld)
    holds = "0-255" if dataset.label_encoding == "palette" else "0-65535"
    return (
        f"{dataset.label_encoding} label PNGs cannot hold the ids of {named} (they hold {holds}): "
        "no pixel will be indexed as these classes"
    )


def _chunk_params(dataset_id: int, frame_ids: list[int], params: IndexParams) -> IndexChunk:
    return IndexChunk(dataset_id=dataset_id, frame_ids=frame_ids, workers=params.workers)


def _to_read(dataset_id: int) -> Select[int]:
    """The dataset's frames still to read, in chunk order."""
    return (
        select(Frame.id)
        .where(Frame.dataset_id == dataset_id, Frame.indexed.is_(False))
        .order_by(Frame.id)
    )


def _read_first_chunk_ahead(
    session: Session, settings: Settings, dataset_id: int, params: IndexParams
) -> None:
    """Queue the first chunk's reads from inside the plan's transaction (its rows are in)."""
    first = list(session.scalars(_to_read(dataset_id).limit(CHUNK_FRAMES)))
    if first:
        read_chunk_ahead(session, settings, _chunk_params(dataset_id, first, params))


_INDEXED = 1 + _ROW_FIELDS.index("indexed")
"""Where a new row (``dataset_id`` first) says it needs no read."""


def _first_chunk_rows(new_rows: list[tuple[Any, ...]], changed: list[dict[str, Any]]) -> int:
    """How many of ``new_rows`` to insert for the first chunk to be complete: changed frames
    to read keep their (smaller) ids and come first, new ones follow in insertion order."""
    wanted = CHUNK_FRAMES - sum(not row["indexed"] for row in changed)
    for end, row in enumerate(new_rows, start=1):
        if wanted <= 0:
            return end - 1
        wanted -= not row[_INDEXED]
    return len(new_rows)


def _finish(ctx: JobContext, params: IndexParams) -> JSON:
    dataset_id = params.dataset_id
    with session_scope(ctx.session_factory) as session:
        begin_write(session)
        refresh_stats(session, dataset_id)
        dataset = dataset_of(session, dataset_id)
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
    dataset = dataset_of(session, dataset_id)
    dataset.frame_count = int(frames or 0)
    dataset.error_count = int(errors or 0)
    session.flush()


INDEX = register(
    JobKind(
        queue="cpu",
        params=IndexParams,
        chunk=IndexChunk,
        plan=_plan,
        run_chunk=run_chunk,
        finish=_finish,
    )
)
