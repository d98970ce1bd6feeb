"""Every query of the datasets domain; sized for 140k-frame datasets (index scans, no sorts)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from ontolabel.datasets.tables import (
    Dataset,
    DatasetLabelStat,
    Frame,
    FrameLabel,
    SampleSet,
    shuffle_key_sql,
)
from ontolabel.domain.sampling import SHUFFLE_MASK, SamplingRule, shuffle_distance


def get_dataset(session: Session, dataset_id: int, *, for_update: bool = False) -> Dataset | None:
    if for_update:
        # Row lock on PostgreSQL; SQLite writers already queue on BEGIN IMMEDIATE.
        return session.get(Dataset, dataset_id, with_for_update=True, populate_existing=True)
    return session.get(Dataset, dataset_id)


def get_dataset_by_name(session: Session, name: str) -> Dataset | None:
    return session.scalar(select(Dataset).where(Dataset.name == name))


def list_datasets(session: Session, offset: int, limit: int) -> tuple[list[Dataset], int]:
    total = session.scalar(select(func.count()).select_from(Dataset)) or 0
    rows = session.scalars(select(Dataset).order_by(Dataset.name).offset(offset).limit(limit))
    return list(rows), total


def pool_conditions(
    dataset_id: int, rule: SamplingRule, *, has_error: bool | None = None
) -> list[ColumnElement[bool]]:
    """WHERE terms on ``frames`` for the rule's SQL-side parts (every Nth, filters)."""
    terms: list[ColumnElement[bool]] = [Frame.dataset_id == dataset_id]
    if rule.every and rule.every > 1:
        terms.append(Frame.seq_pos % rule.every == 0)
    if rule.camera is not None:
        terms.append(Frame.camera == rule.camera)
    if rule.sequence is not None:
        terms.append(Frame.sequence == rule.sequence)
    if rule.split is not None:
        terms.append(Frame.split == rule.split)
    if has_error is not None:
        terms.append(Frame.error_kind.is_not(None) if has_error else Frame.error_kind.is_(None))
    if rule.labels:
        # Through the covering (dataset, label, pixels, frame) index, not a probe per frame.
        terms.append(
            Frame.id.in_(
                select(FrameLabel.frame_id).where(
                    FrameLabel.dataset_id == dataset_id,
                    FrameLabel.label_id.in_(list(rule.labels)),
                )
            )
        )
    return terms


def filtered_ids(
    dataset_id: int, rule: SamplingRule, *, has_error: bool | None = None
) -> Select[Any]:
    """Frame ids the rule's SQL-side parts select (every Nth, filters), in frame order."""
    return ids_where(pool_conditions(dataset_id, rule, has_error=has_error))


def ids_where(terms: Sequence[ColumnElement[bool]]) -> Select[Any]:
    """Ids of the frames ``terms`` select, in frame order."""
    return select(Frame.id).where(*terms).order_by(Frame.ordinal)


def count_pool(
    session: Session, dataset_id: int, rule: SamplingRule, *, has_error: bool | None = None
) -> int:
    """How many frames the rule's SQL-side parts select.

    With a label filter the count starts from that label's frames (the label index)
    rather than testing every frame of the dataset against them.
    """
    terms = pool_conditions(dataset_id, replace(rule, labels=()), has_error=has_error)
    if not rule.labels:
        return session.scalar(select(func.count()).select_from(Frame).where(*terms)) or 0
    q = select(func.count(func.distinct(FrameLabel.frame_id))).where(
        FrameLabel.dataset_id == dataset_id, FrameLabel.label_id.in_(list(rule.labels))
    )
    if len(terms) > 1:  # filters on the frames besides their dataset
        q = q.join(Frame, Frame.id == FrameLabel.frame_id).where(*terms)
    return session.scalar(q) or 0


def page_ids(session: Session, ids: Select[Any], offset: int, limit: int) -> list[int]:
    return list(session.scalars(ids.offset(offset).limit(limit)))


def all_ids(session: Session, ids: Select[Any]) -> list[int]:
    return list(session.scalars(ids))


def pool_extent(session: Session, terms: Sequence[ColumnElement[bool]]) -> tuple[int, int, int]:
    """(frames, lowest ordinal, highest ordinal) of the pool ``terms`` select; one index scan."""
    row = session.execute(
        select(func.count(), func.min(Frame.ordinal), func.max(Frame.ordinal)).where(*terms)
    ).one()
    return int(row[0]), int(row[1] if row[1] is not None else 0), int(row[2] or 0)


