"""Mask2Former targets from a semantic label."""

from __future__ import annotations

import torch
from ontolabel_worker.ml.training.targets import mask_targets


def test_one_mask_per_class_present_and_255_in_none() -> None:
    # given a label with channels 0 and 2 and ignored pixels
    label = torch.tensor([[0, 0, 2], [255, 2, 2]])
    # when it becomes targets
    targets = mask_targets(label)
    # then each present class has one binary mask, and the masks cover exactly the labelled
    assert targets.class_labels.tolist() == [0, 2]
    assert targets.mask_labels.dtype == torch.float32
    assert targets.mask_labels[0].tolist() == [[1, 1, 0], [0, 0, 0]]
    assert targets.mask_labels[1].tolist() == [[0, 0, 1], [0, 1, 1]]
    assert targets.mask_labels.sum(0).tolist() == [[1, 1, 1], [0, 1, 1]]


def test_an_all_ignored_crop_gives_empty_targets() -> None:
    targets = mask_targets(torch.full((4, 5), 255))
    assert targets.mask_labels.shape == (0, 4, 5)
    assert targets.class_labels.shape == (0,) and targets.class_labels.dtype == torch.int64
