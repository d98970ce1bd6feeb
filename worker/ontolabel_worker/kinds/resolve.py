"""A job's references resolved into what its chunks carry: no chunk reads rows later.

``plan`` turns a mapping reference into its YAML documents (``PinnedMapping``), a model
reference into a ``ResolvedModel`` (kind, path, fingerprint), a frame selection into
``FramePair``s, and copies them into every chunk, so the manifest can name exactly which
revision, model and settings produced the labels. SQL stays in the repositories.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import ontolabel
from ontolabel.core.paths import resolve_job_folder
from ontolabel.datasets import repository as datasets
from ontolabel.domain.formats.native import dump_mapping, dump_taxonomy, load_mapping, load_taxonomy
from ontolabel.domain.labels import color_table
from ontolabel.domain.mapping import Mapping
from ontolabel.domain.taxonomy import VOID_ID, Taxonomy
from ontolabel.errors import InvalidInput, NotFound
from ontolabel.jobs.kinds import JobContext
from ontolabel.jobs.params import FrameSelection, InlineMapping, MappingRef, ModelRef, TTASettings
from ontolabel.mappings.service import load_domain_mapping
from ontolabel.models import repository as models
from ontolabel.taxonomies.repository import load_domain_taxonomy
from pydantic import BaseModel, ConfigDict

from ontolabel_worker.ml.data import FramePair, pair_frames
from ontolabel_worker.ml.models import ModelKind, ModelSpec
from ontolabel_worker.ml.tta import TTAConfig

JSON = dict[str, Any]


class Resolved(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- mappings ------------------------------------------------------------------------


@dataclass(frozen=True)
class PinnedMapping:
    """A mapping and its two taxonomies, parsed, plus where they came from."""

    mapping: Mapping
    extra: Taxonomy
    source: Taxonomy
    description: JSON

    @property
    def source_names(self) -> list[str]:
        return [c.name for c in self.source.classes if c.id != VOID_ID]

    @property
    def extra_colors(self) -> dict[int, int]:
        """Packed colour → id of the extra taxonomy (colour label PNGs)."""
        return color_table({c.id: c.color for c in self.extra.classes})

    def to_inline(self) -> InlineMapping:
        return InlineMapping(
            mapping=dump_mapping(self.mapping),
            extra=dump_taxonomy(self.extra),
            source=dump_taxonomy(self.source),
            description=self.description,
        )

    @classmethod
    def from_inline(cls, inline: InlineMapping) -> PinnedMapping:
        return cls(
            mapping=load_mapping(inline.mapping, source="pinned mapping"),
            extra=load_taxonomy(inline.extra, source="pinned extra taxonomy"),
            source=load_taxonomy(inline.source, source="pinned source taxonomy"),
            description=dict(inline.description),
        )


def content_digest(inline: InlineMapping) -> str:
    """sha256 of what decides the constraint: the mapping and both taxonomies' documents."""
    digest = hashlib.sha256()
    for text in (inline.mapping, inline.extra, inline.source):
        digest.update(hashlib.sha256(text.encode()).digest())
    return digest.hexdigest()


def resolve_mapping(ctx: JobContext, ref: MappingRef) -> PinnedMapping:
    """A stored revision (pinned to a number when the job was created) or inline documents."""
    if ref.inline is not None:
        return PinnedMapping.from_inline(ref.inline)
    assert ref.mapping_id is not None
    with ctx.session_factory() as session:
        record, mapping, number = load_domain_mapping(session, ref.mapping_id, ref.revision)
        extra = load_domain_taxonomy(session, record.extra_taxonomy_id)
        source = load_domain_taxonomy(session, record.source_taxonomy_id)
    if extra is None or source is None:
        raise NotFound(
            f"mapping {record.name} names a taxonomy that no longer exists", field="mapping"
        )
    description = {
        "mapping_id": record.id,
        "mapping": record.name,
        "revision": number,
        "extra_taxonomy": extra.name,
        "source_taxonomy": source.name,
    }
    return PinnedMapping(mapping, extra, source, description)


# --- models --------------------------------------------------------------------------


class ResolvedModel(Resolved):
    """Where a chunk loads its model from, how far to trust it, and what it is."""

    kind: ModelKind
    path: str
    allow_pickle: bool = False
    description: JSON

    def spec(self) -> ModelSpec:
        return ModelSpec(self.kind, self.path, self.allow_pickle)

    @property
    def cache_key(self) -> str:
        """A folder name for this model's cached previews."""
        if "id" in self.description:
            return f"model-{self.description['id']}"
        return "path-" + "".join(c if c.isalnum() else "_" for c in self.path)[-80:]


def fingerprint(path: str) -> str:
    """Size and modification time of the model's files (a folder's top-level files).

    Cheap on multi-GB weights, and it changes whenever a file is rewritten: a rerun into
    the same folder relabels when the teacher changed under the same path.
    """
    root = Path(path)
    files = sorted(p for p in root.iterdir() if p.is_file()) if root.is_dir() else [root]
    stats = [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files if p.exists()]
    return hashlib.sha256(json.dumps(stats).encode()).hexdigest()[:16]


