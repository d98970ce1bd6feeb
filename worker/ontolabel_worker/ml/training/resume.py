"""Folders written whole or not at all: the resume checkpoint and the best model.

A folder is written beside its final name and swapped in with two renames; a crash
between them leaves the previous copy under ``.<name>.old``, which ``recover`` puts back.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

STATE_FILE = "state.pt"


def _side(final: Path, tag: str) -> Path:
    return final.with_name(f".{final.name}.{tag}")


def recover(final: Path) -> None:
    """Undo a swap that was interrupted: the old copy back, a half-written one dropped."""
    old, tmp = _side(final, "old"), _side(final, "tmp")
    if not final.exists() and old.exists():
        old.rename(final)
    for leftover in (old, tmp):
        if leftover.exists():
            shutil.rmtree(leftover)


def write_atomically(final: Path, write: Callable[[Path], None]) -> None:
    """``write(folder)`` into a fresh folder, then swap it in for ``final``."""
    tmp, old = _side(final, "tmp"), _side(final, "old")
    recover(final)
    tmp.mkdir(parents=True)
    write(tmp)
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    if old.exists():
        shutil.rmtree(old)


def save_state(folder: Path, state: dict[str, Any]) -> None:
    write_atomically(folder, lambda tmp: torch.save(state, tmp / STATE_FILE))


def load_state(folder: Path) -> dict[str, Any] | None:
    """The saved state, or None when there is none. Only tensors and plain values are
    read back (``weights_only``): a checkpoint folder cannot run code."""
    recover(folder)
    path = folder / STATE_FILE
    if not path.is_file():
        return None
    state: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
    return state
