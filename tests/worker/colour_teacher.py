"""A demo-world teacher in a second instead of minutes: a nano SegFormer whose weights make it
a per-pixel linear classifier of the local colour, fitted on ``demo-source``.

Training a SegFormer that tells the demo's classes apart takes minutes of CPU; the demo's
classes each have their own colour, so a linear read-out of a 5x5 colour average is a
teacher good on large regions and weak on thin ones (poles), as real teachers are. Its
weights are set by hand so the network computes exactly that: the first patch embedding
averages the normalised colour, every transformer block adds zero (output projections 0),
the layer norms see ``(c, -c, B, -B)`` and so pass ``c`` through almost linearly, the second
stage is cut off in the decode head, and the classifier holds a multinomial logistic
regression fitted on the same features. It loads and runs like any saved teacher.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from ontolabel_worker.ml.data import pair_frames, read_image, read_label
from ontolabel_worker.ml.models import IMAGENET_MEAN, IMAGENET_STD
from ontolabel_worker.ml.training.student import segformer_config

_BIG = 100.0
"""The constant channels' size: the layer norms' nonlinearity shrinks to ~|c|²/B²."""

_OFFSET = 10.0
"""Added before the decode head's ReLU so the colour channels stay positive."""


def _features(image: np.ndarray) -> torch.Tensor:
    """What the patched network computes per pixel: mean normalised colours around it."""
    x = torch.from_numpy(image.copy()).permute(2, 0, 1).float()[None]
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1) * 255
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) * 255
    x = (x - mean) / std
    return F.conv2d(x, _kernel(), stride=1, padding=3)[0]


FEATURES = 9
"""The mean colour over 1x1, 3x3 and 7x7 windows (the widest averages textures away)."""


def _kernel() -> torch.Tensor:
    weight = torch.zeros(FEATURES, 3, 7, 7)
    for scale, side in enumerate((1, 3, 7)):
        lo, hi = 3 - side // 2, 4 + side // 2
        for c in range(3):
            weight[3 * scale + c, c, lo:hi, lo:hi] = 1 / side**2
    return weight


def _fit(features: torch.Tensor, labels: torch.Tensor, classes: int) -> torch.nn.Linear:
    """Multinomial logistic regression, full batch."""
    torch.manual_seed(0)
    linear = torch.nn.Linear(features.shape[1], classes)
    optimiser = torch.optim.LBFGS(linear.parameters(), max_iter=60, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = F.cross_entropy(linear(features), labels)
        loss.backward()
        return loss

    optimiser.step(closure)
    return linear


def colour_teacher_dir(path: Path, source_root: Path, names: Sequence[str]) -> Path:
    """Fit on ``source_root``'s images/labels (ids = channels) and ``save_pretrained`` to path."""
    from transformers import SegformerForSemanticSegmentation

    pairs, _ = pair_frames(source_root / "images", source_root / "labels")
    xs, ys = [], []
    for pair in pairs:
        feats = _features(read_image(pair.image))
        label = torch.from_numpy(read_label(pair.label))
        keep = label < len(names)
        keep[1::3] = keep[2::3] = False  # every third row is plenty
        xs.append(feats[:, keep].T)
        ys.append(label[keep])
    linear = _fit(torch.cat(xs), torch.cat(ys), len(names))
    config = segformer_config(list(names), "nano")
    config.hidden_sizes = [2 * FEATURES + 2, *config.hidden_sizes[1:]]
    config.strides = [1, *config.strides[1:]]  # full resolution: no blur at region edges
    config.decoder_hidden_size = max(config.decoder_hidden_size, FEATURES)
    model = SegformerForSemanticSegmentation(config)
    model.eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
        patch = model.get_submodule("segformer.stages.0.patch_embeddings")
        kernel = _kernel()
        n = FEATURES
        patch.proj.weight[0:n] = kernel
        patch.proj.weight[n : 2 * n] = -kernel
        patch.proj.bias[2 * n] = _BIG
        patch.proj.bias[2 * n + 1] = -_BIG
        # each layer norm sees (c, -c, B, -B): mean 0, std ≈ B/sqrt(n + 1), which its
        # weight gives back
        scale = _BIG / (n + 1) ** 0.5
        patch.layer_norm.weight.fill_(scale)
        model.get_submodule("segformer.stages.0.layer_norm").weight.fill_(scale)
        head = model.decode_head
        projection = model.get_submodule("decode_head.linear_projections.0.proj")  # [D, 2n+2]
        projection.weight[0:n, 0:n] = torch.eye(n)
        projection.bias[0:n] = _OFFSET
        hidden = projection.weight.shape[0]
        fuse = head.linear_fuse.weight  # [D, 2D, 1, 1]: stage 0 comes last in the concat
        for j in range(n):
            fuse[j, hidden + j, 0, 0] = 1.0
        head.batch_norm.weight.fill_(1.0)
        head.batch_norm.running_mean.zero_()
        head.batch_norm.running_var.fill_(1.0 - head.batch_norm.eps)
        head.classifier.weight[:, 0:n, 0, 0] = linear.weight
        head.classifier.bias.copy_(linear.bias - _OFFSET * linear.weight.sum(dim=1))
    model.save_pretrained(path)
    return path
