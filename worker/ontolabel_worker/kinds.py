"""Torch job kinds: ``pseudo_label``, ``preview``, ``evaluate``, ``train``.

Thin entry points over ``ontolabel_worker.ml``: ``plan`` lists frames and pins inputs
into chunk parameters, ``run_chunk`` does the device work idempotently (skipping frames
already written), ``finish`` gathers per-frame reports into the job's outputs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from ontolabel.domain.constraint import allowed_table
from ontolabel.domain.labels import color_table
from ontolabel.errors import InvalidInput
from ontolabel.jobs.kinds import JobContext, JobKind, Plan, register
from ontolabel.preview.cache import preview_cache_path

from ontolabel_worker.ml import metrics, writer
from ontolabel_worker.ml.constrain import DeviceTable
from ontolabel_worker.ml.data import FramePair, pair_frames, read_image, read_label
from ontolabel_worker.ml.models import ModelSpec, SegmentationModel, load_model
from ontolabel_worker.ml.pipeline import STATE_DIR, label_frames
from ontolabel_worker.ml.train import TrainConfig, train_student
from ontolabel_worker.ml.tta import predict
from ontolabel_worker.pinned import (
    PinnedMapping,
    code_version,
    device_name,
    label_options,
    resolve_mapping,
    resolve_model,
    tta_config,
)

JSON = dict[str, Any]
DEFAULT_CHUNK_FRAMES = 16

_MODEL_CACHE: dict[tuple[str, str, str], SegmentationModel] = {}


def cached_model(
    spec: ModelSpec, source_names: Sequence[str] | None, device: str
) -> SegmentationModel:
    """Load once per worker process: consecutive chunks of a job reuse the model."""
    key = (spec.kind, spec.path, device)
    model = _MODEL_CACHE.get(key)
    if model is None:
        _MODEL_CACHE.clear()
        model = load_model(spec, device=device)
        _MODEL_CACHE[key] = model
    if source_names is not None:
        from ontolabel_worker.ml.models import check_classes

        check_classes(model.class_names, source_names, model=spec.path)
    return model


def _check_readable(ctx: JobContext, folder: str, field: str) -> Path:
    path = Path(folder).expanduser().resolve()
    roots = [ctx.settings.outputs, *ctx.settings.allowed_data_roots]
    if not any(path.is_relative_to(r.expanduser().resolve()) for r in roots):
        raise InvalidInput(
            f"{field} {path} is outside the allowed data roots; add it to ONTOLABEL_DATA_ROOTS",
            field=field,
        )
    return path


def _dataset_pairs(ctx: JobContext, params: JSON) -> list[FramePair]:
    """Indexed frames of ``dataset_id`` (optionally only ``frame_ids``) that have both files.

    Keys are frame ids, so previews land where ``/api/frames/{id}/preview`` looks.
    """
    from ontolabel.datasets.tables import Dataset, Frame
    from sqlalchemy import select

    with ctx.session_factory() as session:
        dataset = session.get(Dataset, int(params["dataset_id"]))
        if dataset is None:
            raise InvalidInput(f"dataset {params['dataset_id']} does not exist", field="dataset_id")
        query = select(Frame).where(
            Frame.dataset_id == dataset.id,
            Frame.image_path.is_not(None),
            Frame.label_path.is_not(None),
        )
        if params.get("frame_ids"):
            query = query.where(Frame.id.in_([int(i) for i in params["frame_ids"]]))
        frames = session.scalars(query.order_by(Frame.ordinal, Frame.seq_pos, Frame.id)).all()
        root = Path(dataset.root)
        return [
            FramePair(
                key=str(f.id),
                image=str(root / str(f.image_path)),
                label=str(root / str(f.label_path)),
                label_rel=str(f.label_path),
            )
            for f in frames
        ]


def _pairs(ctx: JobContext, params: JSON) -> tuple[list[FramePair], list[str]]:
    """Frames from ``dataset_id`` (the index) or from ``images_dir`` + ``labels_dir``."""
    if params.get("dataset_id") is not None and not params.get("images_dir"):
        return _dataset_pairs(ctx, params), []
    for name in ("images_dir", "labels_dir"):
        if not params.get(name):
            raise InvalidInput(f"{name} (or dataset_id) is required", field=name)
    return pair_frames(
        _check_readable(ctx, params["images_dir"], "images_dir"),
        _check_readable(ctx, params["labels_dir"], "labels_dir"),
    )


def _output_dir(ctx: JobContext, params: JSON) -> Path:
    """The job's folder, or ``output_dir`` when it lies under an allowed root (CLI ``--out``)."""
    wanted = params.get("output_dir")
    if not wanted:
        return ctx.output_dir
    path = Path(wanted).expanduser().resolve()
    roots = [ctx.settings.outputs, *ctx.settings.allowed_data_roots]
    if not any(path.is_relative_to(r.expanduser().resolve()) for r in roots):
        raise InvalidInput(
            f"output_dir {path} is outside the output root and the allowed data roots",
            field="output_dir",
        )
    path.mkdir(parents=True, exist_ok=True)
    return path