def resolve_model(ctx: JobContext, ref: ModelRef) -> ResolvedModel:
    """A registered model by id, or (CLI jobs only) a local folder/file, under this
    worker's roots once symlinks are followed (a registered path may have become a link out).

    Pickles are never turned on by a job's parameters: only the registered model's
    ``allow_pickle`` (set by an admin) or this process's ``trusted_pickles`` can.
    """
    trusted = False
    if ref.id is not None:
        with ctx.session_factory() as session:
            record = models.get_model(session, ref.id)
            if record is None:
                raise NotFound(f"model {ref.id} does not exist", field="model.id")
            kind, path, name, trusted = record.kind, record.path, record.name, record.allow_pickle
        if kind != "hub":
            path = str(_model_path(ctx, path))
        description: JSON = {"id": ref.id, "name": name, "kind": kind, "path": path}
        spec = ModelSpec(kind, path)  # type: ignore[arg-type]
    else:
        assert ref.path is not None
        local = _model_path(ctx, ref.path)
        spec = ModelSpec(ref.kind, str(local)) if ref.kind else ModelSpec.guess(str(local))
        description = {"kind": spec.kind, "path": spec.path}
    if spec.kind != "hub":
        description["fingerprint"] = fingerprint(spec.path)
    return ResolvedModel(
        kind=spec.kind,
        path=spec.path,
        allow_pickle=spec.kind == "checkpoint"
        and (trusted or ctx.settings.trusts_pickle(spec.path)),
        description=description,
    )


def _model_path(ctx: JobContext, path: str) -> Path:
    return resolve_job_folder(path, ctx.settings.job_roots, field="model.path", kind="path")


# --- frames --------------------------------------------------------------------------


def folder(ctx: JobContext, path: str, field: str) -> Path:
    """A folder a job reads, checked against this worker's own roots."""
    return resolve_job_folder(path, ctx.settings.job_roots, field=field)


def dataset_pairs(
    ctx: JobContext,
    dataset_id: int,
    frame_ids: Sequence[int] | None,
    *,
    splits: Sequence[str] | None = None,
) -> list[FramePair]:
    """Indexed frames of a dataset (optionally only ``frame_ids``, or those of ``splits``)
    that have both files.

    Keys are frame ids, so previews land where ``/api/frames/{id}/preview`` looks.
    """
    with ctx.session_factory() as session:
        dataset = datasets.get_dataset(session, dataset_id)
        if dataset is None:
            raise InvalidInput(f"dataset {dataset_id} does not exist", field="dataset_id")
        root = Path(dataset.root)
        frames = datasets.labelled_frames(session, dataset_id, frame_ids, splits=splits)
        return [
            FramePair(
                key=str(f.id),
                image=str(root / str(f.image_path)),
                label=str(root / str(f.label_path)),
                label_rel=str(f.label_path),
            )
            for f in frames
        ]


def selected_pairs(ctx: JobContext, selection: FrameSelection) -> tuple[list[FramePair], list[str]]:
    """Frames of the dataset, or pairs of the two folders (with the keys left unpaired)."""
    if selection.dataset_id is not None:
        return dataset_pairs(ctx, selection.dataset_id, selection.frame_ids), []
    assert selection.images_dir is not None and selection.labels_dir is not None
    return pair_frames(
        folder(ctx, selection.images_dir, "images_dir"),
        folder(ctx, selection.labels_dir, "labels_dir"),
    )


def taxonomy_colors(
    ctx: JobContext, taxonomy_id: int | None, dataset_id: int | None
) -> dict[int, int]:
    """Packed colour → id of the labels' taxonomy (given, or the dataset's)."""
    with ctx.session_factory() as session:
        if taxonomy_id is None and dataset_id is not None:
            dataset = datasets.get_dataset(session, dataset_id)
            taxonomy_id = dataset.taxonomy_id if dataset is not None else None
        taxonomy = load_domain_taxonomy(session, taxonomy_id) if taxonomy_id else None
    if taxonomy is None:
        return {}
    return color_table({c.id: c.color for c in taxonomy.classes})


# --- settings ------------------------------------------------------------------------


def tta_config(settings: TTASettings) -> TTAConfig:
    return TTAConfig(
        scales=tuple(settings.scales),
        flip=settings.flip,
        precision=settings.precision,
        max_pixels=settings.max_pixels,
        tile=settings.tile,
    )


def device_name(wanted: str | None) -> str:
    import torch

    if wanted:
        if wanted.startswith("cuda") and not torch.cuda.is_available():
            raise InvalidInput("device cuda was asked for but no GPU is visible", field="device")
        return wanted
    return "cuda" if torch.cuda.is_available() else "cpu"


@lru_cache(maxsize=1)
def code_version() -> str:
    """``ontolabel.__version__`` plus ``git describe`` of the checkout, when there is one."""
    version = ontolabel.__version__
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=Path(ontolabel.__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version}+{described}" if described else version
