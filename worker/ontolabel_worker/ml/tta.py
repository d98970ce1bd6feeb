"""Test-time augmentation: softmax averaged over horizontal flip x scales (DESIGN.md rule 6).

Each view is resized back to label resolution before averaging. On CUDA the forward
runs under bf16/fp16 autocast; a scale that runs out of memory is retried in tiles and,
if that fails too, skipped with a note in the frame's report (never silently dropped).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from ontolabel.domain.labeling import DEFAULT_TTA_SCALES
from torch import Tensor

from ontolabel_worker.ml.models import SegmentationModel


@dataclass(frozen=True)
class TTAConfig:
    """Views to average and how to run them."""

    scales: tuple[float, ...] = DEFAULT_TTA_SCALES
    flip: bool = True
    precision: Literal["bf16", "fp16", "fp32"] = "bf16"
    """Autocast dtype on CUDA; CPU always runs fp32."""
    max_pixels: int | None = None
    """A scaled image larger than this runs in tiles (bounds memory up front)."""
    tile: int = 512
    """Tile side (pixels at the scaled size) for tiled inference."""

    def describe(self) -> dict[str, object]:
        return {"scales": list(self.scales), "flip": self.flip, "precision": self.precision}

    def precision_on(self, device: torch.device) -> str:
        """The precision the forward really runs in on ``device`` (autocast is CUDA-only)."""
        return self.precision if device.type == "cuda" else "fp32"


@dataclass
class Prediction:
    """Averaged probabilities [B,C,H,W] on the model's device, plus per-image notes."""

    probs: Tensor
    notes: list[list[str]] = field(default_factory=list)


class OutOfMemory(RuntimeError):
    """Every scale of a batch ran out of memory, tiles included."""


def _is_oom(exc: BaseException) -> bool:
    """CUDA's OutOfMemoryError, or the CPU allocator's plain RuntimeError (ENOMEM)."""
    text = str(exc).lower()
    return (
        isinstance(exc, torch.OutOfMemoryError)
        or "out of memory" in text
        or "can't allocate memory" in text
    )


def _autocast(device: torch.device, precision: str) -> torch.autocast | nullcontext[None]:
    if device.type == "cuda" and precision != "fp32":
        dtype = torch.bfloat16 if precision == "bf16" else torch.float16
        return torch.autocast("cuda", dtype=dtype)
    return nullcontext()


def _scaled_size(height: int, width: int, scale: float) -> tuple[int, int]:
    return max(1, round(height * scale)), max(1, round(width * scale))


def _views(
    model: SegmentationModel, x: Tensor, size: tuple[int, int], flip: bool, precision: str
) -> Tensor:
    """Probabilities [B,C,*size] of ``x`` (normalised), averaged over flips if asked."""
    batch = torch.cat([x, x.flip(-1)]) if flip else x
    with _autocast(x.device, precision):
        probs = model.probabilities(batch, size)
    if not flip:
        return probs
    n = x.shape[0]
    return probs[:n] + probs[n:].flip(-1)


def _tiles(length: int, tile: int) -> Iterator[tuple[int, int]]:
    """Overlapping windows covering ``range(length)`` (stride = 3/4 tile)."""
    if length <= tile:
        yield 0, length
        return
    stride = max(1, tile * 3 // 4)
    start = 0
    while True:
        end = min(start + tile, length)
        yield end - tile, end
        if end == length:
            return
        start += stride


def _tiled_views(
    model: SegmentationModel,
    x: Tensor,
    size: tuple[int, int],
    config: TTAConfig,
) -> Tensor:
    """Like ``_views`` but window by window over the scaled image; overlaps averaged."""
    b, _, h, w = x.shape
    canvas = torch.zeros((b, model.num_classes, h, w), device=x.device)
    counts = torch.zeros((1, 1, h, w), device=x.device)
    for y0, y1 in _tiles(h, config.tile):
        for x0, x1 in _tiles(w, config.tile):
            window = x[:, :, y0:y1, x0:x1]
            canvas[:, :, y0:y1, x0:x1] += _views(
                model, window, (y1 - y0, x1 - x0), config.flip, config.precision
            )
            counts[:, :, y0:y1, x0:x1] += 1
    return F.interpolate(canvas / counts, size=size, mode="bilinear", align_corners=False)


@torch.inference_mode()
def predict(
    model: SegmentationModel, images: Tensor, size: tuple[int, int], config: TTAConfig
) -> Prediction:
    """TTA probabilities at label resolution ``size`` for uint8 ``images`` [B,3,H,W].

    ``images`` should already be on the model's device (pinned + non_blocking upstream).
    """
    n = images.shape[0]
    total = torch.zeros((n, model.num_classes, *size), device=images.device)
    notes: list[list[str]] = [[] for _ in range(n)]
    views = 0
    height, width = images.shape[-2:]
    for scale in config.scales:
        scaled = _scaled_size(height, width, scale)
        too_big = config.max_pixels is not None and scaled[0] * scaled[1] > config.max_pixels
        x: Tensor | None = None
        try:  # the resize itself may not fit either, so it is inside the guard
            x = _scaled_input(model, images, scaled)
            if too_big:
                total += _tiled_views(model, x, size, config)
            else:
                total += _views(model, x, size, config.flip, config.precision)
        except RuntimeError as exc:
            if not _is_oom(exc):
                raise
            _release(images.device)
            # Tiles are cut from the resized input; when that alone does not fit, skip.
            ran_in_tiles = x is not None and _try_tiles(model, x, size, config, total)
            x = None
            _release(images.device)
            for note in notes:
                note.append(
                    f"scale {scale}: out of memory, ran in tiles"
                    if ran_in_tiles
                    else f"scale {scale} skipped: out of memory"
                )
            if not ran_in_tiles:
                continue
        views += 2 if config.flip else 1
    if views == 0:
        raise OutOfMemory(f"every scale of {config.scales} ran out of memory, tiles included")
    return Prediction(probs=total / views, notes=notes)


def _try_tiles(
    model: SegmentationModel, x: Tensor, size: tuple[int, int], config: TTAConfig, total: Tensor
) -> bool:
    """Add the tiled views of ``x`` to ``total``; False (nothing added) when tiles run out too."""
    try:
        views = _tiled_views(model, x, size, config)
    except RuntimeError as exc:
        if not _is_oom(exc):
            raise
        return False
    total += views
    return True


def _scaled_input(model: SegmentationModel, images: Tensor, scaled: tuple[int, int]) -> Tensor:
    """``images`` normalised for the model and resized to ``scaled`` (height, width)."""
    x = model.normalise(images)
    if scaled != tuple(images.shape[-2:]):
        x = F.interpolate(x, size=scaled, mode="bilinear", align_corners=False)
    return x


def _release(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
