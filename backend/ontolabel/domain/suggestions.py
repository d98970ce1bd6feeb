"""Mapping suggestions and conflict scores: what a teacher's own predictions say about a
mapping's cells.

A *cell* is (source class ``s``, extra label ``e``): ``e`` is named in row ``s``, so
``s ∈ allowed(e)`` (DESIGN.md "Constraint semantics"). Per frame, from the extra label image
and the teacher's unconstrained probabilities ``p [C,H,W]``:

- **co-occurrence**: pixels of label ``e`` whose argmax is source column ``c``, and the sum of
  the teacher's confidence ``max p`` over them: one ``np.bincount`` on ``row(e) * C + c``;
- **overruled mass**: on each pixel the priors give a class (rules 2-4 leave it labelled),
  the teacher's probability outside the allowed set, ``1 - Σ_{c∈A_c(e)} p(c)``, summed per
  cell ``(ŝ, e)`` the constraint chose.

Sums are kept per frame (the evidence). ``rank`` reads them as three lists, best first:
**add** (a cell the mapping lacks and the teacher predicts, scored by the confidence-weighted
share of ``e``'s pixels predicted ``s``), **remove** (an allowed cell the teacher almost
never predicts, scored ``1 - share``) and **conflicts** (allowed cells, and frames, by the
mean overruled mass of the pixels they labelled). The void row is judged by none of them:
the teacher has no void class. Labels that allow no real class (void-only, unmapped) are
left out of the conflict score (their pixels become 255, nothing is overruled into a class);
an unmapped label is what "add" is for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ontolabel.domain.constraint import AllowedTable, constrain
from ontolabel.domain.labeling import (
    DEFAULT_ADD_MIN_SHARE,
    DEFAULT_EVIDENCE_FRAMES,
    DEFAULT_MAX_ITEMS,
    DEFAULT_MIN_PIXELS,
    DEFAULT_REMOVE_MAX_SHARE,
    DEFAULT_VOID_THRESHOLD,
)


@dataclass(frozen=True)
class FrameCounts:
    """One frame's sums, per table row (extra id; the last row: ids outside the table) and
    source column: ``predicted`` pixels whose argmax is the column, ``confidence`` the sum of
    ``max p`` over them, ``labelled`` pixels the constraint wrote as the column and
    ``overruled`` the teacher's mass outside the allowed set summed over those."""

    name: str
    predicted: npt.NDArray[np.int32]
    confidence: npt.NDArray[np.float32]
    labelled: npt.NDArray[np.int32]
    overruled: npt.NDArray[np.float32]


def _rows(label: npt.NDArray[np.integer], num_rows: int) -> npt.NDArray[np.intp]:
    """Label ids as table rows; ids outside the table → ``num_rows`` (the padding row)."""
    lab = label.reshape(-1).astype(np.int64, copy=False)
    return np.where((lab >= 0) & (lab < num_rows), lab, num_rows).astype(np.intp)


