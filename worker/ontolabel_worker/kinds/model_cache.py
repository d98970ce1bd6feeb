"""One loaded model per worker process: consecutive chunks of a job reuse it."""

from __future__ import annotations

from collections.abc import Sequence

from ontolabel_worker.ml.models import ModelSpec, SegmentationModel, check_classes, load_model

_MODEL_CACHE: dict[tuple[str, str, bool, str], SegmentationModel] = {}


def cached_model(
    spec: ModelSpec, class_names: Sequence[str] | None, device: str
) -> SegmentationModel:
    """The model of ``spec`` on ``device``, loaded once; its classes must be ``class_names``."""
    key = (spec.kind, spec.path, spec.allow_pickle, device)
    model = _MODEL_CACHE.get(key)
    if model is None:
        _MODEL_CACHE.clear()  # one model at a time: GPU memory is the limit
        model = load_model(spec, device=device)
        _MODEL_CACHE[key] = model
    if class_names is not None:
        check_classes(model.class_names, class_names, model=spec.path)
    return model
