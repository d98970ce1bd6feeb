"""The ``evaluate`` kind: a confusion matrix per chunk, summed into mIoU by ``finish``.

It scores a folder of predicted label PNGs (e.g. pseudo-labels) or a model's predictions
against ground truth; with a mapping, ground truth in the extra taxonomy is read through
it (see ``EvaluateParams``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from ontolabel.core.db import session_scope
from ontolabel.domain.constraint import allowed_table
from ontolabel.errors import InvalidInput
from ontolabel.jobs.kinds import JobContext, JobKind, Plan, register
from ontolabel.jobs.params import EvaluateParams, InlineMapping, TTASettings
from ontolabel.models.service import record_evaluation
from ontolabel.models.tables import EvaluationRecord

from ontolabel_worker.kinds.model_cache import cached_model
from ontolabel_worker.kinds.resolve import (
    PinnedMapping,
    Resolved,
    ResolvedModel,
    code_version,
    dataset_pairs,
    device_name,
    folder,
    resolve_mapping,
    resolve_model,
    tta_config,
)
from ontolabel_worker.ml import metrics, writer
from ontolabel_worker.ml.data import FramePair, pair_frames, read_image, read_label
from ontolabel_worker.ml.tta import predict

CHUNK_FRAMES = 16


class EvaluateChunk(Resolved):
    index: int
    frames: list[FramePair]
    """``image`` is the predicted PNG when no model is given."""
    class_ids: list[int]
    class_names: list[str] | None
    mapping: InlineMapping | None
    model: ResolvedModel | None
    tta: TTASettings
    device: str | None


def _pairs(ctx: JobContext, params: EvaluateParams) -> list[FramePair]:
    if params.dataset_id is not None:
        return dataset_pairs(ctx, params.dataset_id, params.frame_ids)
    assert params.labels_dir is not None
    first = params.predictions_dir or params.images_dir
    field = "predictions_dir" if params.predictions_dir else "images_dir"
    assert first is not None
    pairs, _ = pair_frames(folder(ctx, first, field), folder(ctx, params.labels_dir, "labels_dir"))
    return pairs


def plan(ctx: JobContext, params: EvaluateParams) -> Plan[EvaluateChunk]:
    pairs = _pairs(ctx, params)
    if not pairs:  # an mIoU over nothing is no result: say so rather than store a null
        scored = "prediction" if params.predictions_dir else "image"
        raise InvalidInput(f"no {scored}/label pairs found (paired by path without extension)")
    mapping = None if params.mapping is None else resolve_mapping(ctx, params.mapping).to_inline()
    model = None if params.model is None else resolve_model(ctx, params.model)
    chunks = [
        EvaluateChunk(
            index=i // CHUNK_FRAMES,
            frames=pairs[i : i + CHUNK_FRAMES],
            class_ids=params.class_ids,
            class_names=params.class_names,
            mapping=mapping,
            model=model,
            tta=params.tta,
            device=params.device,
        )
        for i in range(0, len(pairs), CHUNK_FRAMES)
    ]
    return Plan(chunks=chunks, total=len(pairs))


def _truth_lookup(pinned: PinnedMapping | None, class_ids: Sequence[int]) -> np.ndarray:
    """Ground-truth id → channel index (255 = ignored)."""
    lookup = np.full(65536, 255, dtype=np.int64)
    if pinned is None:
        for channel, class_id in enumerate(class_ids):
            lookup[class_id] = channel
        return lookup
    table = allowed_table(pinned.mapping, pinned.extra, pinned.source)
    unique = (table.table.sum(1) == 1) & ~table.void
    lookup[: len(unique)] = np.where(unique, table.table.argmax(1), 255)
    return lookup


def run_chunk(ctx: JobContext, chunk: EvaluateChunk) -> None:
    n = len(chunk.class_ids)
    to_channel = np.full(65536, n, dtype=np.int64)
    to_channel[chunk.class_ids] = np.arange(n)
    pinned = None if chunk.mapping is None else PinnedMapping.from_inline(chunk.mapping)
    truth_lookup = _truth_lookup(pinned, chunk.class_ids)
    colors = None if pinned is None else pinned.extra_colors  # extra truth may be colour PNGs
    model = None
    if chunk.model is not None:
        model = cached_model(chunk.model.spec(), chunk.class_names, device_name(chunk.device))
    matrix = np.zeros((n, n + 1), dtype=np.int64)
    for pair in chunk.frames:
        truth = truth_lookup[np.clip(read_label(pair.label, colors), 0, 65535)]
        if model is None:
            predicted = to_channel[np.clip(read_label(pair.image), 0, 65535)]
        else:
            image = torch.from_numpy(read_image(pair.image).copy()).permute(2, 0, 1)[None]
            probs = predict(model, image.to(model.device), truth.shape, tta_config(chunk.tta)).probs
            predicted = probs[0].argmax(0).cpu().numpy()
        matrix += metrics.confusion(predicted, truth, n)
        ctx.advance()
    writer.write_npz(
        ctx.output_dir / f"confusion-{chunk.index}.npz",
        matrix=matrix,
        frames=np.asarray(len(chunk.frames)),
    )


def finish(ctx: JobContext, params: EvaluateParams) -> dict[str, Any]:
    n = len(params.class_ids)
    matrix = np.zeros((n, n + 1), dtype=np.int64)
    frames = 0
    for path in ctx.output_dir.glob("confusion-*.npz"):
        with np.load(path) as part:
            matrix += part["matrix"]
            frames += int(part["frames"])
    iou = metrics.iou_per_class(matrix)
    miou = metrics.mean_iou(matrix)
    model = None if params.model is None else resolve_model(ctx, params.model)
    subject = params.predictions_dir or (
        model.description.get("name") or model.path if model else ""
    )
    with session_scope(ctx.session_factory) as session:
        record = record_evaluation(
            session,
            EvaluationRecord(
                job_id=ctx.job_id,
                model_id=params.model.id if params.model else None,
                subject=str(subject),
                class_names=list(params.class_names or map(str, params.class_ids)),
                mean_iou=None if np.isnan(miou) else miou,
                per_class_iou=[None if np.isnan(v) else float(v) for v in iou],
                confusion=matrix.tolist(),
                frames=frames,
                details={
                    "mapping": None
                    if params.mapping is None
                    else params.mapping.model_dump(mode="json", exclude={"inline"}),
                    "code_version": code_version(),
                },
            ),
        )
        evaluation_id = record.id
    return {"evaluation_id": evaluation_id, "mean_iou": None if np.isnan(miou) else round(miou, 5)}


EVALUATE = register(
    JobKind(
        queue="gpu",
        params=EvaluateParams,
        chunk=EvaluateChunk,
        plan=plan,
        run_chunk=run_chunk,
        finish=finish,
    )
)
