"""The ``train`` kind: one chunk trains a student (``ontolabel_worker.ml.training``).

``plan`` resolves every dataset into frame pairs (``train_plan``); ``run_chunk`` trains in
this process, or in ``num_processes`` processes launched as a group of their own
(``ml.training.launch``), reporting steps, epochs and their figures to the job
(``train_progress``); the trainer resumes from its checkpoint under the job's folder, so
a redelivered chunk goes on where the killed one stopped. ``finish`` registers the best
model (``register_as``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ontolabel.core.db import session_scope
from ontolabel.core.users import User
from ontolabel.errors import InvalidInput
from ontolabel.jobs.kinds import JobContext, JobKind, Plan, register
from ontolabel.jobs.train_params import TrainParams
from ontolabel.models import repository as models
from ontolabel.models.schemas import ModelCreate
from ontolabel.models.service import create_model

from ontolabel_worker.kinds.train_plan import TrainChunk, plan_training
from ontolabel_worker.kinds.train_progress import JobTrainHooks
from ontolabel_worker.ml import writer
from ontolabel_worker.ml.training.data import TrainSource
from ontolabel_worker.ml.training.launch import run_in_processes
from ontolabel_worker.ml.training.loop import train
from ontolabel_worker.ml.training.optim import plan_steps
from ontolabel_worker.ml.training.run import TrainHooks, TrainResult, TrainRun

RESULT_FILE = "result.json"
"""The finished run's figures, for ``finish`` (which may run in another process)."""


def planned_steps(chunk: TrainChunk) -> int:
    """The steps the budget allows (early stopping may end sooner): the job's total."""
    return plan_steps(chunk.params, chunk.source_sizes, chunk.params.num_processes).total


def plan(ctx: JobContext, params: TrainParams) -> Plan[TrainChunk]:
    chunk = plan_training(ctx, params)
    sizes = ", ".join(f"{s.name} {len(s.pairs)} (weight {s.weight:g})" for s in chunk.sources)
    val = ", ".join(f"{v.name} {len(v.pairs)}" for v in chunk.val) or "none"
    total = planned_steps(chunk)
    ctx.log(
        f"{len(chunk.class_names)} classes; frames: {sizes}; validation: {val}; up to {total} steps"
    )
    return Plan(chunks=[chunk], total=total)


def training_run(chunk: TrainChunk, out_dir: Path) -> TrainRun:
    """The trainer's view of the chunk."""
    return TrainRun(
        params=chunk.params,
        class_names=chunk.class_names,
        class_ids=chunk.class_ids,
        sources=[TrainSource(s.name, s.pairs, s.weight, s.augment) for s in chunk.sources],
        val=[(v.name, v.pairs) for v in chunk.val],
        init_path=chunk.init_path,
        out_dir=out_dir,
    )


def run_chunk(ctx: JobContext, chunk: TrainChunk) -> None:
    """Train (or go on training) to the end; a cancelled run leaves its checkpoint."""
    out = ctx.output_dir
    hooks = JobTrainHooks(ctx, planned_steps(chunk))
    run = training_run(chunk, out)
    try:
        if chunk.params.num_processes > 1:
            result = _in_processes(ctx, run, trainer_hooks(hooks))
        else:
            result = train(run, trainer_hooks(hooks))
        hooks.reached(result.steps)  # a finished run returns at once when redelivered
    finally:
        hooks.close()
    if result.status == "finished":
        writer.write_json(out / RESULT_FILE, _described(result))
        fitness = "n/a" if result.best_fitness is None else f"{result.best_fitness:.4f}"
        ctx.log(f"trained {result.epochs} epoch(s), {result.steps} step(s); best fitness {fitness}")


def _in_processes(ctx: JobContext, run: TrainRun, hooks: TrainHooks) -> TrainResult:
    """The run as a process group of its own, watched from here; when it fails, the end of
    its log goes to the job's (the chunk's error keeps only its last line)."""
    try:
        return run_in_processes(run, hooks)
    except RuntimeError as exc:
        ctx.log(str(exc), "error")
        raise


def trainer_hooks(hooks: JobTrainHooks) -> TrainHooks:
    return TrainHooks(
        on_step=hooks.on_step,
        on_epoch=hooks.on_epoch,
        log=hooks.log,
        is_cancelled=hooks.is_cancelled,
    )


def _described(result: TrainResult) -> dict[str, Any]:
    return {
        "model_dir": None if result.best_dir is None else str(result.best_dir),
        "best_fitness": result.best_fitness,
        "epochs": result.epochs,
        "steps": result.steps,
    }


def finish(ctx: JobContext, params: TrainParams) -> dict[str, Any]:
    outputs: dict[str, Any] = writer.read_json(ctx.output_dir / RESULT_FILE)
    if outputs["model_dir"] is None:
        raise InvalidInput("training ended before it saved a model (no epoch completed)")
    if params.register_as is not None:
        outputs["model_id"] = _registered(ctx, params, Path(outputs["model_dir"]))
    return outputs


def _registered(ctx: JobContext, params: TrainParams, model_dir: Path) -> int:
    """The id of the best model registered as ``register_as`` (once, if finish reruns)."""
    assert params.register_as is not None
    with session_scope(ctx.session_factory) as session:
        existing = models.get_model_by_name(session, params.register_as)
        if existing is not None and Path(existing.path) == model_dir.resolve():
            return existing.id
        body = ModelCreate(
            name=params.register_as,
            taxonomy_id=params.taxonomy_id,
            kind="ontolabel",
            path=str(model_dir),
            details={"trained_by_job": ctx.job_id},
        )
        return create_model(session, ctx.settings, body, User(name="ontolabel")).id


TRAIN = register(
    JobKind(
        queue="gpu",
        params=TrainParams,
        chunk=TrainChunk,
        plan=plan,
        run_chunk=run_chunk,
        finish=finish,
    )
)
