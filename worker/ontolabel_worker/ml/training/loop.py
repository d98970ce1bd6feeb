"""The training loop: ``train(run, hooks)`` trains a student and keeps the best of it.

One ``Accelerator`` (CPU without CUDA; bf16/fp16 autocast only on CUDA) places the model
and optimiser and, when launched as several processes, wraps the model in DDP; each
process loads its own shard of the sampler's stream (``data.WeightedSourceSampler``).
Validation every ``val_every`` epochs picks the best (``validation``); after ``patience``
epochs without a gain the best is fine-tuned on the source alone at 0.1x the rates.
``out_dir/resume`` holds everything needed to continue after a kill; ``out_dir/best`` the
best model (``save_pretrained``); ``out_dir/tensorboard`` the curves. Only the main
process writes files or calls ``hooks``; every process checks ``is_cancelled``.
"""

from __future__ import annotations

import dataclasses
import time
from contextlib import nullcontext
from typing import Any, Literal

import numpy as np
import torch
from accelerate import Accelerator, DistributedDataParallelKwargs
from accelerate.state import AcceleratorState, GradientState
from accelerate.utils import set_seed
from ontolabel.jobs.train_params import TrainParams
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import DataLoader

from ontolabel_worker.ml.training.curves import Curves
from ontolabel_worker.ml.training.data import TrainFrames, WeightedSourceSampler
from ontolabel_worker.ml.training.optim import (
    FINE_TUNE_FACTOR,
    StepPlan,
    build_optimizer,
    build_schedule,
    constant_schedule,
    group_rates,
    plan_steps,
)
from ontolabel_worker.ml.training.resume import load_state, save_state, write_atomically
from ontolabel_worker.ml.training.run import (
    EpochMetrics,
    Progress,
    TrainHooks,
    TrainResult,
    TrainRun,
)
from ontolabel_worker.ml.training.student import build_student, save_student, student_loss
from ontolabel_worker.ml.training.validation import score

LOSS_EVERY = 10
"""TensorBoard gets ``train/loss`` every this many steps, as the paper's trainer logs it."""


def train(run: TrainRun, hooks: TrainHooks | None = None) -> TrainResult:
    """Train ``run`` to the end of its budget, early stop or ``max_seconds`` (status
    "finished"), or until ``hooks.is_cancelled()`` ("cancelled"). Continues from
    ``out_dir/resume`` when a previous call left one there; returns at once for a run that
    already finished."""
    trainer = _Trainer(run, hooks or TrainHooks())
    try:
        return trainer.run()
    finally:
        trainer.close()


def _accelerator(params: TrainParams, family: str) -> Accelerator:
    cuda = torch.cuda.is_available() and (params.device or "cuda").startswith("cuda")
    if cuda and params.device and ":" in params.device and params.num_processes == 1:
        torch.cuda.set_device(int(params.device.split(":")[1]))
    # Mask2Former's loss leaves some queries' heads out of a step's graph.
    ddp = DistributedDataParallelKwargs(find_unused_parameters=family == "mask2former")
    precision = params.precision if cuda and params.precision != "fp32" else "no"
    return Accelerator(cpu=not cuda, mixed_precision=precision, kwargs_handlers=[ddp])


