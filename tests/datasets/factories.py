"""Builders for dataset trees on disk, taxonomies and indexed datasets (real files, real DB)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.core.users import User
from ontolabel.datasets import service
from ontolabel.datasets.schemas import DatasetCreate
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass
from ontolabel.jobs import service as job_service
from ontolabel.jobs.params import IndexParams
from ontolabel.jobs.runner import run_job_inline
from ontolabel.taxonomies import service as taxonomy_service
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

COLORS = ["#804080", "#f423e8", "#464646", "#6b8e23", "#4682b4", "#00008e"]
TAXONOMY = Taxonomy(
    name="tiny",
    classes=tuple(
        TaxonomyClass(id=i, name=n, color=COLORS[i])
        for i, n in enumerate(["road", "sidewalk", "building", "vegetation", "sky", "car"])
    ),
)


def write_png(path: Path, array: np.ndarray, mode: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode=mode).save(path)
    return path


def label_array(
    seed: int, size: tuple[int, int] = (16, 8), ids: tuple[int, ...] = (0, 2, 4)
) -> np.ndarray:
    """A ``height x width`` id array using ``ids`` in horizontal bands (deterministic)."""
    w, h = size
    out = np.zeros((h, w), dtype=np.uint8)
    for i, row in enumerate(np.array_split(np.arange(h), len(ids))):
        out[row, :] = ids[(i + seed) % len(ids)]
    return out


def write_frame(
    root: Path, rel: str, label: np.ndarray | None, size: tuple[int, int] = (16, 8)
) -> None:
    """``images/<rel>.png`` (RGB) and, if given, ``labels/<rel>.png`` (grey ids)."""
    w, h = size
    write_png(root / "images" / f"{rel}.png", np.full((h, w, 3), 90, dtype=np.uint8))
    if label is not None:
        write_png(root / "labels" / f"{rel}.png", label)


def create_taxonomy(factory: sessionmaker[Session], taxonomy: Taxonomy = TAXONOMY) -> int:
    with session_scope(factory) as session:
        return taxonomy_service.create_taxonomy(
            session, taxonomy, kind="extra", user=User("tester")
        ).id


def register(
    factory: sessionmaker[Session], settings: Settings, name: str, root: Path, **layout: Any
) -> int:
    spec = DatasetCreate(
        name=name, root=str(root), taxonomy=layout.pop("taxonomy", "tiny"), **layout
    )
    if spec.preset is None and spec.image_glob is None:
        spec = spec.model_copy(update={"preset": "generic"})
    with session_scope(factory) as session:
        return service.register_dataset(session, settings, spec, User("tester")).id


def index(factory: sessionmaker[Session], settings: Settings, dataset_id: int) -> tuple[str, int]:
    """Run an index job to the end in this process; (final status, job id)."""
    with session_scope(factory) as session:
        job_id = job_service.create_job(
            session, settings, IndexParams(dataset_id=dataset_id, workers=1), "tester"
        ).id
    return run_job_inline(settings, job_id), job_id
