"""Path safety: every client-supplied root or relative path is resolved here, once.

A client never names a file by an arbitrary path. A dataset root must lie under one of
``settings.allowed_data_roots``; a path inside a dataset is relative to its root. Both
are refused (``Forbidden``) when they try to leave: ``..`` components, absolute paths,
URL-encoded or double-encoded variants, backslashes, NUL bytes, a sibling that merely
shares a prefix (``/data/ds2`` is not under ``/data/ds``) and symlinks that point out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import unquote

from ontolabel.errors import Forbidden, InvalidInput

_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")


def _check_text(value: str, *, field: str) -> None:
    """Refuse spellings that different layers could decode differently."""
    if "\x00" in value:
        raise Forbidden(f"{field} contains a NUL byte", field=field)
    if "\\" in value:
        raise Forbidden(f"{field} contains a backslash; use '/' as separator", field=field)
    if _ENCODED.search(value):
        decoded = unquote(unquote(value))
        raise Forbidden(
            f"{field} {value!r} is URL-encoded (decodes to {decoded!r}); send the plain path",
            field=field,
        )


def _inside(path: Path, base: Path) -> bool:
    return path == base or path.is_relative_to(base)


def resolve_inside(base: Path, relative: str, *, field: str = "path") -> Path:
    """``base / relative``, symlinks followed; ``Forbidden`` unless it stays in ``base``."""
    _check_text(relative, field=field)
    pure = PurePosixPath(relative)
    if pure.is_absolute() or relative.startswith("~"):
        raise Forbidden(f"{field} {relative!r} must be relative to the dataset root", field=field)
    if ".." in pure.parts:
        raise Forbidden(f"{field} {relative!r} may not contain '..'", field=field)
    real_base = base.resolve()
    target = (real_base / pure).resolve()
    if not _inside(target, real_base):
        raise Forbidden(
            f"{field} {relative!r} leads outside the dataset root (a symlink pointing out?)",
            field=field,
        )
    return target


def _absolute_under(path: str, roots: Sequence[Path], *, field: str, where: str) -> Path:
    """``path`` resolved, if absolute, free of ``..`` and, symlinks followed, under a root."""
    _check_text(path, field=field)
    pure = PurePosixPath(path)
    if not pure.is_absolute():
        raise Forbidden(f"{field} {path!r} must be an absolute path", field=field)
    if ".." in pure.parts:
        raise Forbidden(f"{field} {path!r} may not contain '..'", field=field)
    target = Path(path).resolve()
    allowed = [r.expanduser().resolve() for r in roots]
    if not any(_inside(target, r) for r in allowed):
        names = ", ".join(str(r) for r in allowed) or "(none configured)"
        raise Forbidden(
            f"{field} {path!r} is not under {where} ({names}); "
            "add its parent to ONTOLABEL_DATA_ROOTS",
            field=field,
        )
    return target


def resolve_data_root(
    root: str | Path, allowed_roots: Sequence[Path], *, field: str = "root"
) -> Path:
    """A dataset root: absolute, existing, and inside one of ``allowed_roots`` once resolved."""
    target = _absolute_under(str(root), allowed_roots, field=field, where="an allowed data root")
    if not target.is_dir():
        raise Forbidden(f"{field} {str(root)!r} is not an existing directory", field=field)
    return target


def is_inside(path: Path, base: Path) -> bool:
    """True when ``path`` (symlinks followed) lies under ``base``; for tree walks."""
    return _inside(path.resolve(), base.resolve())


def resolve_job_folder(
    path: str,
    roots: Sequence[Path],
    *,
    field: str,
    create: bool = False,
    kind: Literal["folder", "file", "path"] = "folder",
) -> Path:
    """A path a job reads or writes: absolute and, symlinks followed, under one of ``roots``.

    ``kind`` says what must exist there (``path``: either); ``create`` makes a missing
    folder (an output folder), once it is known to lie under a root.
    """
    target = _absolute_under(
        path, roots, field=field, where="the output root or an allowed data root"
    )
    if create:
        target.mkdir(parents=True, exist_ok=True)
    exists = {"folder": target.is_dir, "file": target.is_file, "path": target.exists}[kind]
    if not exists():
        what = "an existing folder" if kind == "folder" else f"an existing {kind}"
        raise InvalidInput(f"{field} {path!r} is not {what}", field=field)
    return target
