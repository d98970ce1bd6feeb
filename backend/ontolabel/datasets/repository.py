"""Every query of the datasets domain; sized for 140k-frame datasets (index scans, no sorts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ontolabel.datasets.tables import Dataset, DatasetLabelStat, Frame, FrameLabel, SampleSet
from ontolabel.domain.sampling import FrameRef, SamplingRule


def get_dataset(session: Session, dataset_id: int) -> Dataset | None:
    return session.get(Dataset, dataset_id)


def get_dataset_by_name(session: Session, name: str) -> Dataset | None:
    return session.scalar(select(Dataset).where(Dataset.name == name))


def list_datasets(session: Session, offset: int, limit: int) -> tuple[list[Dataset], int]:
    total = session.scalar(select(func.count()).select_from(Dataset)) or 0
    rows = session.scalars(select(Dataset).order_by(Dataset.name).offset(offset).limit(limit))
    return list(rows), total


def filtered_ids(
    dataset_id: int, rule: SamplingRule, *, has_error: bool | None = None
) -> Select[Any]:
    """Frame ids the rule's SQL-side parts select (every Nth, filters), in frame order."""
    q = select(Frame.id).where(Frame.dataset_id == dataset_id)
    if rule.every and rule.every > 1:
        q = q.where(Frame.seq_pos % rule.every == 0)
    if rule.camera is not None:
        q = q.where(Frame.camera == rule.camera)
    if rule.sequence is not None:
        q = q.where(Frame.sequence == rule.sequence)
    if rule.split is not None:
        q = q.where(Frame.split == rule.split)
    if has_error is not None:
        q = q.where(Frame.error_kind.is_not(None) if has_error else Frame.error_kind.is_(None))
    if rule.labels:
        # Through the covering (dataset, label, pixels, frame) index, not a probe per frame.
        q = q.where(
            Frame.id.in_(
                select(FrameLabel.frame_id).where(
                    FrameLabel.dataset_id == dataset_id,
                    FrameLabel.label_id.in_(list(rule.labels)),
                )
            )
        )
    return q.order_by(Frame.ordinal)


def count(session: Session, ids: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(ids.order_by(None).subquery())) or 0


def page_ids(session: Session, ids: Select[Any], offset: int, limit: int) -> list[int]:
    return list(session.scalars(ids.offset(offset).limit(limit)))


def all_ids(session: Session, ids: Select[Any]) -> list[int]:
    return list(session.scalars(ids))


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


def frame_refs_with_labels(session: Session, ids: Sequence[int]) -> list[FrameRef]:
    """What stratified sampling needs: order fields and the labels of each frame."""
    labels: dict[int, set[int]] = {i: set() for i in ids}
    frames = frames_by_ids(session, ids)
    for start in range(0, len(ids), 900):
        part = ids[start : start + 900]
        for fid, lid in session.execute(
            select(FrameLabel.frame_id, FrameLabel.label_id).where(FrameLabel.frame_id.in_(part))
        ):
            labels[fid].add(lid)
    return [
        FrameRef(f.id, f.sequence, f.frame, f.camera, f.split, frozenset(labels[f.id]))
        for f in frames
    ]


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
    grouped = (
        select(FrameLabel.frame_id, func.sum(FrameLabel.pixels).label("px"))
        .where(FrameLabel.dataset_id == dataset_id, FrameLabel.label_id.in_(list(label_ids)))
        .group_by(FrameLabel.frame_id)
    )
    total = session.scalar(select(func.count()).select_from(grouped.subquery())) or 0
    rows = session.execute(
        grouped.order_by(func.sum(FrameLabel.pixels).desc(), FrameLabel.frame_id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [(r[0], int(r[1])) for r in rows], total


def summary_counts(session: Session, dataset_id: int) -> dict[str, dict[str, int]]:
    """Frames per error kind, split and camera; sequences; indexed frames."""
    out: dict[str, dict[str, int]] = {}
    for name, column in (
        ("errors", Frame.error_kind),
        ("splits", Frame.split),
        ("cameras", Frame.camera),
    ):
        rows = session.execute(
            select(column, func.count()).where(Frame.dataset_id == dataset_id).group_by(column)
        ).all()
        out[name] = {str(k): int(n) for k, n in rows if k is not None}
    out["misc"] = {
        "sequences": session.scalar(
            select(func.count(func.distinct(Frame.sequence))).where(Frame.dataset_id == dataset_id)
        )
        or 0,
        "indexed": session.scalar(
            select(func.count()).where(Frame.dataset_id == dataset_id, Frame.indexed.is_(True))
        )
        or 0,
        "unknown": session.scalar(
            select(func.count()).where(
                Frame.dataset_id == dataset_id, Frame.unknown_labels.is_not(None)
            )
        )
        or 0,
    }
    return out


def sample_sets(session: Session, dataset_id: int) -> list[SampleSet]:
    return list(
        session.scalars(
            select(SampleSet).where(SampleSet.dataset_id == dataset_id).order_by(SampleSet.name)
        )
    )


def get_sample_set(session: Session, sample_set_id: int) -> SampleSet | None:
    return session.get(SampleSet, sample_set_id)