class _Trainer:
    def __init__(self, run: TrainRun, hooks: TrainHooks) -> None:
        self.run_ = run
        self.params = run.params
        self.hooks = hooks
        set_seed(self.params.seed)
        self.student = build_student(self.params.model, run.class_names, run.init_path)
        self.accelerator = _accelerator(self.params, self.student.family)
        self.main = self.accelerator.is_main_process
        self.sizes = [len(source.pairs) for source in run.sources]
        self.plan: StepPlan = plan_steps(self.params, self.sizes, self.accelerator.num_processes)
        self.frames = TrainFrames(run.sources, run.class_ids, self.params.augment)
        self.best_dir = run.out_dir / "best"
        self.resume_dir = run.out_dir / "resume"
        self.progress = Progress(draws=[0] * len(run.sources))
        self.curves: Curves | None = None
        self.started = time.monotonic()
        self.rates: dict[str, float] = {}

    # --- the run -------------------------------------------------------------------------

    def run(self) -> TrainResult:
        state = load_state(self.resume_dir)
        if state is not None:
            self.progress = Progress(**state["progress"])
            if self.progress.finished:
                return self._result("finished")
            self.student.network.load_state_dict(state["model"])
        self.model = self.accelerator.prepare(self.student.network)
        if self.main:
            self.curves = Curves(
                self.run_.out_dir / "tensorboard", purge_step=self.progress.step or None
            )
        self._log_start(resumed=state is not None)
        while True:
            optimizer, schedule = self._optimizer()
            if state is not None:
                optimizer.load_state_dict(state["optimizer"])
                schedule.load_state_dict(state["scheduler"])
                state = None
            self.rates = group_rates(optimizer)
            outcome = self._run_phase(optimizer, schedule)
            if outcome == "cancelled":
                return self._result("cancelled")
            if outcome == "out_of_time" or not self._begin_fine_tune():
                break
        self._finish()
        return self._result("finished")

    def close(self) -> None:
        if self.curves is not None:
            self.curves.close()
        if self.accelerator.num_processes == 1:
            # Accelerate keeps its state in process-wide singletons; a later run in this
            # process (another job on the same worker) may want another device or precision.
            AcceleratorState._reset_state(reset_partial_state=True)
            GradientState._reset_state()

    def _optimizer(self) -> tuple[torch.optim.Optimizer, LambdaLR]:
        optim = self.params.optim
        if self.progress.phase == "fine_tune":
            optimizer = build_optimizer(
                optim, self.student.network, self.student.family, FINE_TUNE_FACTOR
            )
            schedule = constant_schedule(optimizer)
        else:
            optimizer = build_optimizer(optim, self.student.network, self.student.family)
            warmup = round(optim.warmup_epochs * self.plan.steps_per_epoch)
            schedule = build_schedule(
                optim, optimizer, self.plan.train_steps, min(warmup, self.plan.train_steps)
            )
        return self.accelerator.prepare(optimizer), schedule

    def _budget(self) -> tuple[int, int]:
        """(steps per epoch, steps) of the current phase."""
        if self.progress.phase == "train":
            return self.plan.steps_per_epoch, self.plan.train_steps
        return self.plan.fine_tune_steps_per_epoch, self.plan.fine_tune_steps

    def _phase_over(self) -> bool:
        p = self.progress
        _, steps = self._budget()
        stopped = p.phase == "train" and p.since_best >= self.params.patience
        return p.phase_step >= steps or stopped

    def _run_phase(self, optimizer: torch.optim.Optimizer, schedule: LambdaLR) -> str:
        while not self._phase_over():
            outcome = self._run_epoch(optimizer, schedule)
            if outcome != "done":
                return outcome
        return "done"

    def _sampler(self) -> WeightedSourceSampler:
        per_epoch, _ = self._budget()
        weights = [source.weight for source in self.run_.sources]
        if self.progress.phase == "fine_tune":
            weights = [1.0] + [0.0] * (len(weights) - 1)
        sampler = WeightedSourceSampler(
            sizes=self.sizes,
            weights=weights,
            draws=per_epoch * self.plan.frames_per_step,
            seed=self.params.seed,
            rank=self.accelerator.process_index,
            world=self.accelerator.num_processes,
        )
        sampler.load_state_dict({"epoch": self.progress.epoch, "position": self.progress.position})
        return sampler

    def _run_epoch(self, optimizer: torch.optim.Optimizer, schedule: LambdaLR) -> str:
        p = self.progress
        per_epoch, steps = self._budget()
        done = p.position // self.plan.frames_per_step
        epoch_steps = min(per_epoch, steps - (p.phase_step - done))
        loader = DataLoader(
            self.frames,
            batch_size=self.params.batch_size,
            sampler=self._sampler(),
            num_workers=self.params.num_workers,
            pin_memory=self.accelerator.device.type == "cuda",
        )
        batches = iter(loader)
        for _ in range(done, epoch_steps):
            cancelled, out_of_time = self._stop_requested()
            if cancelled:
                self._save_resume(optimizer, schedule)
                self._log(f"cancelled after step {p.step}; resume checkpoint saved")
                return "cancelled"
            if out_of_time:
                self._log(f"max_seconds reached after step {p.step}")
                if p.position:  # score the part of the epoch that was trained
                    self._end_epoch(optimizer, schedule, last=True)
                return "out_of_time"
            self._step(batches, optimizer, schedule)
            if p.step % self.params.checkpoint_every == 0:
                self._save_resume(optimizer, schedule)
        self._end_epoch(optimizer, schedule, last=p.phase_step >= steps)
        return "done"

    def _stop_requested(self) -> tuple[bool, bool]:
        """(cancelled, out of time), as every process agrees on them: one process seeing
        the cancellation (or its clock running out) stops them all at the same step."""
        max_seconds = self.params.max_seconds
        local = [
            float(self.hooks.is_cancelled()),
            float(max_seconds is not None and self._seconds() >= max_seconds),
        ]
        flags = self.accelerator.reduce(torch.tensor(local, device=self.accelerator.device))
        return bool(flags[0] > 0), bool(flags[1] > 0)

    def _step(self, batches: Any, optimizer: torch.optim.Optimizer, schedule: LambdaLR) -> None:
        """One optimiser step over ``accumulation`` batches."""
        p, accumulation = self.progress, self.params.optim.accumulation
        # Dropout and Mask2Former's point sampling draw from the global generator: seeding
        # it per step and process makes a resumed run draw what an uninterrupted one would.
        seed = np.random.SeedSequence([self.params.seed, p.step, self.accelerator.process_index])
        torch.manual_seed(int(seed.generate_state(1, np.uint64)[0]))
        device = self.accelerator.device
        losses = torch.zeros((), device=device)
        draws = torch.zeros(len(self.sizes), device=device)
        for micro in range(accumulation):
            images, labels, sources = next(batches)
            draws += torch.bincount(sources, minlength=len(self.sizes)).to(device)
            pixels = self.student.normalise(images.to(device, non_blocking=True))
            labels = labels.to(device, non_blocking=True)
            last = micro == accumulation - 1
            with nullcontext() if last else self.accelerator.no_sync(self.model):
                loss = student_loss(self.model, self.student.family, pixels, labels)
                self.accelerator.backward(loss / accumulation)
            losses += loss.detach().float() / accumulation
        if self.params.optim.grad_clip is not None:
            self.accelerator.clip_grad_norm_(self.model.parameters(), self.params.optim.grad_clip)
        self.rates = group_rates(optimizer)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        totals = self.accelerator.reduce(torch.cat([losses[None], draws]), "sum")
        loss_value = float(totals[0]) / self.accelerator.num_processes
        p.step += 1
        p.phase_step += 1
        p.position += self.plan.frames_per_step
        p.loss_sum += loss_value
        p.loss_steps += 1
        p.draws = [a + int(b) for a, b in zip(p.draws, totals[1:].tolist(), strict=True)]
        if self.main:
            self.hooks.on_step(p.step, self.plan.total, loss_value, self.rates["decoder"])
            if p.step % LOSS_EVERY == 0 and self.curves is not None:
                self.curves.loss(p.step, loss_value)

    # --- epochs, validation and the best ----------------------------------------------

    def _end_epoch(self, optimizer: torch.optim.Optimizer, schedule: LambdaLR, last: bool) -> None:
        p, run = self.progress, self.run_
        loss = p.loss_sum / max(1, p.loss_steps)
        validate = bool(run.val) and (last or p.epoch % self.params.val_every == 0)
        val = {
            name: score(
                self.student, pairs, self.frames.lookup, self.accelerator, self.params.num_workers
            )
            for name, pairs in (run.val if validate else [])
        }
        fitness = val[run.val[0][0]].fitness if val else None
        if run.val:
            improved = fitness is not None and (p.best_fitness is None or fitness > p.best_fitness)
        else:
            improved = p.best_loss is None or loss < p.best_loss
        metrics = EpochMetrics(
            epoch=p.epoch,
            phase=p.phase,
            loss=loss,
            lrs=dict(self.rates),
            val=val,
            fitness=fitness,
            improved=improved,
            steps=p.step,
            seconds=round(self._seconds(), 3),
            draws={s.name: n for s, n in zip(run.sources, p.draws, strict=True)},
        )
        if improved:
            p.best_fitness, p.best_loss, p.since_best = fitness, loss, 0
            self._save_best(metrics)
        else:
            p.since_best += 1
        p.history.append(metrics.to_dict())
        p.epoch += 1
        p.position, p.loss_sum, p.loss_steps = 0, 0.0, 0
        p.draws = [0] * len(run.sources)
        if self.main:
            self._report(metrics)
        self._save_resume(optimizer, schedule)

    def _report(self, metrics: EpochMetrics) -> None:
        self.hooks.on_epoch(metrics)
        self.hooks.log(metrics.summary())
        if self.curves is not None:
            self.curves.epoch(metrics)

    def _save_best(self, metrics: EpochMetrics | None) -> None:
        if self.main:
            record = {
                "epoch": None if metrics is None else metrics.to_dict(),
                "params": self.params.model_dump(mode="json"),
                "class_ids": self.run_.class_ids,
            }
            student = dataclasses.replace(
                self.student, network=self.accelerator.unwrap_model(self.model)
            )
            write_atomically(self.best_dir, lambda folder: save_student(student, folder, record))
        self.accelerator.wait_for_everyone()

    def _begin_fine_tune(self) -> bool:
        """Switch to the fine-tune from the best weights; False when there is none to run."""
        p = self.progress
        if p.phase == "fine_tune" or not self.plan.fine_tune_steps:
            return False
        if not self.best_dir.is_dir():
            self._log("no best model to fine-tune (nothing was validated); skipping the fine-tune")
            return False
        network: Any = type(self.student.network)
        best = network.from_pretrained(self.best_dir)
        self.accelerator.unwrap_model(self.model).load_state_dict(best.state_dict())
        p.phase, p.phase_step, p.position = "fine_tune", 0, 0
        self._log(
            f"fine-tuning the best model (fitness {p.best_fitness}) on "
            f"{self.run_.sources[0].name} alone at {FINE_TUNE_FACTOR}x the rates for "
            f"{self.params.fine_tune_epochs} epochs"
        )
        return True

    # --- resume ------------------------------------------------------------------------

    def _seconds(self) -> float:
        return self.progress.seconds + time.monotonic() - self.started

    def _progress_state(self) -> dict[str, Any]:
        return dataclasses.asdict(dataclasses.replace(self.progress, seconds=self._seconds()))

    def _save_resume(self, optimizer: torch.optim.Optimizer, schedule: LambdaLR) -> None:
        if self.main:
            state = {
                "progress": self._progress_state(),
                "model": self.accelerator.unwrap_model(self.model).state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": schedule.state_dict(),
            }
            save_state(self.resume_dir, state)
        self.accelerator.wait_for_everyone()

    def _finish(self) -> None:
        """Keep a best model whatever happened, and shrink the resume folder to the record
        of a finished run (a redelivered job then returns at once)."""
        if not self.best_dir.is_dir():
            self._log("no epoch was scored; saving the final weights as the best model")
            self._save_best(None)
        self.progress.finished = True
        if self.main:
            save_state(self.resume_dir, {"progress": self._progress_state()})
        self.accelerator.wait_for_everyone()

    def _result(self, status: Literal["finished", "cancelled"]) -> TrainResult:
        p = self.progress
        return TrainResult(
            status=status,
            best_dir=self.best_dir if self.best_dir.is_dir() else None,
            best_fitness=p.best_fitness,
            epochs=len(p.history),
            steps=p.step,
            history=[EpochMetrics.from_dict(h) for h in p.history],
        )

    def _log(self, message: str) -> None:
        if self.main:
            self.hooks.log(message)

    def _log_start(self, resumed: bool) -> None:
        p, plan = self.progress, self.plan
        where = f"resuming at step {p.step} (epoch {p.epoch}, {p.phase})" if resumed else "starting"
        sources = ", ".join(
            f"{s.name} ({len(s.pairs)} frames, weight {s.weight:g})" for s in self.run_.sources
        )
        self._log(
            f"{where}: {sources}; {self.accelerator.num_processes} process(es) on "
            f"{self.accelerator.device}, {plan.frames_per_step} frames per step, "
            f"{plan.steps_per_epoch} steps per epoch, {plan.total} steps planned"
        )
