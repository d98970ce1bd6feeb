"""A finished ``pseudo_label`` job's output, read back frame by frame for the browse screen.

The client names a job and a frame id, never a path: the folder is the one the job wrote
(``outputs.output_dir``, re-checked under the job roots), the entry comes from its
``manifest.json``, and the PNG's place from the frame row (dataset jobs) or the manifest
key (folder jobs), then checked to lie inside that folder (``core.paths``). The pseudo-label
holds source ids; it is drawn in the source taxonomy's colours.
"""

from __future__ import annotations

import io
import json
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from ontolabel.core.config import Settings
from ontolabel.core.paths import resolve_inside, resolve_job_folder
from ontolabel.datasets.tables import Frame
from ontolabel.domain.labels import (
    LabelDecodeError,
    colorize,
    decode_label,
    fit_within,
    open_image,
    palette_lut,
)
from ontolabel.errors import InvalidInput, NotFound
from ontolabel.jobs import service
from ontolabel.jobs.label_folders import MANIFEST
from ontolabel.jobs.tables import Job
from ontolabel.mappings.tables import MappingRecord
from ontolabel.taxonomies.tables import TaxonomyClassRecord

RENDER_MAX_SIDE = 2048
"""The longest side of a drawn pseudo-label, as for a frame's label (``frames.service``)."""


class OutputFrameRead(BaseModel):
    """One frame of a pseudo-label output, as its manifest lists it."""

    key: str = Field(description="The manifest's key: the frame id, or a folder-relative path.")
    frame_id: int | None = Field(description="The dataset frame (None for folder jobs).")
    png: str | None = Field(description="The pseudo-label's path inside the output folder.")
    provenance: str | None = Field(description="Digest of what produced the label.")
    carried_from: str | None = Field(
        default=None, description="The older provenance whose output a rerun kept."
    )
    error: str | None = Field(default=None, description="Why the frame has no label.")


class OutputList(BaseModel):
    """A page of a pseudo-label job's output frames, and what to draw them against."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "job_id": 14,
                    "folder": "/data/outputs/14",
                    "dataset_id": 2,
                    "mapping_id": 3,
                    "revision": 6,
                    "source_taxonomy_id": 1,
                    "provenance": "3f2a9c",
                    "items": [
                        {
                            "key": "1207",
                            "frame_id": 1207,
                            "png": "s01/cam1/000020.png",
                            "provenance": "3f2a9c",
                        }
                    ],
                    "total": 140000,
                }
            ]
        }
    )

    job_id: int
    folder: str
    dataset_id: int | None
    mapping_id: int | None
    revision: int | None = Field(description="The mapping revision the job labelled with.")
    source_taxonomy_id: int | None = Field(description="Whose colours the labels are drawn in.")
    provenance: str | None = Field(description="The job's own provenance digest.")
    items: list[OutputFrameRead]
    total: int


def _output_folder(session: Session, settings: Settings, job_id: int) -> tuple[Job, Path]:
    job = service.get_job(session, job_id)
    if job.kind != "pseudo_label":
        raise NotFound(f"job {job_id} is a {job.kind} job: only pseudo_label jobs write labels")
    folder = job.outputs.get("output_dir")
    if job.status != "succeeded" or not isinstance(folder, str):
        raise NotFound(f"job {job_id} is {job.status}: its output is browsable once it succeeded")
    return job, resolve_job_folder(folder, settings.job_roots, field="output_dir")


@lru_cache(maxsize=4)
def _parsed_manifest(path: str, mtime_ns: int, size: int) -> dict[str, Any]:
    """The manifest, parsed once per version (a 140k-frame one is tens of megabytes)."""
    del mtime_ns, size  # they key the cache
    data = json.loads(Path(path).read_text())
    return data if isinstance(data, dict) else {}


def _manifest(out: Path, job_id: int) -> dict[str, Any]:
    path = out / MANIFEST
    try:
        stat = path.stat()
        manifest = _parsed_manifest(str(path), stat.st_mtime_ns, stat.st_size)
    except (OSError, ValueError) as exc:
        raise NotFound(f"job {job_id}'s folder has no readable {MANIFEST}") from exc
    if not isinstance(manifest.get("frames"), dict):
        raise NotFound(f"job {job_id}'s {MANIFEST} lists no frames")
    return manifest


def _entries(manifest: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Frames then errors, each by key: frame ids in number order, other keys after."""
    found: dict[str, dict[str, Any]] = {
        str(k): (r if isinstance(r, dict) else {}) for k, r in manifest["frames"].items()
    }
    errors = manifest.get("errors")
    for key, message in (errors if isinstance(errors, dict) else {}).items():
        found[str(key)] = {"error": str(message)}
    return sorted(found.items(), key=lambda entry: _order(entry[0]))