def _ids_by_key(
    session: Session, values: Sequence[int], query: Callable[[Sequence[int]], Select[int, int]]
) -> list[int]:
    """Ids from ``query(part)`` (rows of sort key, id) over ``values`` in parts of 900
    (SQLite's bound-parameter limit), sorted by the key."""
    rows: list[tuple[int, int]] = []
    for start in range(0, len(values), 900):
        rows += session.execute(query(values[start : start + 900])).all()
    return [i for _key, i in sorted(rows)]


def ids_at_ordinals(session: Session, dataset_id: int, ordinals: Sequence[int]) -> list[int]:
    """Ids of the frames at these ordinals, in frame order."""
    return _ids_by_key(
        session,
        ordinals,
        lambda part: select(Frame.ordinal, Frame.id).where(
            Frame.dataset_id == dataset_id, Frame.ordinal.in_(part)
        ),
    )


def ids_at_positions(
    session: Session, terms: Sequence[ColumnElement[bool]], positions: Sequence[int]
) -> list[int]:
    """Ids at these 0-based positions of the pool in frame order (numbered in SQL)."""
    numbered = (
        select(Frame.id, (func.row_number().over(order_by=Frame.ordinal) - 1).label("pos"))
        .where(*terms)
        .subquery()
    )
    return _ids_by_key(
        session,
        positions,
        lambda part: select(numbered.c.pos, numbered.c.id).where(numbered.c.pos.in_(part)),
    )


def in_frame_order(session: Session, ids: Sequence[int]) -> list[int]:
    """``ids`` sorted by frame order."""
    return _ids_by_key(
        session, ids, lambda part: select(Frame.ordinal, Frame.id).where(Frame.id.in_(part))
    )


def pool_members(session: Session, terms: Sequence[ColumnElement[bool]]) -> dict[int, list[int]]:
    """Label id → ids of the pool's frames containing it (for small pools)."""
    members: dict[int, list[int]] = defaultdict(list)
    rows = session.execute(
        select(FrameLabel.label_id, FrameLabel.frame_id)
        .join(Frame, Frame.id == FrameLabel.frame_id)
        .where(*terms)
    )
    for label, frame_id in rows:
        members[label].append(frame_id)
    return members


LabelledIds = list[tuple[int, frozenset[int]]]


class LabelWalks:
    """The pool's first ``n`` frames of a label in the walk from ``start``, two ways.

    Built once per sampling request: its statements take the label, start and ``n`` as
    bound parameters, so the dozens of walks of one "at least k per label" draw share
    them instead of building (and compiling) a statement each, half of that request's time.
    """

    def __init__(
        self,
        session: Session,
        dataset_id: int,
        terms: Sequence[ColumnElement[bool]],
        *,
        filtered: bool,
    ) -> None:
        self._session = session
        label, start, n = (
            bindparam("label", type_=Integer),
            bindparam("start", type_=BigInteger),
            bindparam("n", type_=Integer),
        )
        # Every frame of the label (the covering label index), nearest ``start`` first:
        # for rare labels.
        distance = (literal_column(shuffle_key_sql("frame_labels.frame_id")) - start).bitwise_and(
            SHUFFLE_MASK
        )
        scan = select(FrameLabel.frame_id.label("id")).where(
            FrameLabel.dataset_id == dataset_id, FrameLabel.label_id == label
        )
        if filtered:
            scan = scan.join(Frame, Frame.id == FrameLabel.frame_id).where(*terms)
        self._scan = _with_labels(scan.order_by(distance, FrameLabel.frame_id).limit(n))
        # The frames in shuffle order (``ix_frames_dataset_shuffle``) from ``start``, each
        # probed for the label: for common labels, where a few steps find ``n``.
        key: ColumnElement[int] = literal_column(shuffle_key_sql("frames.id"), Integer)
        has_label = (
            select(FrameLabel.frame_id)
            .where(FrameLabel.frame_id == Frame.id, FrameLabel.label_id == label)
            .exists()
        )
        after, before = (
            select(Frame.id)
            .where(*terms, side, has_label)
            .order_by(key, Frame.id)
            .limit(n)
            .subquery()
            for side in (key >= start, key < start)
        )
        both = union_all(select(after.c.id), select(before.c.id))
        self._walk = _with_labels(select(both.subquery().c.id))

    def by_label_scan(self, label: int, start: int, n: int) -> LabelledIds:
        """Reads every frame of ``label``: for rare labels."""
        return self._run(self._scan, label, start, n)

    def by_frame_walk(self, label: int, start: int, n: int) -> LabelledIds:
        """Probes frames in shuffle order until ``n`` have ``label``: for common ones."""
        return self._run(self._walk, label, start, n)

    def _run(self, statement: Select[Any], label: int, start: int, n: int) -> LabelledIds:
        labels: dict[int, set[int]] = defaultdict(set)
        for frame_id, other in self._session.execute(
            statement, {"label": label, "start": start, "n": n}
        ):
            labels[frame_id].add(other)
        ordered = sorted(labels, key=lambda i: shuffle_distance(i, start))[:n]
        return [(i, frozenset(labels[i])) for i in ordered]


