"""Mask2Former's training targets from a semantic label."""

from __future__ import annotations

from dataclasses import dataclass

from ontolabel.domain.taxonomy import VOID_ID
from torch import Tensor


@dataclass(frozen=True)
class MaskTargets:
    mask_labels: Tensor
    """float [N,H,W]: one binary mask per class present; a 255 pixel is in none."""
    class_labels: Tensor
    """int64 [N]: each mask's class (channel index)."""


def mask_targets(label: Tensor) -> MaskTargets:
    """Targets of one channel label [H,W] (255 ignored). A crop holding only 255 gives
    N = 0, which the model's loss accepts (every query then learns "no object")."""
    classes = label.unique()
    classes = classes[classes != VOID_ID]
    masks = (label[None] == classes[:, None, None]).float()
    return MaskTargets(mask_labels=masks, class_labels=classes.long())
