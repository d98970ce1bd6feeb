"""The ``suggest`` kind: co-occurrence of extra labels and the teacher's own predictions,
per chunk, ranked by ``finish`` into cells to add, cells to remove and conflicts.

Each chunk counts its frames (``domain.suggestions.count_frame``) and writes the counts as
``cooccurrence-<index>.npz`` in the job's folder (a redelivered chunk whose file exists is
skipped). Probabilities a ``preview`` job cached for this model are read instead of running
the model, which is loaded only for frames the cache lacks. ``finish`` merges the chunks,
ranks, writes ``suggestions.json`` and returns the same JSON as the job's outputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from ontolabel.datasets import repository as datasets
from ontolabel.domain.constraint import AllowedTable, allowed_table
from ontolabel.domain.suggestions import Cooccurrence, SuggestSettings, count_frame, heatmap, rank
from ontolabel.errors import InvalidInput
from ontolabel.jobs.kinds import JobContext, JobKind, Plan, register
from ontolabel.jobs.params import InlineMapping, SuggestOptions, SuggestParams, TTASettings
from ontolabel.preview.cache import preview_cache_path

from ontolabel_worker.kinds.model_cache import cached_model
from ontolabel_worker.kinds.resolve import (
    PinnedMapping,
    Resolved,
    ResolvedModel,
    device_name,
    resolve_mapping,
    resolve_model,
    selected_pairs,
    tta_config,
)
from ontolabel_worker.ml import probabilities, writer
from ontolabel_worker.ml.data import FramePair, read_image, read_label
from ontolabel_worker.ml.models import SegmentationModel

JSON = dict[str, Any]


class SuggestChunk(Resolved):
    index: int
    frames: list[FramePair]
    mapping: InlineMapping
    model: ResolvedModel
    model_key: str | None
    """Preview cache folder to read, or None (``reuse_previews`` off)."""
    tta: TTASettings
    void_threshold: float
    device: str | None


def plan(ctx: JobContext, params: SuggestParams) -> Plan[SuggestChunk]:
    pinned = resolve_mapping(ctx, params.mapping)
    model = resolve_model(ctx, params.model)
    pairs, unpaired = selected_pairs(ctx, _with_sample_set(ctx, params))
    if unpaired:
        ctx.log(
            f"{len(unpaired)} file(s) without a partner skipped, e.g. {unpaired[:3]}", "warning"
        )
    if not pairs:
        raise InvalidInput("no image/label pairs found (paired by path without extension)")
    key = (params.model_key or model.cache_key) if params.reuse_previews else None
    size = params.chunk_frames
    chunks = [
        SuggestChunk(
            index=i // size,
            frames=pairs[i : i + size],
            mapping=pinned.to_inline(),
            model=model,
            model_key=key,
            tta=params.tta,
            void_threshold=params.void_threshold,
            device=params.device,
        )
        for i in range(0, len(pairs), size)
    ]
    return Plan(chunks=chunks, total=len(pairs))


def _with_sample_set(ctx: JobContext, params: SuggestParams) -> SuggestParams:
    """``params`` with a sample set's kept frame ids as ``frame_ids``."""
    if params.sample_set_id is None:
        return params
    with ctx.session_factory() as session:
        record = datasets.get_sample_set(session, params.sample_set_id)
        if record is None or record.dataset_id != params.dataset_id:
            raise InvalidInput(
                f"dataset {params.dataset_id} has no sample set {params.sample_set_id}",
                field="sample_set_id",
            )
        frame_ids = list(record.frame_ids)
    return params.model_copy(update={"sample_set_id": None, "frame_ids": frame_ids})


class _Teacher:
    """Where a chunk's probabilities come from: the preview cache where it holds the frame,
    else the model, loaded once (a chunk the cache serves whole never loads it)."""

    def __init__(self, ctx: JobContext, chunk: SuggestChunk, class_names: list[str]) -> None:
        self.chunk, self.class_names = chunk, class_names
        self.cache = {pair.key: self._cache_path(ctx, pair) for pair in chunk.frames}
        self.model: SegmentationModel | None = None
        if any(path is None or not path.is_file() for path in self.cache.values()):
            # before any frame: a model that cannot be loaded fails the job, not each frame
            device = device_name(chunk.device)
            self.model = cached_model(chunk.model.spec(), class_names, device)
        self.from_cache = 0

    def _cache_path(self, ctx: JobContext, pair: FramePair) -> Path | None:
        if self.chunk.model_key is None:
            return None
        try:
            return preview_cache_path(ctx.settings.cache_dir, self.chunk.model_key, pair.key)
        except InvalidInput:  # a key the cache cannot hold (e.g. spaces): never cached
            return None

    def probabilities(
        self, pair: FramePair, colors: dict[int, int]
    ) -> probabilities.FrameProbabilities:
        path = self.cache[pair.key]
        hit = None if path is None else probabilities.cached(path, self.class_names)
        if hit is not None:
            self.from_cache += 1
            return hit
        if self.model is None:  # the cached file went away since the chunk started
            device = device_name(self.chunk.device)
            self.model = cached_model(self.chunk.model.spec(), self.class_names, device)
        label = read_label(pair.label, colors)
        return probabilities.predicted(
            self.model, read_image(pair.image), label, tta_config(self.chunk.tta)
        )


