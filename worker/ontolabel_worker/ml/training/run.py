"""What a training run takes and gives back: ``TrainRun`` in, hooks and metrics on the way,
``TrainResult`` out, and the ``Progress`` every resume checkpoint saves."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ontolabel.jobs.train_params import TrainParams

from ontolabel_worker.ml.data import FramePair
from ontolabel_worker.ml.training.data import TrainSource
from ontolabel_worker.ml.training.validation import ValScores

Phase = Literal["train", "fine_tune"]


@dataclass(frozen=True)
class TrainRun:
    """Everything one training needs, resolved: the contract, the taxonomy's non-void
    classes (``class_ids`` are the label values, in channel order), the sources (the first
    is the source dataset), the validation sets (the first decides the best), the weights
    to start from (``params.model.init`` / ``hub_id`` resolved), and the output folder."""

    params: TrainParams
    class_names: list[str]
    class_ids: list[int]
    sources: list[TrainSource]
    val: list[tuple[str, list[FramePair]]]
    init_path: str | None
    out_dir: Path


@dataclass(frozen=True)
class EpochMetrics:
    """One epoch's figures (losses and scores as fractions)."""

    epoch: int
    """Counted over both phases: the fine-tune's first epoch follows the last trained."""
    phase: Phase
    loss: float
    """Mean training loss over the epoch's steps."""
    lrs: dict[str, float]
    """Each group's rate (``encoder``, ``decoder``) at the epoch's last step."""
    val: dict[str, ValScores]
    """By validation set; empty on epochs that are not validated."""
    fitness: float | None
    """0.8 mIoU + 0.2 mean class accuracy on the first validation set."""
    improved: bool
    """This epoch's model is the new best (saved to ``out_dir/best``)."""
    steps: int
    """Optimiser steps so far, both phases."""
    seconds: float
    """Training time so far."""
    draws: dict[str, int] = field(default_factory=dict)
    """Frames trained on this epoch, by source, over all processes."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def summary(self) -> str:
        """One log line: loss, each validation set's mIoU, the fitness."""
        parts = [f"epoch {self.epoch} ({self.phase}): loss {self.loss:.4f}"]
        for name, scores in self.val.items():
            parts.append(f"{name} mIoU {'n/a' if scores.miou is None else f'{scores.miou:.1%}'}")
        if self.fitness is not None:
            parts.append(f"fitness {self.fitness:.4f}" + (" (best)" if self.improved else ""))
        return ", ".join(parts)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EpochMetrics:
        val = {name: ValScores(**scores) for name, scores in data["val"].items()}
        return cls(**{**data, "val": val})


def _never() -> bool:
    return False


@dataclass
class TrainHooks:
    """What the caller hears (on the main process only) and how it stops a run."""

    on_step: Callable[[int, int, float, float], None] = lambda step, total, loss, lr: None
    """(optimiser step, planned steps, loss, the decoder group's rate)."""
    on_epoch: Callable[[EpochMetrics], None] = lambda metrics: None
    log: Callable[[str], None] = lambda message: None
    is_cancelled: Callable[[], bool] = _never
    """Checked between steps on every process; True saves a resume checkpoint and stops."""


@dataclass(frozen=True)
class TrainResult:
    status: Literal["finished", "cancelled"]
    best_dir: Path | None
    best_fitness: float | None
    epochs: int
    steps: int
    history: list[EpochMetrics]


@dataclass
class Progress:
    """Where a run stands; saved with every resume checkpoint."""

    phase: Phase = "train"
    epoch: int = 1
    """The epoch being trained (1-based)."""
    step: int = 0
    phase_step: int = 0
    position: int = 0
    """Draws of this epoch's stream already trained on, by all processes."""
    loss_sum: float = 0.0
    loss_steps: int = 0
    draws: list[int] = field(default_factory=list)
    best_fitness: float | None = None
    best_loss: float | None = None
    """Decides the best when there is no validation set."""
    since_best: int = 0
    """Epochs since the best one."""
    seconds: float = 0.0
    finished: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)