def _with_labels(candidates: Select[Any]) -> Select[Any]:
    """The candidates (one ``id`` column) joined with each of their labels."""
    sub = candidates.subquery()
    other = aliased(FrameLabel)
    return select(sub.c.id, other.label_id).join(other, other.frame_id == sub.c.id)


def image_paths(session: Session, ids: Select[Any]) -> list[str]:
    """Image paths of the frames ``ids`` selects, in its order (no ORM objects)."""
    inner = ids.subquery()
    rows = session.execute(
        select(Frame.image_path)
        .join(inner, inner.c.id == Frame.id)
        .where(Frame.image_path.is_not(None))
        .order_by(Frame.ordinal)
    )
    return [r[0] for r in rows if r[0] is not None]


def frames_by_ids(session: Session, ids: Sequence[int]) -> list[Frame]:
    """Frames in the order of ``ids``."""
    found: dict[int, Frame] = {}
    for start in range(0, len(ids), 900):
        for f in session.scalars(select(Frame).where(Frame.id.in_(ids[start : start + 900]))):
            found[f.id] = f
    return [found[i] for i in ids if i in found]


def labelled_frames(
    session: Session,
    dataset_id: int,
    frame_ids: Sequence[int] | None = None,
    *,
    splits: Sequence[str] | None = None,
) -> list[Frame]:
    """The dataset's frames that have both an image and a label (optionally only
    ``frame_ids``, or only those of ``splits``), in frame order: what a job works on."""
    query = select(Frame).where(
        Frame.dataset_id == dataset_id,
        Frame.image_path.is_not(None),
        Frame.label_path.is_not(None),
    )
    if splits is not None:
        query = query.where(Frame.split.in_(list(splits)))
    if frame_ids is None:
        return list(session.scalars(query.order_by(Frame.ordinal, Frame.seq_pos, Frame.id)))
    ids = list(frame_ids)
    found = [
        frame
        for start in range(0, len(ids), 900)  # SQLite binds at most 32k parameters
        for frame in session.scalars(query.where(Frame.id.in_(ids[start : start + 900])))
    ]
    return sorted(found, key=lambda f: (f.ordinal, f.seq_pos, f.id))


def labelled_frames_per_split(session: Session, dataset_id: int) -> dict[str, int]:
    """How many frames with an image and a label each split has ("" for none)."""
    rows = session.execute(
        select(Frame.split, func.count())
        .where(
            Frame.dataset_id == dataset_id,
            Frame.image_path.is_not(None),
            Frame.label_path.is_not(None),
        )
        .group_by(Frame.split)
    )
    return {split: n for split, n in rows}


def label_stats(session: Session, dataset_id: int) -> list[DatasetLabelStat]:
    return list(
        session.scalars(
            select(DatasetLabelStat)
            .where(DatasetLabelStat.dataset_id == dataset_id)
            .order_by(DatasetLabelStat.label_id)
        )
    )


