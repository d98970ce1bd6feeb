"""The ``pseudo_label`` kind: teacher TTA softmax constrained by a mapping, argmax → PNG.

``plan`` pins the mapping's documents, the model and the settings into every chunk and
names them by one *provenance* digest; ``run_chunk`` labels the frames whose existing
output was not made by that provenance (a rerun with an edited mapping, another model or
other settings relabels instead of keeping labels the manifest would misdescribe);
``finish`` writes ``manifest.json`` with each frame's provenance; a cancelled or failed
job writes one too, marked ``partial`` with its status, error and progress. A rerun after a
mapping edit keeps the frames that hold no label whose allowed set changed (``carry_over``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
from ontolabel.core.paths import resolve_job_folder
from ontolabel.domain.constraint import allowed_table
from ontolabel.domain.staleness import constraint_rows
from ontolabel.errors import InvalidInput
from ontolabel.jobs.kinds import JobContext, JobEnding, JobKind, Plan, register
from ontolabel.jobs.label_folders import PROVENANCE_DIR, STATE_DIR, rows_path
from ontolabel.jobs.params import InlineMapping, PseudoLabelOptions, PseudoLabelParams, TTASettings

from ontolabel_worker.kinds.carry_over import Keepable, carry_over, keepable_frames
from ontolabel_worker.kinds.model_cache import cached_model
from ontolabel_worker.kinds.resolve import (
    PinnedMapping,
    Resolved,
    ResolvedModel,
    code_version,
    content_digest,
    device_name,
    resolve_mapping,
    resolve_model,
    selected_pairs,
    tta_config,
)
from ontolabel_worker.ml import writer
from ontolabel_worker.ml.constrain import ConstraintOptions, DeviceTable
from ontolabel_worker.ml.data import FramePair
from ontolabel_worker.ml.pipeline import LabelOptions, label_frames

JSON = dict[str, Any]


class PseudoLabelChunk(Resolved):
    index: int
    frames: list[FramePair]
    mapping: InlineMapping
    model: ResolvedModel
    tta: TTASettings
    options: PseudoLabelOptions
    priors: bool
    output_dir: str
    provenance: str
    keep: dict[str, Keepable] = {}
    """Frame key → the older provenances whose outputs of it equal this run's."""


def provenance(
    mapping: PinnedMapping, model: ResolvedModel, params: PseudoLabelParams
) -> tuple[str, JSON]:
    """What decides a frame's outputs, and its digest: the mapping (where from, and a hash
    of its documents), the model (with its files' fingerprint), TTA, the constraint
    options, priors on or off, and which extra outputs are written."""
    options = params.options
    description: JSON = {
        "mapping": {**mapping.description, "content_sha256": content_digest(mapping.to_inline())},
        "model": model.description,
        "tta": params.tta.model_dump(mode="json"),
        "constraint": {
            "void_threshold": options.void_threshold,
            "confidence_floor": options.confidence_floor,
        },
        "priors": params.priors,
        "outputs": {"save_prediction": options.save_prediction, "soft_top_k": options.soft_top_k},
    }
    text = json.dumps(description, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16], description


def output_dir(ctx: JobContext, params: PseudoLabelParams) -> Path:
    """The job's folder, or ``output_dir`` when it lies under an allowed root (CLI ``--out``)."""
    if params.output_dir is None:
        return ctx.output_dir
    return resolve_job_folder(
        params.output_dir, ctx.settings.job_roots, field="output_dir", create=True
    )


def plan(ctx: JobContext, params: PseudoLabelParams) -> Plan[PseudoLabelChunk]:
    pinned = resolve_mapping(ctx, params.mapping)
    model = resolve_model(ctx, params.model)
    pairs, unpaired = selected_pairs(ctx, params)
    if unpaired:
        ctx.log(
            f"{len(unpaired)} file(s) without a partner skipped, e.g. {unpaired[:3]}", "warning"
        )
    if not pairs:
        raise InvalidInput("no image/label pairs found (paired by path without extension)")
    digest, description = provenance(pinned, model, params)
    rows = constraint_rows(pinned.mapping, pinned.extra, pinned.source, priors=params.priors)
    out = output_dir(ctx, params)
    writer.write_json(out / PROVENANCE_DIR / f"{digest}.json", description)
    writer.write_json(rows_path(out, digest), rows.to_json())
    ctx.log(
        f"{len(pairs)} frame(s) with mapping {pinned.description} and model {model.description}"
        f"{'' if params.priors else ', without priors'}; provenance {digest}"
    )
    keep = keepable_frames(ctx, params, pinned, out, (digest, description), rows, pairs)
    size = params.options.chunk_frames
    chunks = [
        PseudoLabelChunk(
            index=i // size,
            frames=pairs[i : i + size],
            mapping=pinned.to_inline(),
            model=model,
            tta=params.tta,
            options=params.options,
            priors=params.priors,
            output_dir=str(out),
            provenance=digest,
            keep={p.key: keep[p.key] for p in pairs[i : i + size] if p.key in keep},
        )
        for i in range(0, len(pairs), size)
    ]
    return Plan(chunks=chunks, total=len(pairs))


_CONSTRAINT = {"void_threshold", "confidence_floor"}
_WRITING = {"save_prediction", "soft_top_k", "batch_size", "num_workers", "writer_threads"}