def _argmax(flat: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """Per pixel the first column holding the maximum, and the maximum, of ``flat [C, P]``.

    Class by class over contiguous rows: numpy's ``argmax(axis=0)`` walks the C values of
    each pixel with a stride of P and measured 3x slower (bench/bench_suggest.py).
    """
    best = flat[0].copy()
    column = np.zeros(flat.shape[1], dtype=np.intp)
    for c in range(1, flat.shape[0]):
        np.copyto(column, c, where=flat[c] > best)  # strict: the lowest column keeps a tie
        np.maximum(best, flat[c], out=best)
    return column, best


def count_frame(
    name: str,
    probs: npt.NDArray[np.floating],
    label: npt.NDArray[np.integer],
    table: AllowedTable,
    *,
    void_threshold: float = DEFAULT_VOID_THRESHOLD,
) -> FrameCounts:
    """One frame's co-occurrence and overruled mass: teacher ``probs [C,H,W]``, extra
    ``label [H,W]``. One argmax over C, the constraint's own kernel for ``ŝ``, K gathers for
    the allowed mass, and four ``bincount``s; no loop over classes or labels."""
    if probs.ndim != 3 or label.shape != probs.shape[1:]:
        raise ValueError(f"probs must be [C,H,W] and label [H,W]; got {probs.shape}, {label.shape}")
    num_classes = probs.shape[0]
    if num_classes != table.num_classes:
        raise ValueError(
            f"probs has {num_classes} classes, the mapping's source taxonomy {table.num_classes}"
        )
    flat = np.ascontiguousarray(probs, dtype=np.float32).reshape(num_classes, -1)
    pixels = flat.shape[1]
    num_rows = table.table.shape[0]
    rows = _rows(label, num_rows)
    cells = (num_rows + 1) * num_classes
    where = np.arange(pixels)
    predicted_col, top = _argmax(flat)
    cell = rows * num_classes + predicted_col
    predicted = np.bincount(cell, minlength=cells)
    confidence = np.bincount(cell, weights=top, minlength=cells)
    # the column the priors chose (255: rules 2, 3 or 4 left the pixel unlabelled)
    chosen = constrain(flat.reshape(probs.shape), label, table, void_threshold=void_threshold)
    column_of = np.full(256, num_classes, dtype=np.intp)
    column_of[table.source_ids] = np.arange(num_classes)
    chosen_col = column_of[chosen.reshape(-1)]
    inside = np.zeros(pixels, dtype=np.float32)
    # K ≪ C: the allowed candidates only; the sentinel column C reads an appended zero plane
    padded = np.concatenate([flat.reshape(-1), np.zeros(pixels, dtype=np.float32)])
    for k in range(table.max_allowed):
        offset = table.allowed_cols[:, k].take(rows) * pixels
        offset += where
        inside += padded.take(offset)
    keep = chosen_col < num_classes
    cell = rows[keep] * num_classes + chosen_col[keep]
    outside = np.clip(1 - inside[keep], 0, 1).astype(np.float64)
    labelled = np.bincount(cell, minlength=cells)
    overruled = np.bincount(cell, weights=outside, minlength=cells)
    shape = (num_rows + 1, num_classes)
    # kept per frame for every frame of a job: 32 bits halve that memory (sums are exact in
    # float64 before the cast; a frame's counts fit an int32)
    return FrameCounts(
        name=name,
        predicted=predicted.reshape(shape).astype(np.int32),
        confidence=confidence.reshape(shape).astype(np.float32),
        labelled=labelled.reshape(shape).astype(np.int32),
        overruled=overruled.reshape(shape).astype(np.float32),
    )


@dataclass
class Cooccurrence:
    """Frames' counts stacked ``[F, rows, C]``: what ``rank`` reads, and what a job's chunks
    store (``to_arrays``) and its finish merges (``merge``)."""

    frames: list[str] = field(default_factory=list)
    predicted: npt.NDArray[np.int32] = field(default_factory=lambda: np.zeros((0, 0, 0), np.int32))
    confidence: npt.NDArray[np.float32] = field(
        default_factory=lambda: np.zeros((0, 0, 0), np.float32)
    )
    labelled: npt.NDArray[np.int32] = field(default_factory=lambda: np.zeros((0, 0, 0), np.int32))
    overruled: npt.NDArray[np.float32] = field(
        default_factory=lambda: np.zeros((0, 0, 0), np.float32)
    )

    _ARRAYS = ("predicted", "confidence", "labelled", "overruled")

    @classmethod
    def of(cls, frames: Iterable[FrameCounts]) -> Cooccurrence:
        items = list(frames)
        if not items:
            return cls()
        return cls(
            frames=[f.name for f in items],
            **{name: np.stack([getattr(f, name) for f in items]) for name in cls._ARRAYS},
        )

    @classmethod
    def merge(cls, parts: Sequence[Cooccurrence]) -> Cooccurrence:
        parts = [p for p in parts if p.frames]
        if not parts:
            return cls()
        return cls(
            frames=[name for p in parts for name in p.frames],
            **{name: np.concatenate([getattr(p, name) for p in parts]) for name in cls._ARRAYS},
        )

    def to_arrays(self) -> dict[str, npt.NDArray[Any]]:
        return {"frames": np.asarray(self.frames), **{n: getattr(self, n) for n in self._ARRAYS}}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]]) -> Cooccurrence:
        return cls(
            frames=[str(f) for f in arrays["frames"]],
            **{name: np.asarray(arrays[name]) for name in cls._ARRAYS},
        )


