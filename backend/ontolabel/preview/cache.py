"""The preview cache: one ``.npz`` per (model, frame), written by the worker's preview job.

Layout: ``<cache_dir>/previews/<model key>/<frame key>.npz`` with ``probs`` (uint8 = p x 255,
or float16) ``[C,h,w]`` downscaled to a longest side of ~512, ``class_names``, the original
``size`` and, when the frame has one, its extra ``label`` at the same size (nearest).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

import numpy as np
import numpy.typing as npt

from ontolabel.errors import InvalidInput, NotFound

_KEY = re.compile(r"^[A-Za-z0-9_.\-/]+$")


def preview_cache_path(cache_dir: Path, model_key: str, frame_key: str) -> Path:
    """Where a frame's cached probabilities live; keys may not climb out of the cache."""
    for name, key in (("model_key", model_key), ("frame_key", frame_key)):
        if not _KEY.match(key) or ".." in key.split("/") or key.startswith("/"):
            raise InvalidInput(f"{name} {key!r} may only hold letters, digits, _ . - /", field=name)
    return cache_dir / "previews" / model_key / f"{frame_key}.npz"


@dataclass(frozen=True)
class CachedFrame:
    probs: npt.NDArray[np.float32]  # [C,h,w]
    label: npt.NDArray[np.int64] | None  # [h,w]
    class_names: list[str]


_LOADED: OrderedDict[tuple[str, float], CachedFrame] = OrderedDict()
_LOCK = Lock()
_KEEP = 32


def load_cached(path: Path) -> CachedFrame:
    """Decode (and keep the last few decoded) cached probabilities; edits re-render fast."""
    try:
        stamp = path.stat().st_mtime
    except FileNotFoundError:
        raise NotFound(
            f"no cached teacher probabilities at {path.name}; run a preview job for this "
            "model and frame first",
            field="frame_key",
        ) from None
    key = (str(path), stamp)
    with _LOCK:
        if key in _LOADED:
            _LOADED.move_to_end(key)
            return _LOADED[key]
    with np.load(path, allow_pickle=False) as data:  # arrays only: no code from a cache file
        raw = data["probs"]
        probs = (
            raw.astype(np.float32) / np.float32(255)
            if raw.dtype == np.uint8
            else raw.astype(np.float32)
        )
        label = data["label"].astype(np.int64) if "label" in data else None
        names = [str(n) for n in data["class_names"]]
    frame = CachedFrame(probs=probs, label=label, class_names=names)
    with _LOCK:
        _LOADED[key] = frame
        while len(_LOADED) > _KEEP:
            _LOADED.popitem(last=False)
    return frame
