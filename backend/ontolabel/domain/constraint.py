"""The ontology constraint as a lookup table, and its numpy reference implementation.

``allowed_table`` turns a mapping into a boolean table indexed by extra label id, plus
each label's allowed columns padded to ``K`` = the most any label allows; ``constrain``
applies DESIGN.md's constraint rules to teacher probabilities as one table lookup per
pixel — never a Python loop over classes or labels. It runs a compiled one-pass kernel
(:mod:`ontolabel.domain.constraint_kernel`) that reads only each pixel's K allowed
probabilities; two vectorised numpy forms of the same lookup (gather K candidates, or one
dense multiply over all C) are kept as its cross-check. The API's live preview uses this
function directly; the GPU worker's torch version must agree with it pixel for pixel (same
rules, same tie-break: the lowest column wins an exact tie).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from ontolabel.domain.constraint_kernel import fused_constrain
from ontolabel.domain.labeling import DEFAULT_VOID_THRESHOLD
from ontolabel.domain.mapping import Mapping
from ontolabel.domain.taxonomy import PNG_ID_MAX, VOID_ID, Taxonomy
from ontolabel.errors import InvalidInput

IGNORE = VOID_ID
"""Value written for every pixel the constraint leaves unlabelled (255)."""

_TILE_ELEMENTS = 1 << 19
"""Probabilities per tile (whole image rows): ~2 MB stays in cache; measured fastest."""

_GATHER_PIXELS = 1 << 15
"""Pixels per tile of the gather path (K candidates each): index and values stay in cache."""


@dataclass(frozen=True)
class AllowedTable:
    """``table[e, c]``: may extra label id ``e`` become source column ``c``?

    ``void[e]``: the mapping's void row names ``e``. ``source_ids[c]`` is the class id
    written for column ``c`` (the teacher's channel order = the source taxonomy's
    non-void classes in order). ``extra_ids`` lists the extra label ids the mapping
    resolves (ids no label PNG holds, < 0 or > 65535, are left out: no pixel has them).

    Derived on construction, for the gather path: ``allowed_cols[e, :K]`` lists row ``e``'s
    allowed columns ascending, padded with the sentinel column ``C`` (it reads probability
    0); its extra last row (``e = num_extra_ids``, every padding slot) serves ids outside
    the table. ``allowed_count[e]`` counts the real ones.
    """

    table: npt.NDArray[np.bool_]
    void: npt.NDArray[np.bool_]
    source_ids: npt.NDArray[np.int64]
    extra_ids: npt.NDArray[np.int64]
    allowed_cols: npt.NDArray[np.intp] = field(init=False, repr=False, compare=False)
    allowed_count: npt.NDArray[np.intp] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        table = np.asarray(self.table, dtype=bool)
        count = np.zeros(table.shape[0] + 1, dtype=np.intp)
        count[:-1] = table.sum(axis=1)
        width = max(1, int(count.max()))
        # stable argsort puts each row's True columns first, ascending; the rest → sentinel
        order = np.argsort(~table, axis=1, kind="stable")[:, :width]
        cols = np.full((table.shape[0] + 1, width), table.shape[1], dtype=np.intp)
        real = np.arange(width) < count[:-1, None]
        cols[:-1] = np.where(real, order, table.shape[1])
        object.__setattr__(self, "allowed_cols", cols)
        object.__setattr__(self, "allowed_count", count)

    @property
    def num_classes(self) -> int:
        return int(self.table.shape[1])

    @property
    def max_allowed(self) -> int:
        """``K``: the most real classes one label allows (at least 1)."""
        return int(self.allowed_cols.shape[1])


def allowed_table(mapping: Mapping, extra: Taxonomy, source: Taxonomy) -> AllowedTable:
    """Build the lookup table; names are resolved after stripping spaces.

    A name shared by several extra classes maps all of them; cells naming no extra
    class and rows for ids ``source`` lacks are skipped (lint reports both). Source ids
    outside 0-254 are refused (:class:`InvalidInput`): pseudo-labels are uint8.
    """
    columns = [c.id for c in source.classes if c.id != VOID_ID]
    for class_id in columns:
        if not 0 <= class_id < VOID_ID:
            raise InvalidInput(
                f"source class id {class_id} of {source.name!r} cannot be written in a uint8 "
                f"pseudo-label; source ids must be 0-{VOID_ID - 1}",
                field="source_id",
            )
    column_of = {class_id: i for i, class_id in enumerate(columns)}
    ids_by_name: dict[str, list[int]] = {}
    for c in extra.classes:
        if 0 <= c.id <= PNG_ID_MAX:
            ids_by_name.setdefault(c.name.strip(), []).append(c.id)
    max_id = max((i for ids in ids_by_name.values() for i in ids), default=-1)
    table = np.zeros((max(max_id, 0) + 1, len(columns)), dtype=bool)
    void = np.zeros(max(max_id, 0) + 1, dtype=bool)
    for row in mapping.rows:
        column = column_of.get(row.source_id)
        if column is None and not row.is_void:
            continue
        for label in row.extra_labels:
            for extra_id in ids_by_name.get(label.strip(), ()):
                if row.is_void:
                    void[extra_id] = True
                else:
                    table[extra_id, column] = True
    return AllowedTable(
        table=table,
        void=void,
        source_ids=np.asarray(columns, dtype=np.int64),
        extra_ids=np.asarray(
            sorted({i for ids in ids_by_name.values() for i in ids}), dtype=np.int64
        ),
    )


def constrain(
    probs: npt.NDArray[np.floating],
    label: npt.NDArray[np.integer],
    table: AllowedTable,
    *,
    void_threshold: float = DEFAULT_VOID_THRESHOLD,
    confidence_floor: float = 0.0,
    valid: npt.NDArray[np.bool_] | None = None,
    method: Literal["auto", "fused", "gather", "dense"] = "auto",
) -> npt.NDArray[np.uint8]:
    """Pseudo-label one frame: teacher ``probs [C,H,W]`` constrained by extra ``label [H,W]``.

    Per pixel with extra id ``e`` (DESIGN.md "Constraint semantics"), ``A_c`` = the
    table's true columns in row ``e``, ``void`` = ``table.void[e]``:

    - rule 3: ``e`` outside the table, or in no row at all → 255 (never class 0);
    - rule 2: ``A_c`` empty (void-only, or unmapped) → 255;
    - rule 4: ``ŝ = argmax_{c∈A_c} p(c)`` (the lowest column wins an exact tie); the
      renormalised confidence is ``q = p(ŝ) / Σ_{c∈A_c} p(c)`` computed in float32
      (``q = 0`` when that sum is 0). If ``void`` and ``q < void_threshold`` → 255;
    - rule 5: ``q < confidence_floor`` → 255 for every pixel (the floor applies to the
      same renormalised confidence ``q``, not the raw softmax ``p(ŝ)``; 0 disables it);
      ``valid`` False (padding, outside the image) → 255.

    Otherwise the pixel gets ``table.source_ids[ŝ]``. Probabilities (non-negative, a
    softmax) are cast to float32; the image is processed in row tiles so memory stays
    bounded. Sums run over the allowed columns in column order, in float32.

    ``method``: ``"fused"`` (the default, ``"auto"``) runs the compiled one-pass kernel of
    :mod:`ontolabel.domain.constraint_kernel`; the numpy paths stay as its cross-check:
    ``"gather"`` reads only each pixel's K allowed candidates, ``"dense"`` multiplies all C
    columns by the gathered table row. All give the same result.
    """
    if probs.ndim != 3 or label.ndim != 2 or probs.shape[1:] != label.shape:
        raise ValueError(f"probs must be [C,H,W] and label [H,W]; got {probs.shape}, {label.shape}")
    if probs.shape[0] != table.num_classes:
        raise ValueError(
            f"probs has {probs.shape[0]} classes, the mapping's source taxonomy {table.num_classes}"
        )
    num_classes, height, width = probs.shape
    if method in ("auto", "fused"):
        return fused_constrain(
            np.ascontiguousarray(probs, dtype=np.float32).reshape(num_classes, -1),
            label.reshape(-1) if label.dtype.kind in "iu" else label.reshape(-1).astype(np.int64),
            table.allowed_cols,
            table.allowed_count,
            np.append(table.void, False),
            table.source_ids.astype(np.uint8),
            void_threshold,
            confidence_floor,
            None if valid is None else np.asarray(valid, dtype=bool).reshape(-1),
        ).reshape(height, width)
    if method == "gather":
        return _constrain_gather(probs, label, table, void_threshold, confidence_floor, valid)
    out = np.full((height, width), IGNORE, dtype=np.uint8)
    # float 0/1 columns: a float*float multiply is ~30x faster than float*bool in numpy
    allowed_f = np.ascontiguousarray(table.table.T, dtype=np.float32)  # [C, E]
    any_real = np.asarray(table.table.any(axis=1))  # [E]: rules 2 and 3
    first_allowed = table.table.argmax(axis=1)  # [E]: ŝ when every allowed p is 0
    num_rows = table.table.shape[0]
    rows_per_tile = max(1, _TILE_ELEMENTS // max(1, num_classes * width))
    for top in range(0, height, rows_per_tile):
        tile = slice(top, min(height, top + rows_per_tile))
        lab = label[tile].astype(np.int64, copy=False)
        inside = (lab >= 0) & (lab < num_rows)
        index = np.where(inside, lab, 0)
        # the one gather and multiply: disallowed columns become 0
        masked = probs[:, tile].astype(np.float32, copy=False) * np.take(allowed_f, index, axis=1)
        best_p = masked.max(axis=0)
        total = masked.sum(axis=0, dtype=np.float32)
        positive = total > 0
        # first column holding the maximum (argmax on bool is much faster than on float)
        best = np.where(positive, (masked == best_p).argmax(axis=0), first_allowed[index])
        with np.errstate(divide="ignore", invalid="ignore"):
            confidence = np.where(positive, best_p / total, np.float32(0))
        keep = inside & any_real[index]
        keep &= ~(table.void[index] & (confidence < void_threshold))
        if confidence_floor > 0:
            keep &= confidence >= confidence_floor
        if valid is not None:
            keep &= valid[tile]
        out[tile] = np.where(keep, table.source_ids[best], IGNORE).astype(np.uint8)
    return out


def _row_index(lab: npt.NDArray[np.integer], num_rows: int) -> npt.NDArray[np.intp]:
    """Label ids as table rows; ids < 0 or >= ``num_rows`` → ``num_rows`` (the empty row).

    Negative ids viewed as unsigned are huge, so one ``minimum`` clips both ends.
    """
    if lab.dtype.kind not in "iu":
        lab = lab.astype(np.int64)
    unsigned = lab.view(np.dtype(f"u{lab.dtype.itemsize}"))
    if unsigned.dtype.itemsize == np.dtype(np.intp).itemsize:
        return np.minimum(unsigned, num_rows).view(np.intp)
    index = unsigned.astype(np.intp)
    return np.minimum(index, num_rows, out=index)


def _constrain_gather(
    probs: npt.NDArray[np.floating],
    label: npt.NDArray[np.integer],
    table: AllowedTable,
    void_threshold: float,
    confidence_floor: float,
    valid: npt.NDArray[np.bool_] | None,
) -> npt.NDArray[np.uint8]:
    """``constrain`` reading only each pixel's K allowed candidates (same rules, same ties)."""
    num_classes, height, width = probs.shape
    pixels = height * width
    flat = np.ascontiguousarray(probs, dtype=np.float32).reshape(-1)
    num_rows = table.table.shape[0]  # the padding row of allowed_cols/allowed_count
    k = table.max_allowed
    cols = table.allowed_cols
    count = table.allowed_count
    # offset of each candidate in the flat [C*H*W] probabilities; the sentinel column's
    # slots point at column 0 and are zeroed below (probs >= 0, so a 0 never beats a real max)
    offsets = np.ascontiguousarray(np.where(cols < num_classes, cols, 0).T) * pixels  # [K, E+1]
    source_of = np.append(table.source_ids, 0).astype(np.uint8)[cols].reshape(-1)  # [(E+1)*K]
    void = np.append(table.void, False)
    padded = bool(((count > 0) & (count < k)).any())
    slot = np.arange(k)[:, None]
    rank = (k - np.arange(k, dtype=np.uint8))[:, None]  # first slot holding the max wins
    label_flat = label.reshape(-1)
    valid_flat = None if valid is None else np.asarray(valid, dtype=bool).reshape(-1)
    out = np.empty(pixels, dtype=np.uint8)
    rows_per_tile = max(1, _GATHER_PIXELS // max(1, width))
    pixel_in_tile = np.arange(rows_per_tile * width)
    for start in range(0, pixels, rows_per_tile * width):
        stop = min(pixels, start + rows_per_tile * width)
        lab = label_flat[start:stop]
        index = _row_index(lab, num_rows)
        where = offsets.take(index, axis=1)  # [K, n]: the one lookup
        where += pixel_in_tile[: stop - start]
        candidates = flat[start:][where]
        allowed_here = count.take(index)
        if padded:
            candidates *= slot < allowed_here  # sentinel slots read 0
        best_p = candidates.max(axis=0)
        total = candidates.sum(axis=0, dtype=np.float32)  # slot order = column order
        best_slot = k - (np.equal(candidates, best_p).view(np.uint8) * rank).max(axis=0)
        confidence = np.zeros(stop - start, dtype=np.float32)
        np.divide(best_p, total, out=confidence, where=total > 0)
        drop = allowed_here == 0  # rules 2 and 3
        drop |= void.take(index) & (confidence < void_threshold)  # rule 4
        if confidence_floor > 0:
            drop |= confidence < confidence_floor  # rule 5
        if valid_flat is not None:
            drop |= ~valid_flat[start:stop]
        index *= k
        index += best_slot
        # IGNORE is 255 and ids are <= 254: or-ing 0 - drop (0 or 255) writes the rules' ignores
        np.bitwise_or(source_of.take(index), np.negative(drop.view(np.uint8)), out=out[start:stop])
    return out.reshape(height, width)


__all__ = ["IGNORE", "AllowedTable", "allowed_table", "constrain"]
