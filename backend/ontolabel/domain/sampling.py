"""Choosing frames to look at: every Nth per sequence, seeded random, at least k per label.

Pure Python. The order is the one a person sees in a file browser: by sequence, then
frame (numbers compared as numbers: ``frame_9`` before ``frame_10``), then camera.
"Every Nth" counts within each (sequence, camera) in that order, starting with the
first frame, so ``every=20`` picks frames 0, 20, 40, … of each camera of each sequence.
The same rule and seed give the same frames on every call.
"""

from __future__ import annotations

import heapq
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

_DIGITS = re.compile(r"(\d+)")


@lru_cache(maxsize=1 << 18)
def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """``"f10"`` after ``"f9"``: digit runs compare as numbers."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(text) if part
    )


@dataclass(frozen=True)
class FrameRef:
    """What sampling needs to know about a frame."""

    id: int
    sequence: str = ""
    frame: str = ""
    camera: str = ""
    split: str = ""
    labels: frozenset[int] = field(default_factory=frozenset)


def order_key(frame: FrameRef) -> tuple[object, ...]:
    return (
        natural_key(frame.sequence),
        natural_key(frame.frame),
        natural_key(frame.camera),
        frame.id,
    )


def in_order(frames: Iterable[FrameRef]) -> list[FrameRef]:
    """Frames in sequence / frame / camera order."""
    return sorted(frames, key=order_key)


def order_and_positions(frames: Iterable[FrameRef]) -> tuple[list[FrameRef], dict[int, int]]:
    """Frames in order, and each frame's position within its (sequence, camera); one sort."""
    ordered = in_order(frames)
    counters: dict[tuple[str, str], int] = defaultdict(int)
    positions: dict[int, int] = {}
    for f in ordered:
        group = (f.sequence, f.camera)
        positions[f.id] = counters[group]
        counters[group] += 1
    return ordered, positions


def orders_of(streams: Sequence[tuple[str, str, str]]) -> list[tuple[int, int]]:
    """(ordinal, position within its (sequence, camera)) of each (sequence, frame, camera).

    What :func:`order_and_positions` gives frames whose ids are their indexes here, but
    sorting plain ints: each string is replaced by the rank of its natural key first, so
    140k frames sort in a fraction of the time ``FrameRef`` keys take.
    """
    ranks = [_ranks(values) for values in zip(*streams, strict=True)] if streams else [{}] * 3
    seq_rank, frame_rank, cam_rank = ranks
    n_frames, n_cams, n = len(frame_rank) + 1, len(cam_rank) + 1, len(streams)
    keys = [
        ((seq_rank[s] * n_frames + frame_rank[f]) * n_cams + cam_rank[c]) * n + i
        for i, (s, f, c) in enumerate(streams)
    ]
    keys.sort()
    out: list[tuple[int, int]] = [(0, 0)] * n
    counters: dict[tuple[str, str], int] = defaultdict(int)
    for ordinal, key in enumerate(keys):
        i = key % n
        s, _f, c = streams[i]
        out[i] = (ordinal, counters[(s, c)])
        counters[(s, c)] += 1
    return out


def _ranks(values: Iterable[str]) -> dict[str, int]:
    """Each distinct string's place among them in natural order (equal keys share one)."""
    keys = {v: natural_key(v) for v in set(values)}
    place = {key: r for r, key in enumerate(sorted(set(keys.values())))}
    return {v: place[key] for v, key in keys.items()}


def sequence_positions(frames: Iterable[FrameRef]) -> dict[int, int]:
    """Frame id → 0-based position within its (sequence, camera), in frame order."""
    groups: dict[tuple[str, str], list[FrameRef]] = defaultdict(list)
    for f in frames:
        groups[(f.sequence, f.camera)].append(f)
    positions: dict[int, int] = {}
    for members in groups.values():
        for i, f in enumerate(in_order(members)):
            positions[f.id] = i
    return positions


def sample_every_nth(
    frames: Iterable[FrameRef], n: int, *, camera: str | None = None
) -> list[FrameRef]:
    """Frames 0, n, 2n, … of each (sequence, camera), optionally of one camera only."""
    if n < 1:
        raise ValueError("every must be at least 1")
    pool = [f for f in frames if camera is None or f.camera == camera]
    positions = sequence_positions(pool)
    return in_order(f for f in pool if positions[f.id] % n == 0)


def sample_random(frames: Iterable[FrameRef], k: int, *, seed: int) -> list[FrameRef]:
    """``k`` frames drawn with ``seed`` (all of them if fewer), returned in order."""
    ordered = in_order(frames)
    if k >= len(ordered):
        return ordered
    chosen = random.Random(seed).sample(range(len(ordered)), k)
    return [ordered[i] for i in sorted(chosen)]


# "At least k per label" walks each label's frames in a fixed pseudo-random order (the
# shuffle key of the frame id) from a start point drawn from the seed and the label. The
# key is 64-bit integer arithmetic (an LCG step, the high half of its square, mixed) that
# SQLite and PostgreSQL compute exactly like Python for ids < 2**31, so an expression
# index on it lets SQL take a label's first frames in that order without reading the
# others; ``datasets.tables.shuffle_key_sql`` is the same formula.
SHUFFLE_MASK = 2**31 - 1


