"""A training run as its job sees it: steps as progress, and each epoch as a
``train_epochs`` row and a log line with the ETA.

``JobTrainHooks`` gives the trainer's hooks (``ontolabel_worker.ml.training.loop``) their
job-side bodies, called in this process or fed from a multi-process run's
``progress.jsonl``: only the process that runs the job writes to SQL.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from ontolabel.core.db import session_scope
from ontolabel.core.writes import begin_write
from ontolabel.jobs import repository
from ontolabel.jobs.kinds import JobContext
from ontolabel.jobs.tables import TrainEpoch

if TYPE_CHECKING:
    from ontolabel_worker.ml.training.run import EpochMetrics

PROGRESS_EVERY_S = 0.5
"""Steps are counted in SQL at most this often (a step may take milliseconds)."""


class JobTrainHooks:
    """Reports one delivery of a run to its job; ``close`` counts the steps held back."""

    def __init__(self, ctx: JobContext, total_steps: int) -> None:
        self.ctx = ctx
        self.total_steps = total_steps
        self.reported = 0
        """Steps counted on the chunk: a redelivered chunk's count restarts from zero, so
        its first step counts every step its checkpoint already holds."""
        self.step = 0
        self.first_step: int | None = None
        self.started = time.monotonic()
        self.flushed_at = 0.0

    # -- the trainer's hooks ----------------------------------------------------------

    def on_step(self, step: int, total_steps: int, loss: float, lr: float) -> None:
        if self.first_step is None:
            self.first_step = step
        self.step = step
        if time.monotonic() - self.flushed_at >= PROGRESS_EVERY_S:
            self.flush()

    def on_epoch(self, metrics: EpochMetrics) -> None:
        self.reached(metrics.steps)
        row = epoch_row(self.ctx.job_id, metrics)
        with session_scope(self.ctx.session_factory) as session:
            begin_write(session)
            repository.record_train_epoch(session, row)
        eta = self.eta(time.monotonic())
        self.ctx.log(
            f"epoch {metrics.epoch} ({metrics.phase}) ended at step {metrics.steps}/"
            f"{self.total_steps}, {_clock(metrics.seconds)} of training"
            + ("" if eta is None else f"; ETA {_clock(eta)} at this pace")
        )

    def log(self, message: str) -> None:
        self.ctx.log(message)

    def is_cancelled(self) -> bool:
        return self.ctx.is_cancelled()

    # -- bookkeeping ------------------------------------------------------------------

    def reached(self, step: int) -> None:
        """The run is at ``step`` (e.g. a finished run's last, when no step ran now)."""
        self.step = max(self.step, step)
        self.flush()

    def flush(self) -> None:
        """Count the steps done since the last flush on the job's progress."""
        done = min(self.step, self.total_steps)
        if done > self.reported:
            self.ctx.advance(done - self.reported)
            self.reported = done
        self.flushed_at = time.monotonic()

    def close(self) -> None:
        self.flush()

    def eta(self, now: float) -> float | None:
        """Seconds left at this delivery's pace (None before its first step)."""
        if self.first_step is None or now <= self.started:
            return None
        ran = self.step - self.first_step + 1
        return max(0, self.total_steps - self.step) * (now - self.started) / max(1, ran)


def epoch_row(job_id: int, metrics: EpochMetrics) -> TrainEpoch:
    """The ``train_epochs`` row of one epoch's figures."""
    return TrainEpoch(
        job_id=job_id,
        phase=metrics.phase,
        epoch=metrics.epoch,
        step=metrics.steps,
        loss=_finite(metrics.loss),
        lrs={name: float(lr) for name, lr in metrics.lrs.items()},
        val={
            name: {
                "miou": _finite(scores.miou),
                "pixel_accuracy": _finite(scores.pixel_accuracy),
                "mean_accuracy": _finite(scores.mean_accuracy),
                "per_class": {c: _finite(v) for c, v in scores.per_class.items()},
            }
            for name, scores in metrics.val.items()
        },
        fitness=_finite(metrics.fitness),
        improved=bool(metrics.improved),
        draws=dict(metrics.draws),
        seconds=round(metrics.seconds, 3),
    )


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _finite(value: Any) -> float | None:
    """JSON and SQL hold no NaN: a figure without pixels to measure is null."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None
