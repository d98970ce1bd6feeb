"""Tiny randomly initialised teachers saved to disk, and synthetic frames."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from PIL import Image

if TYPE_CHECKING:
    from transformers import Mask2FormerForUniversalSegmentation

SOURCE_NAMES = ["road", "building", "vegetation", "sky", "person"]
EXTRA_CSV = (
    "id,name\n0,unlabeled\n1,street\n2,house\n3,tree\n4,sky\n5,pedestrian\n6,rider\n7,wall\n"
)
# building → {building, void}; unlabeled → void only; wall is in no row (unmapped).
MAPPING_CSV = (
    "id,name\n"
    "0,road,street\n"
    "1,building,house\n"
    "2,vegetation,tree\n"
    "3,sky,sky\n"
    "4,person,pedestrian,rider\n"
    "255,void,unlabeled,house\n"
)


def segformer_dir(path: Path, names: list[str], seed: int = 0) -> Path:
    """A nano SegFormer naming ``names``, saved with save_pretrained."""
    import torch
    from ontolabel_worker.ml.training.student import segformer_config
    from transformers import SegformerForSemanticSegmentation

    torch.manual_seed(seed)
    model = SegformerForSemanticSegmentation(segformer_config(names, "nano"))
    model.save_pretrained(path)
    return path


def mask2former_dir(path: Path, names: list[str], seed: int = 0) -> Path:
    """A tiny Mask2Former naming ``names``, saved with save_pretrained."""
    import torch
    from ontolabel_worker.ml.training.student import mask2former_config
    from transformers import Mask2FormerForUniversalSegmentation

    torch.manual_seed(seed)
    Mask2FormerForUniversalSegmentation(mask2former_config(names)).save_pretrained(path)
    return path


PAPER_TRAINING_CONFIG: dict[str, Any] = {
    "dataset": ["cityscapes"],
    "seg_task": "semantic",
    "model": "mask2former",
    "size": "large",
    "source_dataset": "cityscapes",
    "validation_datasets": ["cityscapes", "wilddash"],
    "master_labels": "master_labels_cityscapes",
    "color_map": "cityscapes",
    "training_params": {"batch_size": 4, "epochs": 100, "save_best": True, "first_epoch_save": 1},
    "optimizer": {"name": "AdamW", "AdamW": {"encoder_lr": 1e-5, "lr": 1e-4, "weight_decay": 0.05}},
    "lr_scheduler": {
        "name": "MultiStepLR",
        "warmup_epochs": 1,
        "MultiStepLR": {"gamma": 0.1, "milestones": [90, 95]},
    },
    "patience": 15,
    "pretrained": "facebook/mask2former-swin-large-cityscapes-semantic",
    "model_config": {"no_object_weight": 0.005},
}
"""The training YAML as the paper's trainer stores it under ``config`` (see its config.yaml)."""


def paper_teacher(
    path: Path, names: list[str], *, extra: dict[str, Any] | None = None, seed: int = 0
) -> Mask2FormerForUniversalSegmentation:
    """A ``.pth`` in the layout of the paper's released teachers; returns the network (eval).

    As its trainer saves them: the state dict, one real AdamW step's optimiser state, a
    warm-up + MultiStepLR scheduler, the training YAML, the pickled ``Mask2FormerConfig`` and
    the validation figures as tensors; ``extra`` adds entries (e.g. something untrusted).
    """
    import torch
    from ontolabel_worker.ml.training.student import mask2former_config
    from torch.optim.lr_scheduler import LambdaLR, MultiStepLR, SequentialLR
    from transformers import Mask2FormerForUniversalSegmentation

    torch.manual_seed(seed)
    network = Mask2FormerForUniversalSegmentation(mask2former_config(names))
    named = list(network.named_parameters())
    encoder = [p for n, p in named if n.startswith("model.pixel_level_module.encoder")]
    decoder = [p for n, p in named if not n.startswith("model.pixel_level_module.encoder")]
    optimizer = torch.optim.AdamW(
        [{"params": encoder, "lr": 1e-5}, {"params": decoder, "lr": 1e-4}], weight_decay=0.05
    )
    warmup = LambdaLR(optimizer, lambda step: (step + 1) / 11)
    main = MultiStepLR(optimizer, milestones=[90, 95], gamma=0.1)
    scheduler = SequentialLR(optimizer, [warmup, main], milestones=[10])
    out = network(pixel_values=torch.randn(1, 3, 64, 64))
    (out.class_queries_logits.mean() + out.masks_queries_logits.mean()).backward()
    optimizer.step()
    scheduler.step()
    figures = {
        "fitness": torch.tensor(0.61),
        "mean_iou": torch.tensor(0.55),
        "mean_accuracy": torch.tensor(0.83),
        "loss": torch.tensor(1.7),
        "per_category_iou": {name: torch.tensor(0.5) for name in names},
        "per_category_accuracy": {name: torch.tensor(0.8) for name in names},
    }
    torch.save(
        {
            "model_state_dict": network.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "scheduler_state_dict": scheduler.state_dict(),
            "epoch": 7,
            "global_step": 7001,
            "config": PAPER_TRAINING_CONFIG,
            "model_config": network.config,
            **figures,
            **(extra or {}),
        },
        path,
    )
    return network.eval()


@pytest.fixture(scope="session")
def tiny_segformer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return segformer_dir(tmp_path_factory.mktemp("segformer"), SOURCE_NAMES)


@pytest.fixture(scope="session")
def tiny_mask2former(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mask2former_dir(tmp_path_factory.mktemp("mask2former"), SOURCE_NAMES)


def write_frames(
    root: Path, keys: list[str], size: tuple[int, int] = (32, 64), seed: int = 0
) -> tuple[Path, Path]:
    """images/<key>.jpg and labels/<key>.png with extra ids 0..7 (wall = 7 unmapped)."""
    rng = np.random.default_rng(seed)
    images, labels = root / "images", root / "labels"
    for key in keys:
        (images / key).parent.mkdir(parents=True, exist_ok=True)
        (labels / key).parent.mkdir(parents=True, exist_ok=True)
        image = rng.integers(0, 255, (*size, 3), dtype=np.uint8)
        Image.fromarray(image).save(images / f"{key}.jpg")
        label = rng.integers(0, 8, size, dtype=np.uint8)
        Image.fromarray(label).save(labels / f"{key}.png")
    return images, labels


@pytest.fixture
def frames(tmp_path: Path) -> Callable[..., tuple[Path, Path]]:
    return lambda keys, **kw: write_frames(tmp_path / "data", keys, **kw)