@dataclass(frozen=True)
class SuggestSettings:
    """Thresholds of ``rank`` (defaults above, shared with the job contract)."""

    add_min_share: float = DEFAULT_ADD_MIN_SHARE
    remove_max_share: float = DEFAULT_REMOVE_MAX_SHARE
    min_pixels: int = DEFAULT_MIN_PIXELS
    evidence_frames: int = DEFAULT_EVIDENCE_FRAMES
    max_items: int = DEFAULT_MAX_ITEMS


@dataclass(frozen=True)
class CellScore:
    """One suggested (or suspect) cell, with the frames that show it best."""

    source: str
    extra: str
    score: float
    frames: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "extra": self.extra,
            "score": self.score,
            "frames": list(self.frames),
        }


@dataclass(frozen=True)
class FrameScore:
    frame: str
    score: float

    def to_json(self) -> dict[str, Any]:
        return {"frame": self.frame, "score": self.score}


@dataclass(frozen=True)
class Suggestions:
    add: tuple[CellScore, ...]
    remove: tuple[CellScore, ...]
    conflict_cells: tuple[CellScore, ...]
    conflict_frames: tuple[FrameScore, ...]

    def to_json(self) -> dict[str, Any]:
        """``{"add", "remove", "conflicts": {"cells", "frames"}}``, each list best first."""
        return {
            "add": [c.to_json() for c in self.add],
            "remove": [c.to_json() for c in self.remove],
            "conflicts": {
                "cells": [c.to_json() for c in self.conflict_cells],
                "frames": [f.to_json() for f in self.conflict_frames],
            },
        }


