"""Choosing frames to look at: every Nth per sequence, seeded random, at least k per label.

Pure Python. The order is the one a person sees in a file browser: by sequence, then
frame (numbers compared as numbers: ``frame_9`` before ``frame_10``), then camera.
"Every Nth" counts within each (sequence, camera) in that order, starting with the
first frame, so ``every=20`` picks frames 0, 20, 40, … of each camera of each sequence.
The same rule and seed give the same frames on every call.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
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


def sample_per_label(
    frames: Iterable[FrameRef], k: int, *, seed: int, labels: Sequence[int] | None = None
) -> list[FrameRef]:
    """At least ``k`` frames per label (every frame of a rarer label), rarest labels first.

    Frames already chosen for one label count for the others they contain, so the set
    stays small.
    """
    ordered = in_order(frames)
    by_label: dict[int, list[FrameRef]] = defaultdict(list)
    for f in ordered:
        for label in f.labels:
            by_label[label].append(f)
    wanted = sorted(labels if labels is not None else by_label, key=lambda x: (len(by_label[x]), x))
    rng = random.Random(seed)
    chosen: dict[int, FrameRef] = {}
    for label in wanted:
        members = by_label.get(label, [])
        have = sum(1 for f in members if f.id in chosen)
        rest = [f for f in members if f.id not in chosen]
        rng.shuffle(rest)
        for f in rest[: max(0, k - have)]:
            chosen[f.id] = f
    return in_order(chosen.values())


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
