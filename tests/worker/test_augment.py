"""Training augmentation: image and label get one geometry; labels stay labels."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from ontolabel.jobs.train_params import AugmentOverrides, AugmentSettings
from ontolabel_worker.ml.augment import (
    AugmentationConfig,
    RandomScaledCrop,
    build_augmentation,
    with_overrides,
)
from torchvision import tv_tensors

IGNORE = 255
GRAY = 127
# Each label id is painted into the image as id * STEP, so any pixel's value names its class.
STEP = 40
GEOMETRY_ONLY = {
    "brightness": (1.0, 1.0),
    "contrast": (1.0, 1.0),
    "saturation": (1.0, 1.0),
    "hue_shift": (0.0, 0.0),
    "blur_prob": 0.0,
    "noise_prob": 0.0,
}


def contract(crop: int | tuple[int, int]) -> AugmentationConfig:
    """The contract's default augmentation at output size ``crop``."""
    return AugmentationConfig.from_settings(AugmentSettings(), {"crop": crop})


def blocks(height: int, width: int, ids: tuple[int, ...] = (1, 2, 3, 4, 5)) -> torch.Tensor:
    """A label map of 12x10 blocks whose ids change along both axes and never repeat a
    period that a crop offset or flip could hide behind."""
    rows = torch.arange(height).view(-1, 1) // 12
    cols = torch.arange(width).view(1, -1) // 10
    index = (rows * 7 + cols * 3 + rows * cols) % len(ids)
    return torch.tensor(ids)[index]


def painted(label: torch.Tensor) -> tuple[tv_tensors.Image, tv_tensors.Mask]:
    """The frame whose image encodes its label: every channel = id * STEP."""
    image = (label * STEP).to(torch.uint8).expand(3, -1, -1).contiguous()
    return tv_tensors.Image(image), tv_tensors.Mask(label)


def interior(mask: torch.Tensor, border: int = 1) -> torch.Tensor:
    """Pixels at least ``border`` px from any edge between labels and from the frame's edge
    (where the image may blend with a fill just outside)."""
    side = 2 * border + 1
    padded = torch.nn.functional.pad(mask[None, None].float(), (border,) * 4, value=-1)
    neighbours = padded.unfold(2, side, 1).unfold(3, side, 1)[0, 0].flatten(-2)
    return (neighbours == mask[..., None].float()).all(-1)


@pytest.mark.parametrize(
    ("shear", "border"),
    [
        # the crop's one resample: 1 px, which also catches a half-pixel drift between the
        # image's bilinear and the mask's nearest sampling
        ((0, 0), 1),
        # a shear resamples the crop again, so the image blends over 2 px; the label is exact
        ((-5, 5), 2),
    ],
)
def test_image_and_mask_stay_aligned_through_crop_flip_and_shear(
    shear: tuple[int, int], border: int
) -> None:
    # given a frame whose pixels name their own class, and geometry only (crop, flip, shear)
    config = with_overrides(contract(64), {**GEOMETRY_ONLY, "shear": shear})
    augment = build_augmentation(config)
    image, mask = painted(blocks(96, 128))
    torch.manual_seed(0)
    for _ in range(60):
        # when both go through one augmentation
        out_image, out_mask = augment(image, mask)
        # then away from label edges every labelled pixel still shows its own class
        inside = interior(out_mask, border) & (out_mask != IGNORE)
        assert inside.sum() > 0.1 * out_mask.numel()
        expected = out_mask[inside] * STEP
        assert (out_image[0][inside].int() - expected).abs().max() <= 1


def test_a_crop_larger_than_the_image_pads_labels_with_255_and_the_image_with_gray() -> None:
    # given a 40x40 frame with no 0 label, and a crop window that must exceed it
    config = with_overrides(contract(64), {**GEOMETRY_ONLY, "min_crop_size": 64, "shear": (0, 0)})
    image, mask = painted(blocks(40, 40, ids=(1, 2)))
    torch.manual_seed(1)
    for _ in range(20):
        # when it is augmented
        out_image, out_mask = build_augmentation(config)(image, mask)
        # then the padding is 255 in the label (never 0) and gray in the image
        assert set(out_mask.unique().tolist()) == {1, 2, IGNORE}
        padding = interior(out_mask) & (out_mask == IGNORE)
        assert padding.any()
        assert (out_image[:, padding] == GRAY).all()


def test_shear_fills_the_exposed_corners_with_255_never_0() -> None:
    # given a frame larger than the crop, no 0 label, and a strong shear
    config = with_overrides(contract(64), {**GEOMETRY_ONLY, "shear": (20, 30)})
    image, mask = painted(blocks(200, 200, ids=(1, 2, 3)))
    torch.manual_seed(2)
    # when it is augmented
    _, out_mask = build_augmentation(config)(image, mask)
    # then the corners the shear uncovers are 255 and no pixel became 0
    assert out_mask[0, 0] == IGNORE or out_mask[0, -1] == IGNORE
    assert out_mask[-1, 0] == IGNORE or out_mask[-1, -1] == IGNORE
    assert 0 not in out_mask.unique().tolist()


