"""A ``pseudo_label`` output folder as the worker leaves it, read without torch.

The worker writes, besides the PNGs: ``.ontolabel/frames/<rel>.json`` (each frame's report,
naming its ``provenance``), ``.ontolabel/provenance/<digest>.json`` (what a digest stands
for), ``.ontolabel/provenance/<digest>.rows.json`` (the mapping as the constraint reads it,
``domain.staleness.ConstraintRows``) and ``manifest.json``. The API's stale count and the
worker's plan both read the folder through here, so they agree on which older frames a
rerun may keep.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ontolabel.domain.staleness import ConstraintRows, changed_labels

JSON = dict[str, Any]

STATE_DIR = ".ontolabel"
"""Per-frame reports and provenance descriptions, under the output folder."""
PROVENANCE_DIR = Path(STATE_DIR) / "provenance"
MANIFEST = "manifest.json"
ROWS_SUFFIX = ".rows.json"


def description_path(out: Path, digest: str) -> Path:
    return out / PROVENANCE_DIR / f"{digest}.json"


def rows_path(out: Path, digest: str) -> Path:
    return out / PROVENANCE_DIR / f"{digest}{ROWS_SUFFIX}"


def read_json(path: Path) -> JSON:
    """A JSON object; {} when missing or unreadable (a folder may be half-written)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_rows(out: Path, digest: str) -> ConstraintRows | None:
    """The constraint rows a provenance used; None for folders made before they were kept."""
    data = read_json(rows_path(out, digest))
    try:
        return ConstraintRows.from_json(data) if data else None
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def provenances_in(out: Path) -> list[str]:
    """Digests described in the folder, sorted."""
    folder = out / PROVENANCE_DIR
    if not folder.is_dir():
        return []
    return sorted(
        p.name.removesuffix(".json")
        for p in folder.glob("*.json")
        if not p.name.endswith(ROWS_SUFFIX)
    )


def settings_of(description: JSON) -> JSON:
    """A provenance's description less its mapping: model, TTA, constraint options,
    priors and outputs, which must all match for an older frame to be kept."""
    return {k: v for k, v in description.items() if k != "mapping"}


def keepable(
    out: Path, description: JSON, rows: ConstraintRows, *, exclude: str | None = None
) -> dict[str, frozenset[int]]:
    """Older provenances of the folder whose frames a run with ``description`` and
    ``rows`` may keep: digest → the extra ids whose allowed set changed (a frame holding
    none of them keeps its outputs). Others (other settings, rows not kept, other columns
    or colours) are left out: their frames are relabelled."""
    found: dict[str, frozenset[int]] = {}
    for digest in provenances_in(out):
        if digest == exclude:
            continue
        older = read_json(description_path(out, digest))
        if not older or settings_of(older) != settings_of(description):
            continue
        old_rows = read_rows(out, digest)
        changed = None if old_rows is None else changed_labels(old_rows, rows)
        if changed is not None:
            found[digest] = changed
    return found


def manifest_frames(out: Path) -> tuple[str | None, dict[str, str | None]] | None:
    """(the manifest's current provenance, frame key → provenance, None for a frame whose
    report is an error), or None when the folder has no readable manifest."""
    manifest = read_json(out / MANIFEST)
    if not manifest or not isinstance(manifest.get("frames"), dict):
        return None
    frames: dict[str, str | None] = {
        str(key): (str(r["provenance"]) if isinstance(r, dict) and "provenance" in r else None)
        for key, r in manifest["frames"].items()
    }
    for key in manifest.get("errors") or {}:
        frames[str(key)] = None
    current = manifest.get("provenance")
    return (str(current) if current else None), frames
