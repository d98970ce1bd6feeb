"""Training augmentation as in the paper's trainer, on ``torchvision.transforms.v2``.

One ``Compose`` takes a ``tv_tensors.Image`` (uint8, [3,H,W]) and its ``tv_tensors.Mask``
([H,W] label ids) together, so both get the same crop, flip and shear. Labels resample
nearest and are filled with 255 (ignored), never 0, which is a class; photometric
transforms touch the image only (torchvision passes masks through them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from ontolabel.domain.taxonomy import VOID_ID
from ontolabel.jobs.train_params import AugmentOverrides, AugmentSettings
from torchvision import tv_tensors
from torchvision.transforms import v2
from torchvision.transforms.v2 import InterpolationMode
from torchvision.transforms.v2 import functional as F

IMAGE_FILL = 127
"""Mid-gray for image pixels outside the frame, as the reference pads."""
FILL = {tv_tensors.Image: IMAGE_FILL, tv_tensors.Mask: VOID_ID}
BLUR_SIGMA = (0.1, 3.0)
"""The reference blurs with sigma in (0, 3); torchvision needs sigma > 0."""
BLUR_KERNEL = 19
"""Odd and wide enough (± 3 sigma) for the largest sigma."""


@dataclass(frozen=True)
class AugmentationConfig:
    """The paper's augmentation settings; names follow its ``config.yaml`` so its
    per-dataset overrides merge unchanged (``affine.shear`` is ``shear`` here). Built by
    ``from_settings`` from the job contract's ``AugmentSettings``, which holds the defaults.

    The crop window, in frame pixels: its width is a whole number drawn uniformly from
    ``[lowest, highest]``, ``highest = min(max_crop_scale * longest frame side,
    max_crop_size)`` and ``lowest = max(min_crop_scale * highest, min_crop_size)`` (and
    ``highest`` is raised to ``lowest`` when below it). So ``max_crop_scale`` is a fraction
    of the frame's longest side, ``min_crop_scale`` a fraction of the largest window (the
    defaults span 0.64-0.95 of the longest side; the config's comment "multiplies
    max(max_crop_size, longest_image_dim)" misstates the reference code, which takes the
    min), ``max_crop_size`` caps the window so shrinking it to ``crop`` keeps detail, and
    ``min_crop_size`` floors it. The window's height follows ``crop``'s aspect ratio. A
    window larger than the frame pads it (gray image, 255 labels) with the frame centred
    on that axis; otherwise it lies at a uniform random position. It is then resized to
    ``crop``.
    """

    crop: int | tuple[int, int]
    """Output size, a side or (height, width): every sample has it, so batches stack."""
    min_crop_size: int
    """The paper uses 240, which binds only on frames whose longest side is under ~380 px
    and there pads the frame instead of cropping it; the contract's 64 keeps the paper's
    windows on its frames and still crops a 128 px demo frame."""
    max_crop_size: int
    min_crop_scale: float
    max_crop_scale: float
    flip: float
    """Probability of a horizontal flip."""
    brightness: tuple[float, float]
    contrast: tuple[float, float]
    saturation: tuple[float, float]
    hue_shift: tuple[float, float]
    """Degrees on the colour wheel. (The reference adds these values to OpenCV's uint8
    hue, 180 units per turn, so its ±3 turns the hue by ±6°.)"""
    blur_prob: float
    gaussian_noise: float
    """Noise sigma as a fraction of the value range (2.55 on uint8)."""
    noise_prob: float
    shear: tuple[float, float]
    """Horizontal shear range in degrees."""

    @classmethod
    def from_settings(
        cls,
        settings: AugmentSettings,
        overrides: AugmentOverrides | Mapping[str, Any] | None = None,
    ) -> AugmentationConfig:
        """The job's settings (the contract holds the defaults), then a dataset's overrides
        (its ``AugmentOverrides``, or a mapping as in the paper's ``config.yaml``)."""
        config = cls(**settings.model_dump())
        if overrides is None:
            return config
        if isinstance(overrides, AugmentOverrides):
            overrides = overrides.model_dump(exclude_none=True)
        return with_overrides(config, overrides)

    def __post_init__(self) -> None:
        checks = {
            "crop": min(self.crop_size) >= 1,
            "min_crop_size": 1 <= self.min_crop_size <= self.max_crop_size,
            "min_crop_scale": 0 < self.min_crop_scale <= self.max_crop_scale,
            "max_crop_scale": self.max_crop_scale > 0,
            "brightness": 0 <= self.brightness[0] <= self.brightness[1],
            "contrast": 0 <= self.contrast[0] <= self.contrast[1],
            "saturation": 0 <= self.saturation[0] <= self.saturation[1],
            "hue_shift": -180 <= self.hue_shift[0] <= self.hue_shift[1] <= 180,
            "gaussian_noise": self.gaussian_noise >= 0,
            "shear": self.shear[0] <= self.shear[1],
        }
        for name in ("flip", "blur_prob", "noise_prob"):
            checks[name] = 0 <= getattr(self, name) <= 1
        for name, ok in checks.items():
            if not ok:
                raise ValueError(
                    f"augmentation setting {name}={getattr(self, name)!r} is out of range"
                )

    @property
    def crop_size(self) -> tuple[int, int]:
        """``crop`` as (height, width)."""
        return (self.crop, self.crop) if isinstance(self.crop, int) else self.crop


def with_overrides(config: AugmentationConfig, overrides: Mapping[str, Any]) -> AugmentationConfig:
    """``config`` with a dataset's settings replaced; lists (from YAML or JSON) become
    tuples. An unknown key is a ValueError naming it."""
    known = {field.name for field in dataclasses.fields(config)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(
            f"unknown augmentation setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    changes: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()
    }
    return dataclasses.replace(config, **changes)


class RandomScaledCrop(v2.Transform):
    """The paper's crop window (see ``AugmentationConfig``), padded where it leaves the
    frame, resized to ``crop``.

    Custom because torchvision's ``RandomResizedCrop`` draws an area fraction inside the
    frame and never pads, and ``RandomCrop`` has one fixed size; neither can size the
    window from each frame's longest side with a pixel cap and floor. The work is done by
    torchvision's own kernels (``F.pad``, ``F.crop``, ``F.resize``), per tv_tensor type.
    """

    def __init__(self, config: AugmentationConfig) -> None:
        super().__init__()
        self.config = config

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        c = self.config
        frame_h, frame_w = v2.query_size(flat_inputs)
        out_h, out_w = c.crop_size
        highest = min(int(max(frame_h, frame_w) * c.max_crop_scale), c.max_crop_size)
        lowest = max(int(c.min_crop_scale * highest), c.min_crop_size)
        width = int(torch.randint(lowest, max(highest, lowest) + 1, ()).item())
        height = max(1, round(width * out_h / out_w))
        pad_x, pad_y = max(0, width - frame_w), max(0, height - frame_h)
        top = int(torch.randint(0, frame_h + pad_y - height + 1, ()).item())
        left = int(torch.randint(0, frame_w + pad_x - width + 1, ()).item())
        padding = [pad_x // 2, pad_y // 2, pad_x - pad_x // 2, pad_y - pad_y // 2]
        return {"padding": padding, "top": top, "left": left, "height": height, "width": width}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        is_mask = isinstance(inpt, tv_tensors.Mask)
        if any(params["padding"]):
            inpt = F.pad(inpt, params["padding"], fill=VOID_ID if is_mask else IMAGE_FILL)
        inpt = F.crop(inpt, params["top"], params["left"], params["height"], params["width"])
        # NEAREST_EXACT samples pixel centres like the image's bilinear resize; plain
        # NEAREST drifts up to half a pixel from it at non-integer scales.
        interpolation = InterpolationMode.NEAREST_EXACT if is_mask else InterpolationMode.BILINEAR
        return F.resize(inpt, list(self.config.crop_size), interpolation=interpolation)


def build_augmentation(config: AugmentationConfig) -> v2.Compose:
    """Geometry on image and mask (crop, flip, shear), then photometry on the image: call
    it as ``image, mask = augment(image, mask)``.

    The reference shears and recolours the whole frame before cropping; here both act on
    the crop, which costs a fraction of a full frame's resample and draws from the same
    distributions (the image blends over 2 px at label edges instead of 1)."""
    geometry: list[v2.Transform] = [
        RandomScaledCrop(config),
        v2.RandomHorizontalFlip(p=config.flip),
    ]
    if config.shear != (0.0, 0.0):
        geometry.append(
            v2.RandomAffine(
                degrees=0,
                shear=config.shear,
                interpolation=InterpolationMode.BILINEAR,
                fill=FILL,
            )
        )
    photometry = [
        v2.RandomApply([v2.GaussianBlur(BLUR_KERNEL, sigma=BLUR_SIGMA)], p=config.blur_prob),
        v2.RandomApply([v2.GaussianNoise(sigma=config.gaussian_noise)], p=config.noise_prob),
        v2.ColorJitter(
            brightness=config.brightness,
            contrast=config.contrast,
            saturation=config.saturation,
            hue=(config.hue_shift[0] / 360, config.hue_shift[1] / 360),
        ),
    ]
    return v2.Compose([*geometry, *photometry])