def _chunks(pairs: Sequence[FramePair], size: int, common: JSON) -> list[JSON]:
    return [
        {**common, "index": i // size, "frames": [p.to_json() for p in pairs[i : i + size]]}
        for i in range(0, len(pairs), size)
    ]


# --- pseudo_label ------------------------------------------------------------------------


def plan_pseudo_label(ctx: JobContext, params: JSON) -> Plan:
    pinned = resolve_mapping(ctx.session_factory, params.get("mapping") or {})
    model_spec, model_desc = resolve_model(ctx.session_factory, params.get("model") or {})
    pairs, unpaired = _pairs(ctx, params)
    if unpaired:
        ctx.log(
            f"{len(unpaired)} file(s) without a partner skipped, e.g. {unpaired[:3]}", "warning"
        )
    if not pairs:
        raise InvalidInput("no image/label pairs found (paired by path without extension)")
    size = int((params.get("options") or {}).get("chunk_frames", DEFAULT_CHUNK_FRAMES))
    common = {
        "pinned": pinned.to_json(),
        "model": {
            "kind": model_spec.kind,
            "path": model_spec.path,
            "allow_pickle": model_spec.allow_pickle,
        },
        "model_description": model_desc,
        "tta": params.get("tta") or {},
        "options": params.get("options") or {},
        "output_dir": str(_output_dir(ctx, params)),
    }
    ctx.log(f"{len(pairs)} frame(s) with mapping {pinned.description} and model {model_desc}")
    return Plan(chunks=_chunks(pairs, max(1, size), common), total=len(pairs))


def run_pseudo_label_chunk(ctx: JobContext, chunk: JSON) -> None:
    pinned = PinnedMapping.from_json(chunk["pinned"])
    device = device_name(chunk["options"])
    spec = ModelSpec(
        chunk["model"]["kind"], chunk["model"]["path"], chunk["model"].get("allow_pickle", False)
    )
    model = cached_model(spec, pinned.source_names, device)
    table = DeviceTable.from_allowed_table(
        allowed_table(pinned.mapping, pinned.extra, pinned.source), device
    )
    pairs = [FramePair.from_json(f) for f in chunk["frames"]]
    reports = label_frames(
        model,
        pairs,
        table,
        tta_config(chunk["tta"]),
        label_options(chunk["options"]),
        Path(chunk["output_dir"]),
        on_done=ctx.advance,
        is_cancelled=ctx.is_cancelled,
        label_colors=color_table({c.id: c.color for c in pinned.extra.classes}),
    )
    for report in reports:
        if report.error:
            ctx.frame_error(report.key, report.error)
        for note in report.stats.get("notes", []):
            ctx.log(f"{report.key}: {note}", "warning")


def finish_pseudo_label(ctx: JobContext, params: JSON) -> JSON:
    """Write ``manifest.json``: what produced the labels, and each frame's stats or error."""
    pinned = resolve_mapping(ctx.session_factory, params.get("mapping") or {})
    _, model_desc = resolve_model(ctx.session_factory, params.get("model") or {})
    out = _output_dir(ctx, params)
    frames: dict[str, JSON] = {}
    errors: dict[str, str] = {}
    for path in sorted((out / STATE_DIR / "frames").rglob("*.json")):
        report = json.loads(path.read_text())
        key = report.pop("key", path.stem)
        if "error" in report:
            errors[key] = report["error"]
        else:
            frames[key] = report
    changed = [f["changed_by_priors"] for f in frames.values()]
    ran_in = sorted({str(f["precision"]) for f in frames.values() if "precision" in f})
    ignored = [f["ignored"] for f in frames.values()]
    summary: JSON = {
        "labelled": len(frames),
        "errors": len(errors),
        "mean_changed_by_priors": round(float(np.mean(changed)), 6) if changed else None,
        "mean_ignored": round(float(np.mean(ignored)), 6) if ignored else None,
    }
    manifest = {
        "job_id": ctx.job_id,
        "kind": "pseudo_label",
        "mapping": pinned.description,
        "model": model_desc,
        # what was asked for, and what the frames really ran in (CPU has no bf16 autocast)
        "tta": {**tta_config(params.get("tta")).describe(), "precision_used": ran_in},
        "options": params.get("options") or {},
        "code_version": code_version(),
        "frames": frames,
        "errors": errors,
        "summary": summary,
    }
    writer.write_json(out / "manifest.json", manifest)
    return {"output_dir": str(out), "manifest": str(out / "manifest.json"), **summary}


# --- preview -------------------------------------------------------------------------


def _model_key(model_desc: JSON) -> str:
    if "id" in model_desc:
        return f"model-{model_desc['id']}"
    return "path-" + "".join(c if c.isalnum() else "_" for c in str(model_desc["path"]))[-80:]


def plan_preview(ctx: JobContext, params: JSON) -> Plan:
    """Frames: ``frames`` ([{key, image, label?}]) or ``images_dir`` (+ labels_dir, keys)."""
    model_spec, model_desc = resolve_model(ctx.session_factory, params.get("model") or {})
    if params.get("frames"):
        frames = [dict(f) for f in params["frames"]]
        for i, frame in enumerate(frames):  # paths from a client: only under allowed roots
            for name in ("image", "label"):
                if frame.get(name):
                    frame[name] = str(_check_readable(ctx, str(frame[name]), f"frames[{i}].{name}"))
    else:
        pairs, _ = _pairs(ctx, params)
        keys = set(params.get("keys") or [p.key for p in pairs])
        frames = [
            {"key": p.key, "image": p.image, "label": p.label} for p in pairs if p.key in keys
        ]
    common = {
        "model": {
            "kind": model_spec.kind,
            "path": model_spec.path,
            "allow_pickle": model_spec.allow_pickle,
        },
        "model_key": params.get("model_key") or _model_key(model_desc),
        "max_side": int(params.get("max_side", 512)),
        "dtype": params.get("dtype", "uint8"),
        "tta": params.get("tta") or {"scales": [1.0], "flip": False},
        "options": params.get("options") or {},
        "label_colors": _label_colors(ctx, params),
    }
    size = DEFAULT_CHUNK_FRAMES
    chunks = [{**common, "frames": frames[i : i + size]} for i in range(0, len(frames), size)]
    return Plan(chunks=chunks, total=len(frames))


def _label_colors(ctx: JobContext, params: JSON) -> list[list[int]]:
    """[packed colour, id] pairs of the labels' taxonomy (dataset or ``taxonomy_id``)."""
    from ontolabel.taxonomies.repository import load_domain_taxonomy

    taxonomy_id = params.get("taxonomy_id")
    with ctx.session_factory() as session:
        if taxonomy_id is None and params.get("dataset_id") is not None:
            from ontolabel.datasets.tables import Dataset

            dataset = session.get(Dataset, int(params["dataset_id"]))
            taxonomy_id = dataset.taxonomy_id if dataset is not None else None
        taxonomy = load_domain_taxonomy(session, int(taxonomy_id)) if taxonomy_id else None
    if taxonomy is None:
        return []
    return [[k, v] for k, v in color_table({c.id: c.color for c in taxonomy.classes}).items()]


def _downscaled(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    h, w = size
    factor = min(1.0, max_side / max(h, w))
    return max(1, round(h * factor)), max(1, round(w * factor))


def run_preview_chunk(ctx: JobContext, chunk: JSON) -> None:
    device = device_name(chunk["options"])
    spec = ModelSpec(
        chunk["model"]["kind"], chunk["model"]["path"], chunk["model"].get("allow_pickle", False)
    )
    model = cached_model(spec, None, device)
    tta = tta_config(chunk["tta"])
    for frame in chunk["frames"]:
        path = preview_cache_path(ctx.settings.cache_dir, chunk["model_key"], frame["key"])
        if path.is_file():
            ctx.advance()
            continue
        try:
            image = torch.from_numpy(read_image(frame["image"]).copy()).permute(2, 0, 1)
            size = _downscaled((int(image.shape[1]), int(image.shape[2])), chunk["max_side"])
            probs = predict(model, image[None].to(device), size, tta).probs[0].cpu()
            arrays = {
                "class_names": np.asarray(model.class_names),
                "size": np.asarray(image.shape[1:]),
            }
            if chunk["dtype"] == "float16":
                arrays["probs"] = probs.to(torch.float16).numpy()
            else:
                arrays["probs"] = (probs * 255).round().to(torch.uint8).numpy()
            if frame.get("label"):
                colors = {int(c): int(i) for c, i in chunk.get("label_colors", [])}
                label = torch.from_numpy(read_label(frame["label"], colors))[None, None].float()
                small = F.interpolate(label, size=size, mode="nearest")[0, 0]
                arrays["label"] = small.to(torch.int32).numpy()
            writer.write_npz(path, **arrays)
        except Exception as exc:
            ctx.frame_error(frame["key"], f"preview failed: {exc}")
        ctx.advance()
        if ctx.is_cancelled():
            return


def finish_preview(ctx: JobContext, params: JSON) -> JSON:
    _, model_desc = resolve_model(ctx.session_factory, params.get("model") or {})
    key = params.get("model_key") or _model_key(model_desc)
    return {"cache": str(ctx.settings.cache_dir / "previews" / key), "model_key": key}


# --- evaluate ------------------------------------------------------------------------


def plan_evaluate(ctx: JobContext, params: JSON) -> Plan:
    """Score ``predictions_dir`` (PNG ids) or ``model`` on ``images_dir`` against ``labels_dir``.

    ``class_names``/``class_ids`` name the predicted taxonomy; with ``mapping`` the ground
    truth is in the mapping's extra taxonomy and is read through it: a label allowing exactly
    one real source class (and no void) becomes that class, every other label is ignored.
    """
    if params.get("predictions_dir"):
        pairs, _ = pair_frames(
            _check_readable(ctx, params["predictions_dir"], "predictions_dir"),
            _check_readable(ctx, params["labels_dir"], "labels_dir"),
        )
    else:
        pairs, _ = _pairs(ctx, params)
    common = {k: v for k, v in params.items() if k not in ("frames",)}
    if params.get("mapping"):
        common["pinned"] = resolve_mapping(ctx.session_factory, params["mapping"]).to_json()
    if params.get("model"):
        spec, desc = resolve_model(ctx.session_factory, params["model"])
        common["model"] = {"kind": spec.kind, "path": spec.path, "allow_pickle": spec.allow_pickle}
        common["model_description"] = desc
    return Plan(chunks=_chunks(pairs, DEFAULT_CHUNK_FRAMES, common), total=len(pairs))


def _truth_lookup(chunk: JSON, class_ids: Sequence[int]) -> np.ndarray:
    """Ground-truth id → channel index (255 = ignored)."""
    lookup = np.full(65536, 255, dtype=np.int64)
    if "pinned" not in chunk:
        for channel, class_id in enumerate(class_ids):
            lookup[class_id] = channel
        return lookup
    pinned = PinnedMapping.from_json(chunk["pinned"])
    table = allowed_table(pinned.mapping, pinned.extra, pinned.source)
    unique = (table.table.sum(1) == 1) & ~table.void
    lookup[: len(unique)] = np.where(unique, table.table.argmax(1), 255)
    return lookup


def run_evaluate_chunk(ctx: JobContext, chunk: JSON) -> None:
    class_ids = [int(i) for i in chunk["class_ids"]]
    to_channel = np.full(65536, len(class_ids), dtype=np.int64)
    to_channel[class_ids] = np.arange(len(class_ids))
    truth_lookup = _truth_lookup(chunk, class_ids)
    colors = None
    if "pinned" in chunk:  # extra ground truth may be colour PNGs
        extra = PinnedMapping.from_json(chunk["pinned"]).extra
        colors = color_table({c.id: c.color for c in extra.classes})
    model = None
    if chunk.get("model") and not chunk.get("predictions_dir"):
        device = device_name(chunk.get("options"))
        spec = ModelSpec(
            chunk["model"]["kind"],
            chunk["model"]["path"],
            chunk["model"].get("allow_pickle", False),
        )
        model = cached_model(spec, chunk.get("class_names"), device)
    matrix = np.zeros((len(class_ids), len(class_ids) + 1), dtype=np.int64)
    for frame in chunk["frames"]:
        pair = FramePair.from_json(frame)
        truth = truth_lookup[np.clip(read_label(pair.label, colors), 0, 65535)]
        if model is None:
            predicted = to_channel[np.clip(read_label(pair.image), 0, 65535)]
        else:
            image = torch.from_numpy(read_image(pair.image).copy()).permute(2, 0, 1)[None]
            probs = predict(
                model, image.to(model.device), truth.shape, tta_config(chunk.get("tta"))
            ).probs
            predicted = probs[0].argmax(0).cpu().numpy()
        matrix += metrics.confusion(predicted, truth, len(class_ids))
        ctx.advance()
    writer.write_npz(
        ctx.output_dir / f"confusion-{chunk['index']}.npz",
        matrix=matrix,
        frames=np.asarray(len(chunk["frames"])),
    )


def finish_evaluate(ctx: JobContext, params: JSON) -> JSON:
    from ontolabel.core.db import session_scope
    from ontolabel.models.service import record_evaluation
    from ontolabel.models.tables import EvaluationRecord

    n = len(params["class_ids"])
    matrix = np.zeros((n, n + 1), dtype=np.int64)
    frames = 0
    for path in ctx.output_dir.glob("confusion-*.npz"):
        with np.load(path) as part:
            matrix += part["matrix"]
            frames += int(part["frames"])
    iou = metrics.iou_per_class(matrix)
    miou = metrics.mean_iou(matrix)
    model_id = (params.get("model") or {}).get("id")
    subject = params.get("predictions_dir") or json.dumps(params.get("model"))
    with session_scope(ctx.session_factory) as session:
        record = record_evaluation(
            session,
            EvaluationRecord(
                job_id=ctx.job_id,
                model_id=model_id,
                subject=str(subject),
                class_names=list(params.get("class_names") or map(str, params["class_ids"])),
                mean_iou=None if np.isnan(miou) else miou,
                per_class_iou=[None if np.isnan(v) else float(v) for v in iou],
                confusion=matrix.tolist(),
                frames=frames,
                details={"mapping": params.get("mapping"), "code_version": code_version()},
            ),
        )
        evaluation_id = record.id
    return {"evaluation_id": evaluation_id, "mean_iou": None if np.isnan(miou) else round(miou, 5)}


# --- train ---------------------------------------------------------------------------


def plan_train(ctx: JobContext, params: JSON) -> Plan:
    """One chunk: train a SegFormer student on ``images_dir``/``labels_dir`` (source ids)."""
    _pairs(ctx, params)  # fail at planning, not on the worker, when the folders are wrong
    if not params.get("class_names") or not params.get("class_ids"):
        raise InvalidInput("train needs class_names and class_ids (the source taxonomy)")
    return Plan(chunks=[{**params, "index": 0}], total=int(params.get("steps", 200)))


def run_train_chunk(ctx: JobContext, chunk: JSON) -> None:
    pairs, _ = _pairs(ctx, chunk)
    out_dir = ctx.output_dir / "model"
    config = TrainConfig(
        size=chunk.get("size", "tiny"),
        steps=int(chunk.get("steps", 200)),
        batch_size=int(chunk.get("batch_size", 4)),
        crop=int(chunk.get("crop", 128)),
        learning_rate=float(chunk.get("learning_rate", 6e-4)),
        device=device_name(chunk.get("options")),
        max_seconds=chunk.get("max_seconds"),
    )

    def on_step(step: int, loss: float) -> None:
        ctx.advance()
        if step % 50 == 0:
            ctx.log(f"step {step}: loss {loss:.4f}")

    summary = train_student(
        pairs,
        chunk["class_names"],
        chunk["class_ids"],
        out_dir,
        config,
        on_step=on_step,
        is_cancelled=ctx.is_cancelled,
    )
    ctx.log(f"trained: {summary}")


def finish_train(ctx: JobContext, params: JSON) -> JSON:
    out_dir = ctx.output_dir / "model"
    outputs: JSON = {"model_dir": str(out_dir)}
    if params.get("register_as") and params.get("taxonomy_id"):
        from ontolabel.core.db import session_scope
        from ontolabel.models.schemas import ModelCreate
        from ontolabel.models.service import create_model

        body = ModelCreate(
            name=params["register_as"],
            taxonomy_id=int(params["taxonomy_id"]),
            kind="ontolabel",
            path=str(out_dir),
            details={"trained_by_job": ctx.job_id},
        )
        with session_scope(ctx.session_factory) as session:
            outputs["model_id"] = create_model(session, ctx.settings, body, "ontolabel").id
    return outputs


PSEUDO_LABEL = register(
    JobKind("pseudo_label", "gpu", plan_pseudo_label, run_pseudo_label_chunk, finish_pseudo_label)
)
PREVIEW = register(JobKind("preview", "gpu", plan_preview, run_preview_chunk, finish_preview))
EVALUATE = register(JobKind("evaluate", "gpu", plan_evaluate, run_evaluate_chunk, finish_evaluate))
TRAIN = register(JobKind("train", "gpu", plan_train, run_train_chunk, finish_train))
