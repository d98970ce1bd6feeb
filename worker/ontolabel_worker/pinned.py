"""Job parameters resolved to what a chunk needs, with the mapping content pinned.

``plan`` resolves a mapping revision id (or an inline document from the CLI) into YAML
text stored in every chunk, so a chunk never depends on rows read later, and the
manifest can name exactly which revision, model and settings produced the labels.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import ontolabel
from ontolabel.domain.formats.native import dump_mapping, dump_taxonomy, load_mapping, load_taxonomy
from ontolabel.domain.mapping import Mapping
from ontolabel.domain.taxonomy import VOID_ID, Taxonomy, TaxonomyClass
from ontolabel.errors import InvalidInput, NotFound
from sqlalchemy.orm import Session, sessionmaker

from ontolabel_worker.ml.constrain import ConstraintOptions
from ontolabel_worker.ml.models import ModelSpec
from ontolabel_worker.ml.pipeline import LabelOptions
from ontolabel_worker.ml.tta import DEFAULT_SCALES, TTAConfig

JSON = dict[str, Any]


@dataclass(frozen=True)
class PinnedMapping:
    mapping: Mapping
    extra: Taxonomy
    source: Taxonomy
    description: JSON

    @property
    def source_names(self) -> list[str]:
        return [c.name for c in self.source.classes if c.id != VOID_ID]

    def to_json(self) -> JSON:
        return {
            "mapping": dump_mapping(self.mapping),
            "extra": dump_taxonomy(self.extra),
            "source": dump_taxonomy(self.source),
            "description": self.description,
        }

    @classmethod
    def from_json(cls, data: JSON) -> PinnedMapping:
        return cls(
            mapping=load_mapping(data["mapping"], source="pinned mapping"),
            extra=load_taxonomy(data["extra"], source="pinned extra taxonomy"),
            source=load_taxonomy(data["source"], source="pinned source taxonomy"),
            description=dict(data.get("description", {})),
        )


def source_from_rows(mapping: Mapping) -> Taxonomy:
    """The source taxonomy a mapping file implies (its non-void rows, in order)."""
    classes = tuple(
        TaxonomyClass(id=r.source_id, name=r.source_name.strip()) for r in mapping.source_rows
    )
    return Taxonomy(name=mapping.source_taxonomy, classes=classes)


def resolve_mapping(factory: sessionmaker[Session], spec: JSON) -> PinnedMapping:
    """``{"revision_id": n}`` (a stored revision) or ``{"pinned": {...}}`` (inline)."""
    if "pinned" in spec:
        return PinnedMapping.from_json(spec["pinned"])
    if "revision_id" not in spec:
        raise InvalidInput(
            "mapping needs 'revision_id' or an inline 'pinned' document", field="mapping"
        )
    from ontolabel.mappings.service import load_domain_mapping
    from ontolabel.mappings.tables import MappingRevision
    from ontolabel.taxonomies.repository import load_domain_taxonomy

    with factory() as session:
        revision = session.get(MappingRevision, int(spec["revision_id"]))
        if revision is None:
            raise NotFound(
                f"mapping revision {spec['revision_id']} does not exist", field="mapping"
            )
        record, mapping, number = load_domain_mapping(session, revision.mapping_id, revision.number)
        extra = load_domain_taxonomy(session, record.extra_taxonomy_id)
        source = load_domain_taxonomy(session, record.source_taxonomy_id)
    if extra is None or source is None:
        raise NotFound(
            f"mapping {record.name} names a taxonomy that no longer exists", field="mapping"
        )
    description = {
        "revision_id": revision.id,
        "mapping_id": record.id,
        "mapping": record.name,
        "revision": number,
        "extra_taxonomy": extra.name,
        "source_taxonomy": source.name,
    }
    return PinnedMapping(mapping, extra, source, description)


def resolve_model(factory: sessionmaker[Session], spec: JSON) -> tuple[ModelSpec, JSON]:
    """``{"id": n}`` (registered) or ``{"path": p[, "kind", "allow_pickle"]}``."""
    allow_pickle = bool(spec.get("allow_pickle", False))
    if "id" in spec:
        from ontolabel.models.tables import ModelRecord

        with factory() as session:
            record = session.get(ModelRecord, int(spec["id"]))
            if record is None:
                raise NotFound(f"model {spec['id']} does not exist", field="model")
            kind, path, name = record.kind, record.path, record.name
        model_spec = ModelSpec(kind, path, allow_pickle)  # type: ignore[arg-type]
        return model_spec, {"id": int(spec["id"]), "name": name, "kind": kind, "path": path}
    if "path" not in spec:
        raise InvalidInput("model needs 'id' or 'path'", field="model")
    if "kind" in spec:
        model_spec = ModelSpec(spec["kind"], str(spec["path"]), allow_pickle)
    else:
        model_spec = ModelSpec.guess(str(spec["path"]), allow_pickle=allow_pickle)
    return model_spec, {"kind": model_spec.kind, "path": model_spec.path}


def tta_config(spec: JSON | None) -> TTAConfig:
    spec = spec or {}
    return TTAConfig(
        scales=tuple(float(s) for s in spec.get("scales", DEFAULT_SCALES)),
        flip=bool(spec.get("flip", True)),
        precision=spec.get("precision", "bf16"),
        max_pixels=spec.get("max_pixels"),
        tile=int(spec.get("tile", 512)),
    )


def label_options(spec: JSON | None) -> LabelOptions:
    spec = spec or {}
    return LabelOptions(
        constraint=ConstraintOptions(
            void_threshold=float(spec.get("void_threshold", 0.5)),
            confidence_floor=float(spec.get("confidence_floor", 0.0)),
        ),
        save_prediction=bool(spec.get("save_prediction", False)),
        soft_top_k=int(spec.get("soft_top_k", 0)),
        batch_size=int(spec.get("batch_size", 2)),
        num_workers=int(spec.get("num_workers", 2)),
        writer_threads=int(spec.get("writer_threads", 4)),
    )


def device_name(spec: JSON | None) -> str:
    import torch

    wanted = (spec or {}).get("device")
    if wanted:
        if str(wanted).startswith("cuda") and not torch.cuda.is_available():
            raise InvalidInput("device cuda was asked for but no GPU is visible", field="device")
        return str(wanted)
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