def _order(key: str) -> tuple[bool, int, str]:
    return (not key.isdigit(), int(key) if key.isdigit() else 0, key)


def _mapping_of(job: Job) -> tuple[int | None, int | None]:
    mapping = job.params.get("mapping")
    if not isinstance(mapping, dict):
        return None, None
    mapping_id, revision = mapping.get("mapping_id"), mapping.get("revision")
    return (
        mapping_id if isinstance(mapping_id, int) else None,
        revision if isinstance(revision, int) else None,
    )


def _dataset_of(job: Job) -> int | None:
    dataset_id = job.params.get("dataset_id")
    return dataset_id if isinstance(dataset_id, int) else None


def _png_paths(session: Session, job: Job, keys: list[str]) -> dict[str, str]:
    """Where each key's pseudo-label lies in the folder, as the worker names it: the
    label's path with ``.png`` (dataset frames by their row, folder keys by themselves)."""
    dataset_id = _dataset_of(job)
    if dataset_id is None:
        return {k: f"{k}.png" for k in keys}
    ids = [int(k) for k in keys if k.isdigit() and int(k) < 2**63]
    rows = session.execute(
        select(Frame.id, Frame.label_path).where(Frame.dataset_id == dataset_id, Frame.id.in_(ids))
    )
    return {
        str(i): PurePosixPath(label).with_suffix(".png").as_posix() for i, label in rows if label
    }


def list_outputs(
    session: Session, settings: Settings, job_id: int, offset: int, limit: int
) -> OutputList:
    """A page of the output's frames in manifest order (frame ids ascending)."""
    job, out = _output_folder(session, settings, job_id)
    manifest = _manifest(out, job_id)
    entries = _entries(manifest)
    page = entries[offset : offset + limit]
    pngs = _png_paths(session, job, [k for k, _ in page])
    dataset_id = _dataset_of(job)
    mapping_id, revision = _mapping_of(job)
    source = None
    if mapping_id is not None:
        record = session.get(MappingRecord, mapping_id)
        source = record.source_taxonomy_id if record is not None else None
    items = [
        OutputFrameRead(
            key=key,
            frame_id=int(key) if dataset_id is not None and key.isdigit() else None,
            png=None if "error" in report else pngs.get(key),
            provenance=_text(report.get("provenance")),
            carried_from=_text(report.get("carried_from")),
            error=_text(report.get("error")),
        )
        for key, report in page
    ]
    return OutputList(
        job_id=job.id,
        folder=str(out),
        dataset_id=dataset_id,
        mapping_id=mapping_id,
        revision=revision,
        source_taxonomy_id=source,
        provenance=_text(manifest.get("provenance")),
        items=items,
        total=len(entries),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def output_png(session: Session, settings: Settings, job_id: int, frame_id: int) -> bytes:
    """Frame ``frame_id``'s pseudo-label in the source taxonomy's colours (PNG)."""
    job, out = _output_folder(session, settings, job_id)
    manifest = _manifest(out, job_id)
    key = str(frame_id)
    if _dataset_of(job) is None or key not in manifest["frames"]:
        raise NotFound(f"job {job_id} labelled no frame {frame_id}", frame=frame_id)
    rel = _png_paths(session, job, [key]).get(key)
    if rel is None:
        raise NotFound(f"frame {frame_id} is no longer in the job's dataset", frame=frame_id)
    path = resolve_inside(out, rel, field="png")
    if not path.is_file():
        raise NotFound(f"job {job_id}'s label of frame {frame_id} ({rel}) is gone", frame=frame_id)
    mapping_id, _ = _mapping_of(job)
    record = session.get(MappingRecord, mapping_id) if mapping_id is not None else None
    colors = (
        {
            c.class_id: c.color
            for c in session.scalars(
                select(TaxonomyClassRecord).where(
                    TaxonomyClassRecord.taxonomy_id == record.source_taxonomy_id
                )
            )
        }
        if record is not None
        else {}
    )
    try:
        with open_image(path) as label:
            ids = decode_label(fit_within(label, RENDER_MAX_SIDE, Image.Resampling.NEAREST), "id")
    except LabelDecodeError as exc:
        raise InvalidInput(f"job {job_id}'s label of frame {frame_id}: {exc}") from exc
    buffer = io.BytesIO()
    Image.fromarray(colorize(ids, palette_lut(colors))).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
