"""The ``train`` kind: one chunk trains a SegFormer student on image/label pairs."""

from __future__ import annotations

from typing import Any

from ontolabel.core.db import session_scope
from ontolabel.errors import InvalidInput
from ontolabel.jobs.kinds import JobContext, JobKind, Plan, register
from ontolabel.jobs.params import TrainParams
from ontolabel.models.schemas import ModelCreate
from ontolabel.models.service import create_model

from ontolabel_worker.kinds.resolve import Resolved, device_name, selected_pairs
from ontolabel_worker.ml.data import FramePair
from ontolabel_worker.ml.train import TrainConfig, train_student

_CONFIG_FIELDS = {"size", "steps", "batch_size", "crop", "learning_rate", "max_seconds"}


class TrainChunk(Resolved):
    frames: list[FramePair]
    params: TrainParams


def plan(ctx: JobContext, params: TrainParams) -> Plan[TrainChunk]:
    pairs, _ = selected_pairs(ctx, params)  # fail at planning, not mid-run, on bad folders
    if not pairs:
        raise InvalidInput("no image/label pairs found to train on", field="images_dir")
    return Plan(chunks=[TrainChunk(frames=pairs, params=params)], total=params.steps)


def run_chunk(ctx: JobContext, chunk: TrainChunk) -> None:
    params = chunk.params
    config = TrainConfig(
        **params.model_dump(include=_CONFIG_FIELDS), device=device_name(params.device)
    )

    def on_step(step: int, loss: float) -> None:
        ctx.advance()
        if step % 50 == 0:
            ctx.log(f"step {step}: loss {loss:.4f}")

    summary = train_student(
        chunk.frames,
        params.class_names,
        params.class_ids,
        ctx.output_dir / "model",
        config,
        on_step=on_step,
        is_cancelled=ctx.is_cancelled,
    )
    ctx.log(f"trained: {summary}")


def finish(ctx: JobContext, params: TrainParams) -> dict[str, Any]:
    out_dir = ctx.output_dir / "model"
    outputs: dict[str, Any] = {"model_dir": str(out_dir)}
    if params.register_as is not None and params.taxonomy_id is not None:
        body = ModelCreate(
            name=params.register_as,
            taxonomy_id=params.taxonomy_id,
            kind="ontolabel",
            path=str(out_dir),
            details={"trained_by_job": ctx.job_id},
        )
        with session_scope(ctx.session_factory) as session:
            outputs["model_id"] = create_model(session, ctx.settings, body, "ontolabel").id
    return outputs


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
