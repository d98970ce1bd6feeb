"""Pseudo-labelling a list of frames: load → TTA → constrain → write, on one device.

The job kind and the benches call this; it owns the device loop and nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from ontolabel.jobs.label_folders import STATE_DIR

from ontolabel_worker.ml import writer
from ontolabel_worker.ml.constrain import (
    ConstraintOptions,
    DeviceTable,
    constrain,
    frame_stats,
    soft_top_k,
    unconstrained,
)
from ontolabel_worker.ml.data import FramePair, LoadedFrame, batch_by_size, load_frames
from ontolabel_worker.ml.models import SegmentationModel
from ontolabel_worker.ml.tta import TTAConfig, predict

PREDICTION_DIR = "_prediction"
SOFT_DIR = "_soft"


@dataclass(frozen=True)
class LabelOptions:
    """What to write besides the pseudo-label, and how to run."""

    constraint: ConstraintOptions = field(default_factory=ConstraintOptions)
    priors: bool = True
    """Constrain by the mapping; False writes the teacher's own argmax (Naive Student)."""
    save_prediction: bool = False
    """Also write the teacher's argmax without priors under ``_prediction/``."""
    soft_top_k: int = 0
    """Also write the top-k constrained probabilities (uint8) as ``_soft/<rel>.npz``."""
    batch_size: int = 2
    num_workers: int = 2
    writer_threads: int = 4


@dataclass
class FrameReport:
    key: str
    stats: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def output_paths(out_dir: Path, pair: FramePair, options: LabelOptions) -> dict[str, Path]:
    rel = Path(pair.label_rel)
    paths = {
        "label": out_dir / rel.with_suffix(".png"),
        "report": out_dir / STATE_DIR / "frames" / rel.with_suffix(".json"),
    }
    if options.save_prediction:
        paths["prediction"] = out_dir / PREDICTION_DIR / rel.with_suffix(".png")
    if options.soft_top_k:
        paths["soft"] = out_dir / SOFT_DIR / rel.with_suffix(".npz")
    return paths


def is_done(out_dir: Path, pair: FramePair, options: LabelOptions, provenance: str = "") -> bool:
    """Every output of the frame exists, is complete (PNGs decode at label size) and was
    made by what ``provenance`` names (its report says so): a rerun with another mapping,
    model or settings relabels the frame instead of keeping a label the manifest would
    misdescribe."""
    paths = output_paths(out_dir, pair, options)
    size = writer.png_size(Path(pair.label))
    if size is None or writer.read_json(paths["report"]).get("provenance") != provenance:
        return False
    pngs = [paths["label"], *([paths["prediction"]] if "prediction" in paths else [])]
    return all(writer.png_complete(p, size) for p in pngs) and (
        "soft" not in paths or paths["soft"].is_file()
    )


def label_frames(
    model: SegmentationModel,
    pairs: Sequence[FramePair],
    table: DeviceTable,
    tta: TTAConfig,
    options: LabelOptions,
    out_dir: Path,
    *,
    on_done: Callable[[int], None] = lambda n: None,
    is_cancelled: Callable[[], bool] = lambda: False,
    label_colors: Mapping[int, int] | None = None,
    provenance: str = "",
) -> list[FrameReport]:
    """Label ``pairs`` not already done by ``provenance``; report every frame handled
    (errors included), each report naming ``provenance``.

    ``label_colors`` decodes colour label PNGs (``ontolabel.domain.labels.color_table``).
    """
    todo = [p for p in pairs if not is_done(out_dir, p, options, provenance)]
    skipped = len(pairs) - len(todo)
    if skipped:
        on_done(skipped)
    reports: list[FrameReport] = []
    frames = load_frames(
        todo,
        num_workers=options.num_workers,
        pin_memory=False,  # frames are pinned per batch, after stacking
        colors=label_colors,
    )
    batches = _uploaded(batch_by_size(frames, options.batch_size), model.device)
    with writer.WriterPool(options.writer_threads) as pool:
        for batch, failed in batches:
            for frame in failed:
                reports.append(FrameReport(frame.pair.key, error=frame.error))
                _write_report(pool, out_dir, frame.pair, options, {"error": frame.error})
            if batch.frames:
                reports.extend(
                    _label_batch(model, batch, table, tta, options, out_dir, pool, provenance)
                )
            for key, error in pool.drain():
                reports.append(FrameReport(key, error=error))
            on_done(len(batch.frames) + len(failed))
            if is_cancelled():
                break
    return reports


@dataclass
class DeviceBatch:
    """Same-size frames and their image/label tensors, already on (or bound for) the device."""

    frames: list[LoadedFrame]
    images: torch.Tensor
    labels: torch.Tensor


