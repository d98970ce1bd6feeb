"""The mapping constraint on the device: DESIGN.md "Constraint semantics", rules 1-5.

Per pixel with extra label ``e`` and teacher probabilities ``p`` over the C source classes:

1. ``A = allowed(e)``; ``A_c = A \\ {void}``.
2. ``A_c`` empty and ``void ∈ A`` → 255.
3. ``A`` empty (label unmapped, or beyond the table) → 255, never class 0.
4. ``ŝ = argmax_{c ∈ A_c} p(c)``; if ``void ∈ A`` and ``p(ŝ) / Σ_{A_c} p`` is below the void
   threshold → 255, else the source id of ``ŝ``.
5. pixels outside ``valid`` and pixels whose renormalised confidence is below the global
   confidence floor → 255.

The lookup reads only each pixel's K allowed candidates (K = the most classes one label
allows, ``AllowedTable.allowed_cols``): the label image indexes a ``[K, E+1]`` column table,
one ``gather`` fetches the candidates, sentinel slots read 0 — no Python loop over classes.
It must agree pixel for pixel with the numpy reference
``ontolabel.domain.constraint.constrain``; the arithmetic is kept in the same form (float32,
slots in ascending column order so the first slot holding the max wins a tie, sums in slot
order, ``q = p(ŝ) / Σ`` with ``q = 0`` for a zero sum). On CPU tensors ``constrain`` runs
the domain's compiled kernel on the same memory (ATen's CPU gather/argmax is several times
slower); the torch kernel is what runs on the GPU, and the tests force it on CPU too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from ontolabel.domain.constraint import AllowedTable
from ontolabel.domain.constraint import constrain as reference_constrain
from ontolabel.domain.labeling import DEFAULT_VOID_THRESHOLD
from ontolabel.domain.taxonomy import VOID_ID
from torch import Tensor


@dataclass(frozen=True)
class ConstraintOptions:
    """Knobs of rules 4 and 5."""

    void_threshold: float = DEFAULT_VOID_THRESHOLD
    confidence_floor: float = 0.0


@dataclass(frozen=True)
class DeviceTable:
    """An allowed table moved to a device, with one extra empty row for out-of-range ids.

    ``allowed[e, c]`` says source channel ``c`` may appear under extra id ``e``; ``void[e]``
    says ``void`` may; ``source_ids[c]`` is the id written for channel ``c``. ``columns[k, e]``
    is row ``e``'s k-th allowed channel (ascending; slots ``k >= count[e]`` are padding that
    reads channel 0 and is zeroed), ``slot_source[e * K + k]`` the id it writes. ``host`` is
    the numpy table, for the CPU kernel.
    """

    allowed: Tensor  # bool [E+1, C]
    void: Tensor  # bool [E+1]
    source_ids: Tensor  # uint8 [C]
    columns: Tensor  # int64 [K, E+1]
    count: Tensor  # int64 [E+1]: real slots per row (0: rules 2 and 3)
    slot_source: Tensor  # uint8 [(E+1) * K]
    host: AllowedTable

    @classmethod
    def build(
        cls,
        table: np.ndarray,
        void: np.ndarray,
        source_ids: np.ndarray,
        device: torch.device | str = "cpu",
    ) -> DeviceTable:
        table = np.asarray(table, dtype=bool)
        host = AllowedTable(
            table=table,
            void=np.asarray(void, dtype=bool),
            source_ids=np.asarray(source_ids, dtype=np.int64),
            extra_ids=np.arange(table.shape[0], dtype=np.int64),
        )
        num_classes = table.shape[1]
        cols = host.allowed_cols  # [E+1, K], sentinel column = C
        padded = np.zeros((table.shape[0] + 1, num_classes), dtype=bool)
        padded[:-1] = table
        slot_source = np.append(host.source_ids, 0).astype(np.uint8)[cols].reshape(-1)
        return cls(
            allowed=torch.from_numpy(padded).to(device),
            void=torch.from_numpy(np.append(host.void, False)).to(device),
            source_ids=torch.as_tensor(host.source_ids, dtype=torch.uint8, device=device),
            columns=torch.from_numpy(
                np.ascontiguousarray(np.where(cols < num_classes, cols, 0).T, dtype=np.int64)
            ).to(device),
            count=torch.from_numpy(host.allowed_count.astype(np.int64)).to(device),
            slot_source=torch.from_numpy(slot_source).to(device),
            host=host,
        )

    @classmethod
    def from_allowed_table(
        cls, allowed: AllowedTable, device: torch.device | str = "cpu"
    ) -> DeviceTable:
        """From the domain's numpy table (``ontolabel.domain.constraint.allowed_table``)."""
        return cls.build(allowed.table, allowed.void, allowed.source_ids, device)

    @property
    def num_extra_ids(self) -> int:
        return int(self.allowed.shape[0]) - 1

    @property
    def num_classes(self) -> int:
        return int(self.allowed.shape[1])


