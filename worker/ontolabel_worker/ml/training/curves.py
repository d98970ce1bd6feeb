"""A run's TensorBoard curves (main process only), under the paper trainer's tags."""

from __future__ import annotations

from pathlib import Path

from ontolabel_worker.ml.training.run import EpochMetrics


class Curves:
    """``train/loss`` per few steps; per epoch its loss, each group's rate, every
    validation set's mIoU and per-class IoU, and the fitness."""

    def __init__(self, folder: Path, *, purge_step: int | None) -> None:
        from torch.utils.tensorboard import SummaryWriter

        # purge_step: a resumed run drops what its killed predecessor logged past the
        # checkpoint, so the curves have no doubled stretch.
        self.writer = SummaryWriter(folder, purge_step=purge_step)

    def loss(self, step: int, loss: float) -> None:
        self.writer.add_scalar("train/loss", loss, step)

    def epoch(self, metrics: EpochMetrics) -> None:
        writer, step = self.writer, metrics.steps
        writer.add_scalar("train/epoch_loss", metrics.loss, step)
        for group, rate in metrics.lrs.items():
            writer.add_scalar(f"lr/{group}", rate, step)
        for name, scores in metrics.val.items():
            if scores.miou is not None:
                writer.add_scalar(f"val/{name}/miou", scores.miou, step)
            for class_name, iou in scores.per_class.items():
                if iou is not None:
                    writer.add_scalar(f"val/{name}/class_iou/{class_name}", iou, step)
        if metrics.fitness is not None:
            writer.add_scalar("val/fitness", metrics.fitness, step)
        writer.flush()

    def close(self) -> None:
        self.writer.close()
