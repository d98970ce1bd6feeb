"""Tiny randomly initialised teachers saved to disk, and synthetic frames."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

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
    from ontolabel_worker.ml.train import segformer_config
    from transformers import SegformerForSemanticSegmentation

    torch.manual_seed(seed)
    model = SegformerForSemanticSegmentation(segformer_config(names, "nano"))  # type: ignore[arg-type]
    model.save_pretrained(path)
    return path


def mask2former_dir(path: Path, names: list[str], seed: int = 0) -> Path:
    """A Mask2Former with a 1-layer-per-stage tiny Swin backbone."""
    import torch
    from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation, SwinConfig

    torch.manual_seed(seed)
    # transformers' stubs miss the PretrainedConfig kwargs: pass them as a dict
    common: dict[str, Any] = {"out_features": ["stage1", "stage2", "stage3", "stage4"]}
    swin = SwinConfig(
        embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1], window_size=4, **common
    )
    labels: dict[str, Any] = {"num_labels": len(names)}
    config = Mask2FormerConfig(
        backbone_config=swin,
        **labels,
        hidden_dim=32,
        mask_feature_size=32,
        feature_size=32,
        num_queries=8,
        encoder_layers=1,
        decoder_layers=2,
        encoder_feedforward_dim=64,
        dim_feedforward=64,
        num_attention_heads=2,
        id2label=dict(enumerate(names)),
        label2id={n: i for i, n in enumerate(names)},
    )
    Mask2FormerForUniversalSegmentation(config).save_pretrained(path)
    return path


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