def frame_stats(label: Tensor, prediction: Tensor) -> dict[str, float]:
    """Share of pixels the priors moved to another class, and share written as ignore."""
    n = max(1, label.numel())
    changed = (label != prediction) & (label != VOID_ID)
    return {
        "changed_by_priors": round(float(changed.sum()) / n, 6),
        "ignored": round(float((label == VOID_ID).sum()) / n, 6),
    }


def _label_index(label: Tensor, table: DeviceTable) -> Tensor:
    """Label ids as table rows; ids beyond the table hit the all-false padding row (rule 3)."""
    index = label.to(torch.long)
    out_of_range = (index < 0) | (index >= table.num_extra_ids)
    return torch.where(out_of_range, torch.full_like(index, table.num_extra_ids), index)


def constrain(
    probs: Tensor,
    label: Tensor,
    table: DeviceTable,
    options: ConstraintOptions = ConstraintOptions(),
    valid: Tensor | None = None,
    *,
    kernel: Literal["auto", "torch"] = "auto",
) -> Tensor:
    """The pseudo-label (source ids, uint8 [H, W]) for ``probs`` [C, H, W] under ``label``.

    Work per pixel is K (the most classes one label allows), not C. ``kernel="auto"`` runs
    CPU tensors through the domain's compiled kernel (same result, faster there); ``"torch"`` always
    uses the torch one.
    """
    if probs.shape[0] != table.num_classes:
        raise ValueError(
            f"probabilities have {probs.shape[0]} classes but the table has {table.num_classes}"
        )
    if probs.shape[1:] != label.shape:
        raise ValueError(f"probabilities {tuple(probs.shape[1:])} vs label {tuple(label.shape)}")
    if kernel == "auto" and probs.device.type == "cpu" and label.device.type == "cpu":
        pseudo = reference_constrain(
            probs.detach().to(torch.float32).numpy(),
            label.numpy(),
            table.host,
            void_threshold=options.void_threshold,
            confidence_floor=options.confidence_floor,
            valid=None if valid is None else valid.to(torch.bool).cpu().numpy(),
        )
        return torch.from_numpy(pseudo)
    probs = probs.to(torch.float32)
    index = _label_index(label, table).reshape(-1)
    k = table.columns.shape[0]
    # The lookup: each pixel's allowed channels (ascending: the first slot holding the max is
    # the lowest channel, the reference's tie rule) and their probabilities, in one gather.
    candidates = probs.reshape(probs.shape[0], -1).gather(0, table.columns.index_select(1, index))
    allowed_here = table.count.index_select(0, index)
    slot = torch.arange(k, device=probs.device).unsqueeze(1)
    candidates = torch.where(slot < allowed_here, candidates, 0.0)  # sentinel slots read 0
    best_p = candidates.amax(dim=0)
    rank = (k - slot).to(torch.uint8)
    best_slot = k - ((candidates == best_p).to(torch.uint8) * rank).amax(dim=0).to(torch.long)
    total = candidates.sum(dim=0)
    confidence = torch.where(total > 0, best_p / total, 0.0)
    ignore = allowed_here == 0  # rules 2 and 3
    ignore |= table.void[index] & (confidence < options.void_threshold)  # rule 4
    if options.confidence_floor > 0:
        ignore |= confidence < options.confidence_floor  # rule 5 (floor)
    if valid is not None:
        ignore |= ~valid.to(torch.bool).reshape(-1)  # rule 5 (padding)
    label_out = table.slot_source[index * k + best_slot]
    out = torch.where(ignore, torch.full_like(label_out, VOID_ID), label_out)
    return out.reshape(label.shape)


def unconstrained(probs: Tensor, table: DeviceTable) -> Tensor:
    """The teacher's plain argmax as source ids (what the priors are compared against)."""
    return table.source_ids[probs.argmax(dim=0)]


def soft_top_k(probs: Tensor, label: Tensor, table: DeviceTable, k: int) -> tuple[Tensor, Tensor]:
    """Top-``k`` of the constrained, renormalised distribution: (source ids, uint8 px255).

    Pixels whose label allows no real class get probability 0 everywhere.
    """
    index = _label_index(label, table)
    mask = table.allowed[index].permute(2, 0, 1)
    masked = torch.where(mask, probs.to(torch.float32), 0.0)
    total = masked.sum(0, keepdim=True)
    renorm = torch.where(total > 0, masked / total, 0.0)
    values, channels = renorm.topk(min(k, table.num_classes), dim=0)
    quantised = (values * 255).round().clamp(0, 255).to(torch.uint8)
    return table.source_ids[channels], quantised
