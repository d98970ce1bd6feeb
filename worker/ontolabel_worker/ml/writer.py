"""Atomic output files: write a temp file in the same folder, then ``os.replace``.

A reader (or a redelivered chunk) sees either no file or a complete one, so a chunk can
skip frames whose output exists and decodes at the expected size.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image


def _atomic_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def write_png(path: Path, array: np.ndarray) -> None:
    """A uint8 [H,W] (ids) or [H,W,3] (colour) PNG, atomically."""
    _atomic_bytes(path, png_bytes(np.ascontiguousarray(array)))


def write_npz(path: Path, **arrays: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    _atomic_bytes(path, buffer.getvalue())


def write_json(path: Path, data: Any) -> None:
    _atomic_bytes(path, json.dumps(data, indent=1, sort_keys=True).encode())


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object written by ``write_json``; {} when missing or unreadable."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def png_complete(path: Path, size: tuple[int, int] | None = None) -> bool:
    """True if ``path`` is a PNG that decodes fully (at ``(height, width)`` if given)."""
    try:
        with Image.open(path) as img:
            img.load()
            return size is None or (img.height, img.width) == tuple(size)
    except (OSError, ValueError, SyntaxError):
        return False


def png_size(path: Path) -> tuple[int, int] | None:
    """(height, width) of an image without decoding it; None if unreadable."""
    try:
        with Image.open(path) as img:
            return img.height, img.width
    except (OSError, ValueError, SyntaxError):
        return None


class WriterPool:
    """Encodes and writes files on a thread pool so the device never waits on zlib."""

    def __init__(self, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="png-writer")
        self._pending: list[tuple[str, Future[None]]] = []

    def submit(self, key: str, fn: Callable[[], None]) -> None:
        self._pending.append((key, self._pool.submit(fn)))
        if len(self._pending) > 64:
            self._pending = [(k, f) for k, f in self._pending if not f.done() or f.exception()]

    def drain(self) -> list[tuple[str, str]]:
        """Wait for every write; (key, error) for each that failed."""
        errors = []
        for key, future in self._pending:
            exc = future.exception()
            if exc is not None:
                errors.append((key, f"writing outputs failed: {exc}"))
        self._pending = []
        return errors

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def __enter__(self) -> WriterPool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
