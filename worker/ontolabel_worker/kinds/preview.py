"""The ``preview`` kind: cache a teacher's probabilities of some frames.

The API re-applies any mapping (saved or draft) to the cached probabilities with numpy,
so a preview follows mapping edits live without the GPU.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from ontolabel.jobs.kinds import JobContext, JobKind, Plan, register
from ontolabel.jobs.params import PreviewFrame, PreviewParams, TTASettings
from ontolabel.preview.cache import preview_cache_path

from ontolabel_worker.kinds.model_cache import cached_model
from ontolabel_worker.kinds.resolve import (
    Resolved,
    ResolvedModel,
    dataset_pairs,
    device_name,
    folder,
    resolve_model,
    taxonomy_colors,
    tta_config,
)
from ontolabel_worker.ml import writer
from ontolabel_worker.ml.data import pair_frames, read_image, read_label
from ontolabel_worker.ml.tta import predict

CHUNK_FRAMES = 16


class PreviewChunk(Resolved):
    frames: list[PreviewFrame]
    model: ResolvedModel
    model_key: str
    max_side: int
    dtype: Literal["uint8", "float16"]
    tta: TTASettings
    device: str | None
    label_colors: dict[int, int]
    """Packed colour → id of the labels' taxonomy (colour label PNGs)."""


def _frames(ctx: JobContext, params: PreviewParams) -> list[PreviewFrame]:
    if params.frames is not None:
        return params.frames  # paths were checked against the roots when the job was made
    if params.dataset_id is not None:
        pairs = dataset_pairs(ctx, params.dataset_id, params.frame_ids)
        return [PreviewFrame(key=p.key, image=p.image, label=p.label) for p in pairs]
    assert params.images_dir is not None and params.labels_dir is not None
    pairs, _ = pair_frames(
        folder(ctx, params.images_dir, "images_dir"), folder(ctx, params.labels_dir, "labels_dir")
    )
    return [PreviewFrame(key=p.key, image=p.image, label=p.label) for p in pairs]


def plan(ctx: JobContext, params: PreviewParams) -> Plan[PreviewChunk]:
    model = resolve_model(ctx, params.model)
    frames = _frames(ctx, params)
    common: dict[str, Any] = {
        "model": model,
        "model_key": params.model_key or model.cache_key,
        "max_side": params.max_side,
        "dtype": params.dtype,
        "tta": params.tta,
        "device": params.device,
        "label_colors": taxonomy_colors(ctx, params.taxonomy_id, params.dataset_id),
    }
    chunks = [
        PreviewChunk(frames=frames[i : i + CHUNK_FRAMES], **common)
        for i in range(0, len(frames), CHUNK_FRAMES)
    ]
    return Plan(chunks=chunks, total=len(frames))


def _downscaled(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    h, w = size
    factor = min(1.0, max_side / max(h, w))
    return max(1, round(h * factor)), max(1, round(w * factor))


def run_chunk(ctx: JobContext, chunk: PreviewChunk) -> None:
    device = device_name(chunk.device)
    model = cached_model(chunk.model.spec(), None, device)
    tta = tta_config(chunk.tta)
    for frame in chunk.frames:
        path = preview_cache_path(ctx.settings.cache_dir, chunk.model_key, frame.key)
        if path.is_file():
            ctx.advance()
            continue
        try:
            image = torch.from_numpy(read_image(frame.image).copy()).permute(2, 0, 1)
            size = _downscaled((int(image.shape[1]), int(image.shape[2])), chunk.max_side)
            probs = predict(model, image[None].to(device), size, tta).probs[0].cpu()
            arrays = {
                "class_names": np.asarray(model.class_names),
                "size": np.asarray(image.shape[1:]),
            }
            if chunk.dtype == "float16":
                arrays["probs"] = probs.to(torch.float16).numpy()
            else:
                arrays["probs"] = (probs * 255).round().to(torch.uint8).numpy()
            if frame.label is not None:
                label = torch.from_numpy(read_label(frame.label, chunk.label_colors))
                small = F.interpolate(label[None, None].float(), size=size, mode="nearest")
                arrays["label"] = small[0, 0].to(torch.int32).numpy()
            writer.write_npz(path, **arrays)
        except Exception as exc:
            ctx.frame_error(frame.key, f"preview failed: {exc}")
        ctx.advance()
        if ctx.is_cancelled():
            return


def finish(ctx: JobContext, params: PreviewParams) -> dict[str, Any]:
    key = params.model_key or resolve_model(ctx, params.model).cache_key
    return {"cache": str(ctx.settings.cache_dir / "previews" / key), "model_key": key}


PREVIEW = register(
    JobKind(
        queue="gpu",
        params=PreviewParams,
        chunk=PreviewChunk,
        plan=plan,
        run_chunk=run_chunk,
        finish=finish,
    )
)
