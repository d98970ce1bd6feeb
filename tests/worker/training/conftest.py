"""Synthetic frames whose classes are learnable from colour, and runs over them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from ontolabel.jobs.train_params import TrainParams
from ontolabel_worker.ml.data import FramePair, pair_frames
from ontolabel_worker.ml.training.data import TrainSource
from ontolabel_worker.ml.training.run import TrainRun
from PIL import Image

NAMES = ["road", "car", "sky"]
IDS = [0, 3, 7]
"""The taxonomy's ids: label PNGs hold these, channels are 0, 1, 2."""
COLOURS = np.array([[200, 40, 40], [40, 200, 40], [40, 40, 200]])
TRIVIAL = {"shear": (0, 0), "hue_shift": (0, 0), "blur_prob": 0, "noise_prob": 0}
"""Augmentation without the transforms that blend colours across label edges."""


def colour_frames(
    root: Path, count: int, size: tuple[int, int] = (48, 48), seed: int = 0, noise: bool = False
) -> list[FramePair]:
    """Frames of vertical class bands, each band in its class's colour, with an unknown id
    (200) in one corner; ``noise``: labels drawn per pixel instead (nothing to learn)."""
    rng = np.random.default_rng(seed)
    images, labels = root / "images", root / "labels"
    images.mkdir(parents=True)
    labels.mkdir(parents=True)
    h, w = size
    for i in range(count):
        bands = rng.integers(0, len(IDS), 4)
        channel = np.repeat(bands, -(-w // 4))[:w][None].repeat(h, 0)
        image = COLOURS[channel] + rng.integers(-20, 20, (h, w, 3))
        label = np.asarray(IDS)[channel]
        if noise:
            label = rng.choice(IDS, size=(h, w))
        label[:4, :4] = 200
        Image.fromarray(image.clip(0, 255).astype(np.uint8)).save(images / f"f{i:03d}.png")
        Image.fromarray(label.astype(np.uint8)).save(labels / f"f{i:03d}.png")
    pairs, _ = pair_frames(images, labels)
    return pairs


def params(**changes: Any) -> TrainParams:
    """A small SegFormer run on 32 px crops, constant rate, no warm-up, inline loading."""
    base: dict[str, Any] = {
        "taxonomy_id": 1,
        "data": [{"images_dir": "/data/a/images", "labels_dir": "/data/a/labels"}],
        "model": {"preset": "segformer-nano"},
        "augment": {"crop": 32, **TRIVIAL},
        "optim": {"lr": 3e-3, "encoder_lr": None, "schedule": "constant", "warmup_epochs": 0},
        "epochs": 2,
        "batch_size": 4,
        "num_workers": 0,
        "device": "cpu",
    }
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return TrainParams.model_validate(base)


def run_of(
    out_dir: Path,
    sources: list[TrainSource],
    val: list[tuple[str, list[FramePair]]] | None = None,
    **changes: Any,
) -> TrainRun:
    return TrainRun(
        params=params(**changes),
        class_names=NAMES,
        class_ids=IDS,
        sources=sources,
        val=val or [],
        init_path=None,
        out_dir=out_dir,
    )
