"""TTA: shapes at label resolution, flips undone, tiles for large scales."""

from __future__ import annotations

from pathlib import Path

import torch
from ontolabel_worker.ml.models import ModelSpec, load_model
from ontolabel_worker.ml.tta import TTAConfig, predict


def test_flip_views_are_flipped_back(tiny_segformer: Path) -> None:
    # given a model and an asymmetric image
    model = load_model(ModelSpec("hf_dir", str(tiny_segformer)))
    torch.manual_seed(0)
    images = torch.randint(0, 255, (2, 3, 32, 64), dtype=torch.uint8)
    size = (16, 48)  # label resolution differs from the image's
    # when TTA runs with flip at one scale
    both = predict(model, images, size, TTAConfig(scales=(1.0,), flip=True)).probs
    # then it is the mean of the plain view and the flipped view flipped back
    plain = predict(model, images, size, TTAConfig(scales=(1.0,), flip=False)).probs
    mirrored = predict(model, images.flip(-1), size, TTAConfig(scales=(1.0,), flip=False)).probs
    torch.testing.assert_close(both, (plain + mirrored.flip(-1)) / 2, atol=1e-5, rtol=0)
    assert both.shape == (2, 5, 16, 48)


def test_scales_average_to_a_distribution(tiny_mask2former: Path) -> None:
    model = load_model(ModelSpec("hf_dir", str(tiny_mask2former)))
    images = torch.randint(0, 255, (1, 3, 32, 64), dtype=torch.uint8)
    result = predict(model, images, (32, 64), TTAConfig(scales=(0.5, 1.0, 1.5)))
    assert result.probs.shape == (1, 5, 32, 64)
    torch.testing.assert_close(result.probs.sum(1), torch.ones(1, 32, 64), atol=1e-4, rtol=0)
    assert result.notes == [[]]


def test_large_scales_run_in_tiles(tiny_segformer: Path) -> None:
    # given a pixel budget below the 2x view
    model = load_model(ModelSpec("hf_dir", str(tiny_segformer)))
    images = torch.randint(0, 255, (1, 3, 32, 64), dtype=torch.uint8)
    config = TTAConfig(scales=(1.0, 2.0), flip=True, max_pixels=32 * 64, tile=40)
    # then the result still covers the frame with a distribution per pixel
    probs = predict(model, images, (32, 64), config).probs
    torch.testing.assert_close(probs.sum(1), torch.ones(1, 32, 64), atol=1e-4, rtol=0)