def frames_with_labels(
    session: Session, dataset_id: int, label_ids: Sequence[int], offset: int, limit: int
) -> tuple[list[tuple[int, int]], int]:
    """(frame id, pixels of these labels), most pixels first, and how many frames."""
    if len(label_ids) == 1:
        base = select(FrameLabel.frame_id, FrameLabel.pixels.label("px")).where(
            FrameLabel.dataset_id == dataset_id, FrameLabel.label_id == label_ids[0]
        )
        total = session.scalar(
            select(func.coalesce(func.sum(DatasetLabelStat.frames), 0)).where(
                DatasetLabelStat.dataset_id == dataset_id,
                DatasetLabelStat.label_id == label_ids[0],
            )
        )
        rows = session.execute(
            base.order_by(FrameLabel.pixels.desc(), FrameLabel.frame_id).offset(offset).limit(limit)
        ).all()
        return [(r[0], int(r[1])) for r in rows], int(total or 0)
    # Summed as integers: PostgreSQL sums bigints into numerics, a fifth of this query's
    # time. One label's pixels in one frame stay below labels.MAX_IMAGE_PIXELS (2**26).
    px = func.sum(cast(FrameLabel.pixels, Integer)).label("px")
    of_labels = (FrameLabel.dataset_id == dataset_id, FrameLabel.label_id.in_(list(label_ids)))
    sums = (
        select(FrameLabel.frame_id, px).where(*of_labels).group_by(FrameLabel.frame_id).cte("sums")
    )
    # Read twice, the sums are computed once (both databases materialise such a CTE),
    # which beats a window count over the groups by a fifth on SQLite.
    counted = select(func.count()).select_from(sums).scalar_subquery()
    page = session.execute(
        select(sums.c.frame_id, sums.c.px, counted)
        .order_by(sums.c.px.desc(), sums.c.frame_id)
        .offset(offset)
        .limit(limit)
    ).all()
    if page:
        return [(r[0], int(r[1])) for r in page], int(page[0][2])
    total = session.scalar(select(func.count(func.distinct(FrameLabel.frame_id))).where(*of_labels))
    return [], int(total or 0)


def summary_counts(session: Session, dataset_id: int) -> dict[str, dict[str, int]]:
    """Frames per error kind, split and camera; sequences; indexed frames.

    Three index-only passes (sequence/camera/split, error kind/read, the partial index
    of frames with unknown labels) instead of a scan of the wide ``frames`` rows per count.
    """
    splits: dict[str, int] = defaultdict(int)
    cameras: dict[str, int] = defaultdict(int)
    sequences: set[str] = set()
    for sequence, camera, split, n in session.execute(
        select(Frame.sequence, Frame.camera, Frame.split, func.count())
        .where(Frame.dataset_id == dataset_id)
        .group_by(Frame.sequence, Frame.camera, Frame.split)
    ):
        sequences.add(sequence)
        cameras[camera] += n
        splits[split] += n
    errors: dict[str, int] = defaultdict(int)
    indexed = 0
    for kind, was_read, n in session.execute(
        select(Frame.error_kind, Frame.indexed, func.count())
        .where(Frame.dataset_id == dataset_id)
        .group_by(Frame.error_kind, Frame.indexed)
    ):
        if kind is not None:
            errors[kind] += n
        indexed += n if was_read else 0
    unknown = session.scalar(
        select(func.count()).where(
            Frame.dataset_id == dataset_id, Frame.unknown_labels.is_not(None)
        )
    )
    return {
        "errors": dict(errors),
        "splits": dict(splits),
        "cameras": dict(cameras),
        "misc": {"sequences": len(sequences), "indexed": indexed, "unknown": unknown or 0},
    }


def sample_sets(session: Session, dataset_id: int) -> list[SampleSet]:
    return list(
        session.scalars(
            select(SampleSet).where(SampleSet.dataset_id == dataset_id).order_by(SampleSet.name)
        )
    )


def get_sample_set(session: Session, sample_set_id: int) -> SampleSet | None:
    return session.get(SampleSet, sample_set_id)


def frames_with_any_label(session: Session, dataset_id: int, label_ids: Sequence[int]) -> set[int]:
    """Ids of the dataset's frames containing any of ``label_ids``: one range scan of the
    covering label index per label, no frame rows read (deduplicated here: a ``DISTINCT``
    would sort them in SQL first)."""
    if not label_ids:
        return set()
    return set(
        session.scalars(
            select(FrameLabel.frame_id).where(
                FrameLabel.dataset_id == dataset_id, FrameLabel.label_id.in_(list(label_ids))
            )
        )
    )


def unread_frame_ids(session: Session, dataset_id: int) -> set[int]:
    """Frames whose label the index has not read (no histogram to trust)."""
    return set(
        session.scalars(select(Frame.id).where(Frame.dataset_id == dataset_id, ~Frame.indexed))
    )


def indexed_label_files(session: Session, dataset_id: int) -> dict[int, tuple[int, int]]:
    """Frame id → (size, mtime ns) of the label file as the index read it, for frames
    whose label was read: a label rewritten since no longer matches."""
    rows = session.execute(
        select(Frame.id, Frame.label_size, Frame.label_mtime_ns).where(
            Frame.dataset_id == dataset_id,
            Frame.indexed,
            Frame.label_size.is_not(None),
            Frame.label_mtime_ns.is_not(None),
        )
    )
    return {i: (int(size or 0), int(mtime or 0)) for i, size, mtime in rows}