def _to_device(frames: list[LoadedFrame], device: torch.device) -> DeviceBatch:
    if not frames:
        empty = torch.empty(0)
        return DeviceBatch(frames, empty, empty)
    images = torch.stack([f.image for f in frames])
    labels = torch.stack([f.label for f in frames])
    if device.type == "cuda":  # pinned host memory lets the copies run asynchronously
        images, labels = images.pin_memory(), labels.pin_memory()
    return DeviceBatch(
        frames, images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
    )


def _uploaded(
    batches: Iterable[tuple[list[LoadedFrame], list[LoadedFrame]]], device: torch.device
) -> Iterator[tuple[DeviceBatch, list[LoadedFrame]]]:
    """Batches on the device, the next one uploading on a side CUDA stream meanwhile."""
    if device.type != "cuda":
        for frames, failed in batches:
            yield _to_device(frames, device), failed
        return
    copy_stream = torch.cuda.Stream(device)
    pending: tuple[DeviceBatch, list[LoadedFrame]] | None = None
    for frames, failed in batches:
        with torch.cuda.stream(copy_stream):
            upcoming = (_to_device(frames, device), failed)
        if pending is not None:
            yield pending
        torch.cuda.current_stream(device).wait_stream(copy_stream)
        for tensor in (upcoming[0].images, upcoming[0].labels):
            tensor.record_stream(torch.cuda.current_stream(device))
        pending = upcoming
    if pending is not None:
        yield pending


def _label_batch(
    model: SegmentationModel,
    device_batch: DeviceBatch,
    table: DeviceTable,
    tta: TTAConfig,
    options: LabelOptions,
    out_dir: Path,
    pool: writer.WriterPool,
    provenance: str,
) -> list[FrameReport]:
    started = time.perf_counter()
    batch, images, labels = device_batch.frames, device_batch.images, device_batch.labels
    size = (int(labels.shape[-2]), int(labels.shape[-1]))
    try:
        prediction = predict(model, images, size, tta)
    except Exception as exc:  # one bad batch must not lose the chunk's other frames
        error = f"inference failed: {exc}"
        for f in batch:
            _write_report(pool, out_dir, f.pair, options, {"error": error})
        return [FrameReport(f.pair.key, error=error) for f in batch]
    seconds = (time.perf_counter() - started) / len(batch)
    reports = []
    for i, frame in enumerate(batch):
        plain = unconstrained(prediction.probs[i], table)
        if options.priors:
            pseudo = constrain(prediction.probs[i], labels[i], table, options.constraint)
        else:
            pseudo = plain
        stats: dict[str, Any] = {
            "provenance": provenance,
            **frame_stats(pseudo, plain),
            "seconds": round(seconds, 4),
            "precision": tta.precision_on(images.device),
        }
        if prediction.notes[i]:
            stats["notes"] = prediction.notes[i]
        arrays: dict[str, np.ndarray] = {"label": pseudo.cpu().numpy()}
        if options.save_prediction:
            arrays["prediction"] = plain.cpu().numpy()
        if options.soft_top_k:
            ids, probs = soft_top_k(prediction.probs[i], labels[i], table, options.soft_top_k)
            arrays["soft_ids"], arrays["soft_probs"] = ids.cpu().numpy(), probs.cpu().numpy()
        pool.submit(frame.pair.key, _writer_for(out_dir, frame.pair, options, arrays, stats))
        reports.append(FrameReport(frame.pair.key, stats=stats))
    return reports


def _writer_for(
    out_dir: Path,
    pair: FramePair,
    options: LabelOptions,
    arrays: dict[str, np.ndarray],
    stats: dict[str, Any],
) -> Callable[[], None]:
    paths = output_paths(out_dir, pair, options)

    def write() -> None:
        # The report first, the pseudo-label last: a label on disk implies the rest is.
        writer.write_json(paths["report"], {"key": pair.key, **stats})
        if "prediction" in arrays:
            writer.write_png(paths["prediction"], arrays["prediction"])
        if "soft_ids" in arrays:
            writer.write_npz(paths["soft"], ids=arrays["soft_ids"], probs=arrays["soft_probs"])
        writer.write_png(paths["label"], arrays["label"])

    return write


def _write_report(
    pool: writer.WriterPool,
    out_dir: Path,
    pair: FramePair,
    options: LabelOptions,
    data: dict[str, Any],
) -> None:
    path = output_paths(out_dir, pair, options)["report"]
    pool.submit(pair.key, lambda: writer.write_json(path, {"key": pair.key, **data}))