def _chunk_path(ctx: JobContext, index: int) -> Path:
    return ctx.output_dir / f"cooccurrence-{index}.npz"


def run_chunk(ctx: JobContext, chunk: SuggestChunk) -> None:
    path = _chunk_path(ctx, chunk.index)
    if path.is_file():  # a redelivered chunk that already finished
        ctx.advance(len(chunk.frames))
        return
    pinned = PinnedMapping.from_inline(chunk.mapping)
    table = allowed_table(pinned.mapping, pinned.extra, pinned.source)
    teacher = _Teacher(ctx, chunk, pinned.source_names)
    counted = []
    for pair in chunk.frames:
        try:
            frame = teacher.probabilities(pair, pinned.extra_colors)
            counted.append(
                count_frame(
                    pair.label_rel,
                    frame.probs,
                    frame.label,
                    table,
                    void_threshold=chunk.void_threshold,
                )
            )
        except Exception as exc:  # an unreadable frame is reported; the others go on
            ctx.frame_error(pair.key, f"suggest failed: {exc}")
        ctx.advance()
        if ctx.is_cancelled():
            return
    writer.write_npz(
        path,
        **_arrays(Cooccurrence.of(counted), table),
        from_cache=np.asarray(teacher.from_cache),
        errors=np.asarray(len(chunk.frames) - len(counted)),
    )


def _arrays(co: Cooccurrence, table: AllowedTable) -> dict[str, np.ndarray]:
    """The chunk's counts; an empty chunk (every frame failed) keeps the table's shape."""
    if co.frames:
        return co.to_arrays()
    shape = (0, table.table.shape[0] + 1, table.num_classes)
    empty = Cooccurrence([], *(np.zeros(shape) for _ in range(4)))
    return empty.to_arrays()


def _settings(options: SuggestOptions) -> SuggestSettings:
    return SuggestSettings(**options.model_dump())


def finish(ctx: JobContext, params: SuggestParams) -> JSON:
    """Merge the chunks in order, rank, and write ``suggestions.json``."""
    pinned = resolve_mapping(ctx, params.mapping)
    table = allowed_table(pinned.mapping, pinned.extra, pinned.source)
    parts, from_cache, errors = [], 0, 0
    for path in sorted(
        ctx.output_dir.glob("cooccurrence-*.npz"), key=lambda p: int(p.stem.split("-")[1])
    ):
        with np.load(path) as arrays:
            parts.append(Cooccurrence.from_arrays(arrays))
            from_cache += int(arrays["from_cache"])
            errors += int(arrays["errors"])
    co = Cooccurrence.merge(parts)
    extra_names = {c.id: c.name for c in pinned.extra.classes}
    suggestions = rank(co, table, extra_names, pinned.source_names, _settings(params.options))
    ranked = suggestions.to_json()
    outputs: JSON = {
        **ranked,
        "matrix": heatmap(co, table, extra_names, pinned.source_names),
        "mapping": pinned.description,
        "frames": len(co.frames),
        "errors": errors,
        "from_preview_cache": from_cache,
        "frame_ids": _frame_ids(ctx, params, ranked),
        "suggestions": str(ctx.output_dir / "suggestions.json"),
    }
    writer.write_json(ctx.output_dir / "suggestions.json", outputs)
    return outputs


def _frame_ids(ctx: JobContext, params: SuggestParams, ranked: JSON) -> dict[str, int]:
    """Frames are named by their label's relative path; those a dataset's lists name get
    their frame id too, so a client can link them to the frame view."""
    if params.dataset_id is None:
        return {}
    named = {f for item in ranked["add"] + ranked["remove"] for f in item["frames"]}
    named |= {f for item in ranked["conflicts"]["cells"] for f in item["frames"]}
    named |= {f["frame"] for f in ranked["conflicts"]["frames"]}
    pairs = selected_pairs(ctx, _with_sample_set(ctx, params))[0]
    return {p.label_rel: int(p.key) for p in pairs if p.label_rel in named}


SUGGEST = register(
    JobKind(
        queue="gpu",
        params=SuggestParams,
        chunk=SuggestChunk,
        plan=plan,
        run_chunk=run_chunk,
        finish=finish,
    )
)
