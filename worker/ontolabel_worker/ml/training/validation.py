"""Scores on the validation sets, with the project's own confusion → IoU code."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from accelerate import Accelerator

from ontolabel_worker.ml.data import FramePair, load_frames
from ontolabel_worker.ml.metrics import confusion, iou_per_class, mean_iou
from ontolabel_worker.ml.models import SegmentationModel
from ontolabel_worker.ml.training.data import MAX_LABEL_ID

MIOU_SHARE = 0.8
"""Fitness = 0.8 mIoU + 0.2 mean class accuracy, as the paper's trainer chooses its best."""


def _finite(value: float) -> float | None:
    """JSON (and PostgreSQL's jsonb) has no NaN: a score with nothing to count is None."""
    return None if math.isnan(value) else float(value)


@dataclass(frozen=True)
class ValScores:
    """One validation set's scores (fractions); None where nothing was there to score."""

    miou: float | None
    per_class: dict[str, float | None]
    """IoU by class name; None for a class absent from truth and prediction."""
    pixel_accuracy: float | None
    """Correct labelled pixels / labelled pixels."""
    mean_accuracy: float | None
    """Per-class pixel accuracy (recall), averaged over the classes present."""

    @property
    def fitness(self) -> float | None:
        if self.miou is None or self.mean_accuracy is None:
            return None
        return MIOU_SHARE * self.miou + (1 - MIOU_SHARE) * self.mean_accuracy

    @classmethod
    def from_confusion(cls, matrix: np.ndarray, class_names: Sequence[str]) -> ValScores:
        """Scores of a [truth, prediction] count matrix (``metrics.confusion``)."""
        correct = np.diag(matrix[:, : len(class_names)]).astype(np.float64)
        truth = matrix.sum(1).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            recall = np.where(truth > 0, correct / truth, np.nan)
        labelled = truth.sum()
        return cls(
            miou=_finite(mean_iou(matrix)),
            per_class={
                name: _finite(iou)
                for name, iou in zip(class_names, iou_per_class(matrix), strict=True)
            },
            pixel_accuracy=_finite(correct.sum() / labelled) if labelled else None,
            mean_accuracy=_finite(float(np.nanmean(recall))) if (truth > 0).any() else None,
        )


def score(
    model: SegmentationModel,
    pairs: Sequence[FramePair],
    lookup: np.ndarray,
    accelerator: Accelerator,
    num_workers: int,
) -> ValScores:
    """Whole frames (no augmentation) through ``model``; each process scores its share of
    ``pairs`` and the confusion matrices are summed over processes."""
    num_classes = model.num_classes
    matrix = np.zeros((num_classes, num_classes + 1), dtype=np.int64)
    table = torch.from_numpy(lookup)
    shard = list(pairs)[accelerator.process_index :: accelerator.num_processes]
    was_training = model.network.training
    model.network.eval()
    with torch.no_grad():
        for frame in load_frames(shard, num_workers=num_workers):
            if frame.error is not None:
                raise ValueError(f"validation frame {frame.pair.key}: {frame.error}")
            labels = table[frame.label.clamp(0, MAX_LABEL_ID)]
            pixels = model.normalise(frame.image[None].to(accelerator.device))
            with accelerator.autocast():
                size = (int(labels.shape[0]), int(labels.shape[1]))
                probabilities = model.probabilities(pixels, size)
            prediction = probabilities.argmax(1)[0].cpu().numpy()
            matrix += confusion(prediction, labels.numpy(), num_classes)
    model.network.train(was_training)
    total = accelerator.reduce(torch.from_numpy(matrix).to(accelerator.device), "sum")
    return ValScores.from_confusion(total.cpu().numpy(), model.class_names)
