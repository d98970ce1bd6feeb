"""Training frames: sources with weights, a map-style dataset over all of them, and the
seeded sampler that picks a source by weight, then a frame of it.

Every draw carries its own augmentation seed, so a sample is a function of the draw alone:
the same stream gives the same crops whichever DataLoader worker or process loads it, and
a resumed run (the sampler's ``state_dict``) continues it exactly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch
from ontolabel.domain.taxonomy import VOID_ID
from ontolabel.jobs.train_params import AugmentOverrides, AugmentSettings
from torch import Tensor
from torch.utils.data import Dataset, Sampler
from torchvision import tv_tensors

from ontolabel_worker.ml.augment import AugmentationConfig, build_augmentation
from ontolabel_worker.ml.data import FramePair, read_image, read_label

MAX_LABEL_ID = 65_535
"""Label PNGs are 8 or 16 bit: the lookup table covers every id they can hold."""


@dataclass(frozen=True)
class TrainSource:
    """One training dataset: its frames (label values are the taxonomy's class ids), its
    sampling weight, and its augmentation overrides over the job's."""

    name: str
    pairs: list[FramePair]
    weight: float = 1.0
    augment: AugmentOverrides | None = None


def channel_lookup(class_ids: Sequence[int]) -> np.ndarray:
    """Class id → channel index (its position in ``class_ids``); any other id → 255."""
    lookup = np.full(MAX_LABEL_ID + 1, VOID_ID, dtype=np.int64)
    lookup[np.asarray(class_ids, dtype=np.int64)] = np.arange(len(class_ids))
    return lookup


def read_channels(pair: FramePair, lookup: np.ndarray) -> tuple[Tensor, Tensor]:
    """A frame as (uint8 image [3,H,W], int64 channel label [H,W], 255 ignored)."""
    image = torch.from_numpy(read_image(pair.image).copy()).permute(2, 0, 1).contiguous()
    label = torch.from_numpy(lookup[np.clip(read_label(pair.label), 0, MAX_LABEL_ID)])
    if image.shape[1:] != label.shape:
        raise ValueError(
            f"{pair.key}: image {tuple(image.shape[1:])} and label {tuple(label.shape)} differ"
        )
    return image, label


class TrainFrames(Dataset[tuple[Tensor, Tensor, int]]):
    """All sources' frames in one index space (source after source). An item is a draw
    ``(index, seed)``; it gives the augmented crop (uint8 image [3,h,w], int64 channel
    label [h,w]) and the index of the source it came from."""

    def __init__(
        self, sources: Sequence[TrainSource], class_ids: Sequence[int], settings: AugmentSettings
    ) -> None:
        self.pairs = [pair for source in sources for pair in source.pairs]
        self.source_of = [i for i, source in enumerate(sources) for _ in source.pairs]
        self.augment = [
            build_augmentation(AugmentationConfig.from_settings(settings, source.augment))
            for source in sources
        ]
        self.lookup = channel_lookup(class_ids)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, draw: tuple[int, int]) -> tuple[Tensor, Tensor, int]:
        index, seed = draw
        source = self.source_of[index]
        image, label = read_channels(self.pairs[index], self.lookup)
        # torchvision's transforms draw from the global generator: fork it so that the
        # crop depends on the draw's seed only, and the caller's stream is untouched.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            image, label = self.augment[source](tv_tensors.Image(image), tv_tensors.Mask(label))
        return image.as_subclass(Tensor), label.as_subclass(Tensor), source


@dataclass
class WeightedSourceSampler(Sampler[tuple[int, int]]):
    """Draws ``(frame index, augmentation seed)``: a source with probability proportional
    to its weight (whatever its size), then one of its frames uniformly, with replacement.

    Epoch ``e``'s stream of ``draws`` is fixed by ``(seed, e)``. With ``world`` processes,
    process ``rank`` takes the draws at positions ``rank, rank + world, …``: disjoint
    shards that move in lockstep, so ``position`` counts draws of the whole group."""

    sizes: Sequence[int]
    weights: Sequence[float]
    draws: int
    """Draws per epoch, over all processes."""
    seed: int | Sequence[int]
    rank: int = 0
    world: int = 1
    epoch: int = 0
    position: int = 0
    _offsets: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        weights = np.asarray(self.weights, dtype=np.float64)
        if len(self.sizes) != len(weights) or min(self.sizes, default=0) < 1:
            raise ValueError("every source needs a weight and at least one frame")
        if (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f"sampling weights {list(self.weights)} must be >= 0, not all 0")
        self._offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)

    def set_epoch(self, epoch: int) -> None:
        """Start epoch ``epoch``'s stream from its first draw."""
        self.epoch, self.position = epoch, 0

    @cached_property
    def _probabilities(self) -> np.ndarray:
        weights = np.asarray(self.weights, dtype=np.float64)
        return weights / weights.sum()

    def stream(self, epoch: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Epoch ``epoch``'s global stream: (source, frame index, seed) per draw."""
        entropy = [self.seed] if isinstance(self.seed, int) else list(self.seed)
        rng = np.random.default_rng([*entropy, epoch])
        sources = rng.choice(len(self.sizes), size=self.draws, p=self._probabilities)
        frames = self._offsets[sources] + rng.integers(0, np.asarray(self.sizes)[sources])
        seeds = rng.integers(0, 2**62, size=self.draws)
        return sources, frames, seeds

    def __len__(self) -> int:
        """Draws this process still takes in the epoch."""
        first = self.position + (self.rank - self.position) % self.world
        return max(0, -(-(self.draws - first) // self.world))

    def __iter__(self) -> Iterator[tuple[int, int]]:
        _, frames, seeds = self.stream(self.epoch)
        first = self.position + (self.rank - self.position) % self.world
        for at in range(first, self.draws, self.world):
            self.position = at - self.rank + self.world
            yield int(frames[at]), int(seeds[at])

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