def shuffle_key(frame_id: int) -> int:
    """A frame's place in the fixed pseudo-random order, in ``[0, 2**31)``."""
    h = ((frame_id + 2**32) * 1_103_515_245 + 12_345) & SHUFFLE_MASK
    return (((h * h) >> 31) * 48_271 + h) & SHUFFLE_MASK


def label_start(seed: int, label: int) -> int:
    """Where the walk over ``label``'s frames starts for ``seed`` (independent per label)."""
    return random.Random(f"{seed}/{label}").randrange(SHUFFLE_MASK + 1)


def shuffle_distance(frame_id: int, start: int) -> tuple[int, int]:
    """Sort key of a frame in the walk that starts at ``start`` and wraps around."""
    return ((shuffle_key(frame_id) - start) & SHUFFLE_MASK, frame_id)


Candidates = Callable[[int, int, int], Sequence[tuple[int, frozenset[int]]]]


def pick_per_label(labels: Iterable[int], k: int, *, seed: int, first: Candidates) -> set[int]:
    """Ids of at least ``k`` frames per label (every frame of a rarer label), in label order.

    ``first(label, start, k)`` gives the first ``k`` frames (id, their labels) of ``label``
    in the walk from ``start``; those always suffice, since at most ``have`` of them are
    already chosen. Frames chosen for one label count for the others they contain.
    """
    chosen: set[int] = set()
    have: dict[int, int] = defaultdict(int)
    for label in labels:
        need = k - have[label]
        if need <= 0:
            continue
        for frame_id, frame_labels in first(label, label_start(seed, label), k):
            if frame_id in chosen:
                continue
            chosen.add(frame_id)
            for other in frame_labels:
                have[other] += 1
            need -= 1
            if need == 0:
                break
    return chosen


def per_label_ids(
    members: Mapping[int, Sequence[int]], k: int, *, seed: int, labels: Iterable[int]
) -> set[int]:
    """``pick_per_label`` over ``members`` (label → ids of the frames containing it)."""
    labels_of: dict[int, set[int]] = defaultdict(set)
    for label, ids in members.items():
        for i in ids:
            labels_of[i].add(label)
    frozen = {i: frozenset(found) for i, found in labels_of.items()}

    def first(label: int, start: int, n: int) -> list[tuple[int, frozenset[int]]]:
        ids = heapq.nsmallest(n, members.get(label, ()), key=lambda i: shuffle_distance(i, start))
        return [(i, frozen[i]) for i in ids]

    return pick_per_label(labels, k, seed=seed, first=first)


def sample_per_label(
    frames: Iterable[FrameRef],
    k: int,
    *,
    seed: int,
    labels: Sequence[int] | None = None,
    rarity: Mapping[int, int] | None = None,
) -> list[FrameRef]:
    """At least ``k`` frames per label (every frame of a rarer label), rarest labels first.

    Rarity is the number of frames per label among ``frames`` unless ``rarity`` gives it
    (the service passes the dataset-wide counts). Frames already chosen for one label
    count for the others they contain, so the set stays small.
    """
    pool = {f.id: f for f in frames}
    members: dict[int, list[int]] = defaultdict(list)
    for f in pool.values():
        for label in f.labels:
            members[label].append(f.id)
    counts = rarity if rarity is not None else {x: len(m) for x, m in members.items()}
    wanted = sorted(labels if labels is not None else members, key=lambda x: (counts.get(x, 0), x))
    return in_order(pool[i] for i in per_label_ids(members, k, seed=seed, labels=wanted))


@dataclass(frozen=True)
class SamplingRule:
    """A combinable rule; saved with a sample set so the same frames come back.

    Applied in this order: every Nth (positions over the whole camera stream), then the
    filters, then ``per_label`` and ``random`` (their union when both are given).
    """

    every: int | None = None
    camera: str | None = None
    sequence: str | None = None
    split: str | None = None
    labels: tuple[int, ...] = ()  # keep frames containing any of these
    random: int | None = None
    per_label: int | None = None
    seed: int = 0

    def describe(self) -> str:
        parts = [f"every {self.every}"] if self.every else []
        parts += [
            f"{k}={v}"
            for k, v in (
                ("camera", self.camera),
                ("sequence", self.sequence),
                ("split", self.split),
            )
            if v
        ]
        if self.labels:
            parts.append("labels " + ",".join(map(str, self.labels)))
        if self.per_label:
            parts.append(f"≥{self.per_label} per label")
        if self.random:
            parts.append(f"random {self.random} (seed {self.seed})")
        return "; ".join(parts) or "all frames"


def apply_rule(frames: Iterable[FrameRef], rule: SamplingRule) -> list[FrameRef]:
    """The frames ``rule`` selects, in order."""
    pool = list(frames)
    if rule.every:
        pool = sample_every_nth(pool, rule.every, camera=rule.camera)
    wanted = set(rule.labels)
    pool = [
        f
        for f in pool
        if (rule.camera is None or f.camera == rule.camera)
        and (rule.sequence is None or f.sequence == rule.sequence)
        and (rule.split is None or f.split == rule.split)
        and (not wanted or not wanted.isdisjoint(f.labels))
    ]
    if rule.per_label is None and rule.random is None:
        return in_order(pool)
    chosen: dict[int, FrameRef] = {}
    if rule.per_label is not None:
        chosen.update((f.id, f) for f in sample_per_label(pool, rule.per_label, seed=rule.seed))
    if rule.random is not None:
        chosen.update((f.id, f) for f in sample_random(pool, rule.random, seed=rule.seed))
    return in_order(chosen.values())