def label_options(options: PseudoLabelOptions, priors: bool) -> LabelOptions:
    """The contract's options as the pipeline's (which knows nothing of pydantic)."""
    constraint = ConstraintOptions(**options.model_dump(include=_CONSTRAINT))
    return LabelOptions(
        constraint=constraint, priors=priors, **options.model_dump(include=_WRITING)
    )


def run_chunk(ctx: JobContext, chunk: PseudoLabelChunk) -> None:
    options = label_options(chunk.options, chunk.priors)
    out = Path(chunk.output_dir)
    kept = carry_over(out, chunk.frames, chunk.keep, options, chunk.provenance)
    if kept:
        ctx.advance(len(kept))
    todo = [f for f in chunk.frames if f.key not in kept]
    if not todo:  # a chunk whose frames all keep their outputs needs no model
        return
    pinned = PinnedMapping.from_inline(chunk.mapping)
    device = device_name(chunk.options.device)
    model = cached_model(chunk.model.spec(), pinned.source_names, device)
    table = DeviceTable.from_allowed_table(
        allowed_table(pinned.mapping, pinned.extra, pinned.source), device
    )
    reports = label_frames(
        model,
        todo,
        table,
        tta_config(chunk.tta),
        options,
        out,
        on_done=ctx.advance,
        is_cancelled=ctx.is_cancelled,
        label_colors=pinned.extra_colors,
        provenance=chunk.provenance,
    )
    for report in reports:
        if report.error:
            ctx.frame_error(report.key, report.error)
        for note in report.stats.get("notes", []):
            ctx.log(f"{report.key}: {note}", "warning")


def finish(ctx: JobContext, params: PseudoLabelParams) -> JSON:
    """Write ``manifest.json``: every PNG in the folder with what produced it, or its error."""
    out, summary = _write_manifest(ctx, params, {"status": "succeeded"})
    return {"output_dir": str(out), "manifest": str(out / "manifest.json"), **summary}


def on_end(ctx: JobContext, params: PseudoLabelParams, ending: JobEnding) -> None:
    """A cancelled or failed job's folder says so: the same manifest, with its status,
    error and progress, listing only the frames that were completed (``partial``)."""
    end = {
        "status": ending.status,
        "partial": True,
        "error": ending.error,
        "done": ending.done,
        "total": ending.total,
    }
    _write_manifest(ctx, params, end)


def _write_manifest(ctx: JobContext, params: PseudoLabelParams, end: JSON) -> tuple[Path, JSON]:
    """The manifest, written atomically (temp file + rename): ``end`` says how the job ended."""
    pinned = resolve_mapping(ctx, params.mapping)
    model = resolve_model(ctx, params.model)
    digest, description = provenance(pinned, model, params)
    out = output_dir(ctx, params)
    frames: dict[str, JSON] = {}
    errors: dict[str, str] = {}
    for path in sorted((out / STATE_DIR / "frames").rglob("*.json")):
        report = writer.read_json(path)
        key = report.pop("key", path.stem)
        if "error" in report:
            errors[key] = report["error"]
        else:
            frames[key] = report
    current = [f for f in frames.values() if f.get("provenance") == digest]
    summary = _summary(current, len(errors), len(frames) - len(current))
    used = {str(f.get("provenance")) for f in frames.values()} | {digest}
    used |= {str(f["carried_from"]) for f in frames.values() if "carried_from" in f}
    manifest = {
        "job_id": ctx.job_id,
        "kind": "pseudo_label",
        **end,
        "mapping": pinned.description,
        "model": model.description,
        # what was asked for, and what the frames really ran in (CPU has no bf16 autocast)
        "tta": {**tta_config(params.tta).describe(), "precision_used": _precisions(current)},
        "options": params.options.model_dump(mode="json"),
        "priors": params.priors,
        "provenance": digest,
        "provenances": {d: _described(out, d, description if d == digest else None) for d in used},
        "code_version": code_version(),
        "frames": frames,
        "errors": errors,
        "summary": summary,
    }
    writer.write_json(out / "manifest.json", manifest)
    return out, summary


def _summary(current: list[JSON], errors: int, older: int) -> JSON:
    changed = [f["changed_by_priors"] for f in current]
    ignored = [f["ignored"] for f in current]
    return {
        "labelled": len(current),
        "errors": errors,
        "other_provenance": older,
        # outputs an older provenance's run wrote, kept since this one's would be the same
        "carried_over": sum("carried_from" in f for f in current),
        "mean_changed_by_priors": round(float(np.mean(changed)), 6) if changed else None,
        "mean_ignored": round(float(np.mean(ignored)), 6) if ignored else None,
    }


def _precisions(frames: list[JSON]) -> list[str]:
    return sorted({str(f["precision"]) for f in frames if "precision" in f})


def _described(out: Path, digest: str, known: JSON | None) -> JSON:
    """A provenance's description: this run's, or the one an earlier run left in the folder."""
    return known or writer.read_json(out / PROVENANCE_DIR / f"{digest}.json")


PSEUDO_LABEL = register(
    JobKind(
        queue="gpu",
        params=PseudoLabelParams,
        chunk=PseudoLabelChunk,
        plan=plan,
        run_chunk=run_chunk,
        finish=finish,
        on_end=on_end,
    )
)
