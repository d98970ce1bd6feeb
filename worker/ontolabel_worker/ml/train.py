"""The first, minimal trainer: a from-scratch SegFormer at a constant rate, saved once.

Kept only while the ``train`` job kind still calls it; ``ml.training`` replaces it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from ontolabel.domain.taxonomy import VOID_ID

from ontolabel_worker.ml.data import FramePair, read_image, read_label
from ontolabel_worker.ml.models import IMAGENET_MEAN, IMAGENET_STD, SegmentationModel
from ontolabel_worker.ml.training.data import channel_lookup
from ontolabel_worker.ml.training.student import save_student, segformer_config


@dataclass(frozen=True)
class TrainConfig:
    """How long and how to train; sizes as in ``student.SEGFORMER_SIZES``."""

    size: str = "tiny"
    steps: int = 200
    batch_size: int = 4
    crop: int = 128
    learning_rate: float = 6e-4
    seed: int = 0
    device: str = "cpu"
    max_seconds: float | None = None
    """Stop early once this much wall time has passed (demo budgets)."""


def _sample(
    pair: FramePair, lookup: np.ndarray, crop: int, rng: random.Random
) -> tuple[np.ndarray, np.ndarray]:
    image = read_image(pair.image)
    label = lookup[np.clip(read_label(pair.label), 0, 65535)]
    if image.shape[:2] != label.shape:
        raise ValueError(f"{pair.key}: image {image.shape[:2]} and label {label.shape} differ")
    h, w = label.shape
    pad_h, pad_w = max(0, crop - h), max(0, crop - w)
    if pad_h or pad_w:
        image = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)))
        label = np.pad(label, ((0, pad_h), (0, pad_w)), constant_values=VOID_ID)
        h, w = label.shape
    y, x = rng.randint(0, h - crop), rng.randint(0, w - crop)
    image, label = image[y : y + crop, x : x + crop], label[y : y + crop, x : x + crop]
    if rng.random() < 0.5:
        image, label = image[:, ::-1], label[:, ::-1]
    return np.ascontiguousarray(image), np.ascontiguousarray(label)


def train_student(
    pairs: Sequence[FramePair],
    class_names: Sequence[str],
    source_ids: Sequence[int],
    out_dir: Path,
    config: TrainConfig,
    *,
    on_step: Callable[[int, float], None] = lambda step, loss: None,
    is_cancelled: Callable[[], bool] = lambda: False,
) -> dict[str, object]:
    """Train from scratch and save to ``out_dir``; returns a summary (steps, last loss)."""
    from transformers import SegformerForSemanticSegmentation

    if not pairs:
        raise ValueError("no (image, label) pairs to train on")
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    network: Any = SegformerForSemanticSegmentation(segformer_config(class_names, config.size))
    network.to(config.device)
    network.train()
    optimiser = torch.optim.AdamW(network.parameters(), lr=config.learning_rate)
    lookup = channel_lookup(source_ids)
    mean = torch.tensor(IMAGENET_MEAN, device=config.device).view(1, 3, 1, 1) * 255
    std = torch.tensor(IMAGENET_STD, device=config.device).view(1, 3, 1, 1) * 255
    started, loss_value, step = time.monotonic(), float("nan"), 0
    for step in range(1, config.steps + 1):
        samples = [
            _sample(rng.choice(pairs), lookup, config.crop, rng) for _ in range(config.batch_size)
        ]
        images = torch.from_numpy(np.stack([s[0] for s in samples])).permute(0, 3, 1, 2)
        labels = torch.from_numpy(np.stack([s[1] for s in samples])).to(config.device)
        x = (images.to(config.device).float() - mean) / std
        logits = network(pixel_values=x).logits
        logits = F.interpolate(logits, size=labels.shape[-2:], mode="bilinear", align_corners=False)
        loss = F.cross_entropy(logits, labels, ignore_index=VOID_ID)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        loss_value = float(loss.detach())
        on_step(step, loss_value)
        out_of_time = (
            config.max_seconds is not None and time.monotonic() - started > config.max_seconds
        )
        if is_cancelled() or out_of_time:
            break
    summary: dict[str, object] = {
        "steps": step,
        "last_loss": round(loss_value, 5),
        "frames": len(pairs),
        "seconds": round(time.monotonic() - started, 1),
        "config": asdict(config),
    }
    network.eval()
    save_student(SegmentationModel(network.cpu(), "semantic", list(class_names)), out_dir, summary)
    return summary
