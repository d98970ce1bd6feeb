"""Confusion matrices and IoU for evaluating models and pseudo-labels."""

from __future__ import annotations

import numpy as np
from ontolabel.domain.taxonomy import VOID_ID


def confusion(
    prediction: np.ndarray, truth: np.ndarray, num_classes: int, ignore: int = VOID_ID
) -> np.ndarray:
    """int64 [truth, prediction] counts over pixels whose truth is a class (not ``ignore``).

    Predictions outside ``0..num_classes-1`` (e.g. 255) count in an extra last column.
    """
    t = truth.reshape(-1).astype(np.int64)
    p = prediction.reshape(-1).astype(np.int64)
    keep = (t != ignore) & (t >= 0) & (t < num_classes)
    t, p = t[keep], p[keep]
    p = np.where((p >= 0) & (p < num_classes), p, num_classes)
    counts = np.bincount(t * (num_classes + 1) + p, minlength=num_classes * (num_classes + 1))
    return counts.reshape(num_classes, num_classes + 1)


def iou_per_class(matrix: np.ndarray) -> np.ndarray:
    """IoU per class (NaN where the class is absent from truth and prediction)."""
    num_classes = matrix.shape[0]
    tp = np.diag(matrix[:, :num_classes]).astype(np.float64)
    fn = matrix.sum(1) - tp
    fp = matrix[:, :num_classes].sum(0) - tp
    denom = tp + fp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom > 0, tp / denom, np.nan)


def mean_iou(matrix: np.ndarray) -> float:
    iou = iou_per_class(matrix)
    return float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan")
