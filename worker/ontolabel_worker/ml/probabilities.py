"""A teacher's unconstrained probabilities for one frame, as numpy: what statistics over
frames (``domain.suggestions``) read, from the model or from a preview job's cache."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from ontolabel.preview.cache import load_cached

from ontolabel_worker.ml.models import SegmentationModel
from ontolabel_worker.ml.tta import TTAConfig, predict


@dataclass(frozen=True)
class FrameProbabilities:
    """``probs [C,H,W]`` float32 and the extra ``label [H,W]`` at the same size."""

    probs: npt.NDArray[np.float32]
    label: npt.NDArray[np.int64]


def predicted(
    model: SegmentationModel,
    image: npt.NDArray[np.uint8],
    label: npt.NDArray[np.int64],
    tta: TTAConfig,
) -> FrameProbabilities:
    """The model's TTA softmax of ``image [H,W,3]`` at the label's resolution (rule 6)."""
    x = torch.from_numpy(image.copy()).permute(2, 0, 1)[None].to(model.device)
    probs = predict(model, x, (int(label.shape[0]), int(label.shape[1])), tta).probs[0]
    return FrameProbabilities(probs.float().cpu().numpy(), label)


def cached(path: Path, class_names: list[str]) -> FrameProbabilities | None:
    """A preview job's cached probabilities and label, if there and made for these classes."""
    if not path.is_file():
        return None
    frame = load_cached(path)
    if frame.label is None or frame.class_names != class_names:
        return None
    return FrameProbabilities(frame.probs, frame.label)