@dataclass(frozen=True)
class _Labels:
    """Table rows grouped by extra label name (ids sharing a name are one label)."""

    names: list[str]
    group: npt.NDArray[np.intp]  # [rows]: index into names, or -1 (no name: not judged)

    @classmethod
    def of(cls, extra_names: Mapping[int, str], num_rows: int) -> _Labels:
        names = list(dict.fromkeys(n.strip() for i, n in sorted(extra_names.items())))
        index = {n: i for i, n in enumerate(names)}
        group = np.full(num_rows + 1, -1, dtype=np.intp)
        for extra_id, name in extra_names.items():
            if 0 <= extra_id < num_rows:
                group[extra_id] = index[name.strip()]
        return cls(names, group)

    def sum(self, per_row: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        """``[..., rows, C]`` → ``[..., names, C]``, rows without a name dropped."""
        out = np.zeros((*per_row.shape[:-2], len(self.names), per_row.shape[-1]))
        named = self.group >= 0
        np.add.at(
            np.moveaxis(out, -2, 0), self.group[named], np.moveaxis(per_row[..., named, :], -2, 0)
        )
        return out


def _evidence(per_frame: npt.NDArray[Any], frames: Sequence[str], count: int) -> tuple[str, ...]:
    """Frames with the largest positive values, largest first (ties: frame order)."""
    order = np.argsort(-per_frame, kind="stable")[:count]
    return tuple(frames[i] for i in order if per_frame[i] > 0)


def rank(
    co: Cooccurrence,
    table: AllowedTable,
    extra_names: Mapping[int, str],
    source_names: Sequence[str],
    settings: SuggestSettings = SuggestSettings(),
) -> Suggestions:
    """Score the cells of ``table`` (the mapping as the constraint reads it) from ``co``.

    ``extra_names``: extra id → label name; ``source_names``: one per teacher column.
    """
    if not co.frames:
        return Suggestions((), (), (), ())
    labels = _Labels.of(extra_names, table.table.shape[0])
    allowed = labels.sum(np.vstack([table.table, np.zeros((1, table.num_classes), bool)])) > 0
    per_frame = labels.sum(co.predicted)  # [F, L, C]
    predicted = per_frame.sum(axis=0)  # [L, C]
    confidence = labels.sum(co.confidence.sum(axis=0, dtype=np.float64))
    pixels = predicted.sum(axis=1)  # [L]
    judged = pixels >= max(1, settings.min_pixels)
    share = np.divide(
        predicted, pixels[:, None], out=np.zeros_like(predicted), where=judged[:, None]
    )
    weighted = np.divide(
        confidence, pixels[:, None], out=np.zeros_like(confidence), where=judged[:, None]
    )
    n = settings.evidence_frames

    def cell(e: int, c: int, score: float, evidence: npt.NDArray[Any]) -> CellScore:
        return CellScore(
            source_names[c], labels.names[e], round(score, 6), _evidence(evidence, co.frames, n)
        )

    add_cells = np.argwhere(judged[:, None] & ~allowed & (share >= settings.add_min_share))
    add = sorted(
        (cell(e, c, float(weighted[e, c]), per_frame[:, e, c]) for e, c in add_cells),
        key=lambda s: -s.score,
    )
    remove_cells = np.argwhere(judged[:, None] & allowed & (share < settings.remove_max_share))
    # evidence against a cell: the label's pixels the teacher predicts as something else
    against = per_frame.sum(axis=2)[:, :, None] - per_frame
    remove = sorted(
        (cell(e, c, 1 - float(share[e, c]), against[:, e, c]) for e, c in remove_cells),
        key=lambda s: (-s.score, -pixels[labels.names.index(s.extra)]),
    )
    labelled_frames = labels.sum(co.labelled)
    overruled_frames = labels.sum(co.overruled)
    labelled = labelled_frames.sum(axis=0)
    overruled = overruled_frames.sum(axis=0)
    suspect = np.argwhere(allowed & (labelled >= max(1, settings.min_pixels)))
    conflicts = sorted(
        (
            cell(e, c, float(overruled[e, c] / labelled[e, c]), overruled_frames[:, e, c])
            for e, c in suspect
        ),
        key=lambda s: -s.score,
    )
    frame_labelled = co.labelled.sum(axis=(1, 2))
    frame_overruled = co.overruled.sum(axis=(1, 2), dtype=np.float64)
    frame_score = np.divide(
        frame_overruled,
        frame_labelled,
        out=np.zeros(len(co.frames)),
        where=frame_labelled > 0,
    )
    order = np.argsort(-frame_score, kind="stable")[: settings.max_items]
    frames = tuple(FrameScore(co.frames[i], round(float(frame_score[i]), 6)) for i in order)
    top = settings.max_items
    return Suggestions(tuple(add[:top]), tuple(remove[:top]), tuple(conflicts[:top]), frames)


def heatmap(
    co: Cooccurrence,
    table: AllowedTable,
    extra_names: Mapping[int, str],
    source_names: Sequence[str],
) -> dict[str, Any]:
    """The whole matrix for a heatmap beside the mapping editor: per extra label (rows) and
    source class (columns) the pixels predicted, whether the cell is allowed, and the mean
    overruled mass of the pixels it labelled (null where it labelled none)."""
    labels = _Labels.of(extra_names, table.table.shape[0])
    allowed = labels.sum(np.vstack([table.table, np.zeros((1, table.num_classes), bool)])) > 0
    predicted = labels.sum(co.predicted.sum(axis=0)) if co.frames else np.zeros(allowed.shape)
    labelled = labels.sum(co.labelled.sum(axis=0)) if co.frames else np.zeros(allowed.shape)
    overruled = (
        labels.sum(co.overruled.sum(axis=0, dtype=np.float64))
        if co.frames
        else np.zeros(allowed.shape)
    )
    conflict = [
        [round(float(o / n), 6) if n > 0 else None for o, n in zip(orow, nrow, strict=True)]
        for orow, nrow in zip(overruled, labelled, strict=True)
    ]
    return {
        "extra": labels.names,
        "source": list(source_names),
        "pixels": predicted.astype(np.int64).tolist(),
        "allowed": allowed.tolist(),
        "conflict": conflict,
        "frames": len(co.frames),
    }


__all__ = [
    "CellScore",
    "Cooccurrence",
    "FrameCounts",
    "FrameScore",
    "SuggestSettings",
    "Suggestions",
    "count_frame",
    "heatmap",
    "rank",
]
