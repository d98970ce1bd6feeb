"""Frames on disk: pair images with labels, load them in background workers, batch by size."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from ontolabel.domain.labels import decode_label
from ontolabel.errors import InvalidInput
from PIL import Image
from torch.utils.data import DataLoader, Dataset

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class FramePair:
    """One frame: ``key`` is the path relative to its folder, without extension (posix)."""

    key: str
    image: str
    label: str
    label_rel: str
    """The label file's path relative to the labels folder: outputs mirror it."""


def _by_key(root: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            found.setdefault(path.relative_to(root).with_suffix("").as_posix(), path)
    return found


def pair_frames(images_dir: Path, labels_dir: Path) -> tuple[list[FramePair], list[str]]:
    """Pairs by relative path without extension, sorted; also the keys that lack a partner."""
    for name, folder in (("images", images_dir), ("labels", labels_dir)):
        if not folder.is_dir():
            raise InvalidInput(f"{name} folder {folder} does not exist", field=name)
    images, labels = _by_key(images_dir), _by_key(labels_dir)
    pairs = [
        FramePair(
            key=key,
            image=str(images[key]),
            label=str(labels[key]),
            label_rel=labels[key].relative_to(labels_dir).as_posix(),
        )
        for key in sorted(images.keys() & labels.keys())
    ]
    unpaired = sorted(images.keys() ^ labels.keys())
    return pairs, unpaired


def read_image(path: str | Path) -> np.ndarray:
    """RGB uint8 [H,W,3]."""
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def read_label(path: str | Path, colors: Mapping[int, int] | None = None) -> np.ndarray:
    """Label ids [H,W]: palette PNGs give their indices, 16-bit PNGs their values, colour
    PNGs are decoded with ``colors`` (packed 0xRRGGBB → id; stray colours get an id no
    mapping names, so they become 255)."""
    with Image.open(path) as img:
        if img.mode in ("RGB", "RGBA"):
            if not colors:
                raise InvalidInput(
                    f"label {path} is a colour image and its taxonomy has no colours to "
                    "decode it with",
                    file=str(path),
                )
            return decode_label(img, "color", colors).astype(np.int64)
        return np.asarray(img).astype(np.int64)


@dataclass
class LoadedFrame:
    pair: FramePair
    image: torch.Tensor  # uint8 [3,H,W]
    label: torch.Tensor  # int64 [H,W]
    error: str | None = None


class FrameDataset(Dataset[LoadedFrame]):
    """Reads one frame per item; errors become a frame report, not a crashed worker."""

    def __init__(self, pairs: Sequence[FramePair], colors: Mapping[int, int] | None = None) -> None:
        self.pairs = list(pairs)
        self.colors = dict(colors or {})

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> LoadedFrame:
        pair = self.pairs[index]
        try:
            image = torch.from_numpy(read_image(pair.image).copy()).permute(2, 0, 1).contiguous()
            label = torch.from_numpy(read_label(pair.label, self.colors))
        except Exception as exc:
            empty = torch.zeros((0,), dtype=torch.uint8)
            return LoadedFrame(pair, empty, empty.long(), error=f"cannot read frame: {exc}")
        return LoadedFrame(pair, image, label)


def _identity(item: Any) -> Any:
    return item


def load_frames(
    pairs: Sequence[FramePair],
    *,
    num_workers: int = 2,
    pin_memory: bool = False,
    colors: Mapping[int, int] | None = None,
) -> Iterable[LoadedFrame]:
    """Frames in order, decoded by ``num_workers`` background processes (0 = inline)."""
    return DataLoader(
        FrameDataset(pairs, colors),
        batch_size=None,
        num_workers=num_workers,
        pin_memory=pin_memory,
        collate_fn=_identity,
        prefetch_factor=4 if num_workers else None,
        persistent_workers=False,
    )


def batch_by_size(
    frames: Iterable[LoadedFrame], batch_size: int
) -> Iterator[tuple[list[LoadedFrame], list[LoadedFrame]]]:
    """(batch of same-size readable frames, unreadable frames) in arrival order."""
    batch: list[LoadedFrame] = []
    failed: list[LoadedFrame] = []

    def shape(f: LoadedFrame) -> tuple[int, ...]:
        return (*f.image.shape, *f.label.shape)

    for frame in frames:
        if frame.error is not None:
            failed.append(frame)
            continue
        if batch and (len(batch) >= batch_size or shape(batch[0]) != shape(frame)):
            yield batch, failed
            batch, failed = [], []
        batch.append(frame)
    if batch or failed:
        yield batch, failed