def test_labels_resample_nearest_with_every_transform_on() -> None:
    # given per-pixel random labels (any blending would invent new ids) and every
    # photometric transform forced on
    config = with_overrides(contract(48), {"blur_prob": 1.0, "noise_prob": 1.0, "shear": (-10, 10)})
    generator = torch.Generator().manual_seed(3)
    ids = torch.tensor([3, 7, 200])
    label = ids[torch.randint(0, 3, (70, 90), generator=generator)]
    image = tv_tensors.Image(torch.randint(0, 256, (3, 70, 90), dtype=torch.uint8))
    torch.manual_seed(3)
    for _ in range(20):
        # when it is augmented
        _, out_mask = build_augmentation(config)(image, tv_tensors.Mask(label))
        # then the label holds only input ids and 255
        assert set(out_mask.unique().tolist()) <= {3, 7, 200, IGNORE}


@pytest.mark.parametrize("size", [(30, 50), (100, 60), (300, 500)])
@pytest.mark.parametrize("crop", [64, (48, 80)])
def test_outputs_have_the_crop_size_whatever_the_input(
    size: tuple[int, int], crop: int | tuple[int, int]
) -> None:
    # given frames of any size
    image = tv_tensors.Image(torch.randint(0, 256, (3, *size), dtype=torch.uint8))
    mask = tv_tensors.Mask(blocks(*size).to(torch.uint8))
    # when they are augmented
    out_image, out_mask = build_augmentation(contract(crop))(image, mask)
    # then both have the crop's size (so batches stack) and keep their types and dtypes
    height, width = (crop, crop) if isinstance(crop, int) else crop
    assert out_image.shape == (3, height, width) and out_image.dtype == torch.uint8
    assert out_mask.shape == (height, width) and out_mask.dtype == torch.uint8
    assert isinstance(out_image, tv_tensors.Image) and isinstance(out_mask, tv_tensors.Mask)


@pytest.mark.parametrize(
    ("settings", "size", "widths"),
    [
        # the paper's defaults on a 1000x2000 frame: 0.67 * 0.95 * 2000 up to 0.95 * 2000
        ({}, (1000, 2000), (1273, 1900)),
        # max_crop_size caps the largest window, and the smallest follows it
        ({"max_crop_size": 500}, (1000, 2000), (335, 500)),
        # min_crop_size floors a small frame's window, even past the frame (it is padded)
        ({"min_crop_size": 240}, (100, 120), (240, 240)),
    ],
)
def test_the_crop_window_spans_the_documented_widths(
    settings: dict[str, int], size: tuple[int, int], widths: tuple[int, int]
) -> None:
    # given a crop with a 1:2 output and a frame of ``size``
    crop = RandomScaledCrop(with_overrides(contract((100, 200)), settings))
    frame = tv_tensors.Image(torch.zeros(3, *size, dtype=torch.uint8))
    torch.manual_seed(4)
    # when windows are drawn
    drawn = [crop.make_params([frame]) for _ in range(5000)]
    # then their widths cover [lowest, highest] and their heights keep the output's aspect
    assert min(p["width"] for p in drawn) == widths[0]
    assert max(p["width"] for p in drawn) == widths[1]
    assert all(p["height"] == round(p["width"] / 2) for p in drawn)


def test_overrides_merge_per_dataset_and_refuse_unknown_keys() -> None:
    # given the base settings and the paper's tas500 override (YAML gives lists)
    base = contract(128)
    # when they are merged
    tas500 = with_overrides(base, {"max_crop_scale": 0.66, "min_crop_scale": 0.33})
    jitter = with_overrides(base, {"brightness": [0.9, 1.1], "crop": [64, 96]})
    # then only the named settings change, lists become tuples
    assert (tas500.min_crop_scale, tas500.max_crop_scale) == (0.33, 0.66)
    assert tas500.crop == 128 and tas500.flip == base.flip
    assert jitter.brightness == (0.9, 1.1) and jitter.crop == (64, 96)
    # and an unknown key is refused by name
    with pytest.raises(ValueError, match="max_crop_sclae"):
        with_overrides(base, {"max_crop_sclae": 0.5})
    with pytest.raises(ValueError, match="min_crop_scale"):
        with_overrides(base, {"min_crop_scale": 0.99})


def test_same_seed_same_augmentation() -> None:
    # given one frame and one augmentation
    augment = build_augmentation(contract(64))
    image, mask = painted(blocks(96, 128))

    def run(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        torch.manual_seed(seed)
        return augment(image, mask)

    # when it runs twice under one seed and once under another
    first, again, other = run(5), run(5), run(6)
    # then the same seed repeats it exactly and another seed differs
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    assert not torch.equal(first[0], other[0])


def test_settings_come_from_the_contract_and_a_datasets_overrides_apply_over_them() -> None:
    # given the job's settings with one change and a dataset's overrides (tas500's scales)
    settings = AugmentSettings(crop=96, flip=0.25)
    tas500 = AugmentOverrides(min_crop_scale=0.33, max_crop_scale=0.66)
    # when the dataset's augmentation is built
    config = AugmentationConfig.from_settings(settings, tas500)
    # then every value is the contract's, except the job's change and the dataset's own
    expected = {**AugmentSettings().model_dump(), "crop": 96, "flip": 0.25}
    expected |= {"min_crop_scale": 0.33, "max_crop_scale": 0.66}
    assert dataclasses.asdict(config) == expected
    assert AugmentationConfig.from_settings(settings).min_crop_scale == 0.67
