"""A succeeded ``pseudo_label`` job as a GPU worker leaves it: the job row, and its output
folder in the worker's layout (PNGs of source ids, per-frame reports, the provenance
description and constraint rows, ``manifest.json``), written without torch so the route
and UI tests that read it need not run a teacher."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from ontolabel.core.db import session_scope
from ontolabel.domain.staleness import constraint_rows
from ontolabel.jobs import repository as jobs
from ontolabel.jobs.label_folders import MANIFEST, STATE_DIR, description_path, rows_path
from ontolabel.mappings.service import load_domain_mapping
from ontolabel.taxonomies.repository import load_domain_taxonomy
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

PROVENANCE = "0123456789abcdef"


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, sort_keys=True))


def finished_pseudo_label_job(
    factory: sessionmaker[Session],
    out: Path,
    *,
    dataset_id: int,
    mapping_id: int,
    model_id: int,
    labels: dict[int, tuple[str, np.ndarray]],
    errors: dict[int, str] | None = None,
) -> int:
    """A succeeded job over ``dataset_id`` that wrote ``labels`` (frame id → (label path in
    the dataset, source ids)) into ``out`` with revision 1 of ``mapping_id``."""
    with factory() as session:
        record, mapping, revision = load_domain_mapping(session, mapping_id, 1)
        extra = load_domain_taxonomy(session, record.extra_taxonomy_id)
        source = load_domain_taxonomy(session, record.source_taxonomy_id)
    assert extra is not None and source is not None
    description = {
        "mapping": {"mapping_id": mapping_id, "mapping": record.name, "revision": revision},
        "model": {"id": model_id},
        "tta": {"scales": [1.0], "flip": False},
        "constraint": {"void_threshold": 0.5, "confidence_floor": 0.0},
        "priors": True,
        "outputs": {"save_prediction": False, "soft_top_k": 0},
    }
    _write_json(description_path(out, PROVENANCE), description)
    _write_json(rows_path(out, PROVENANCE), constraint_rows(mapping, extra, source).to_json())
    frames: dict[str, Any] = {}
    for frame_id, (label_path, ids) in labels.items():
        rel = Path(label_path).with_suffix(".png")
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(ids.astype(np.uint8)).save(out / rel)
        report = {"provenance": PROVENANCE, "changed_by_priors": 0.1, "ignored": 0.0}
        _write_json(out / STATE_DIR / "frames" / rel.with_suffix(".json"), report)
        frames[str(frame_id)] = report
    manifest = {
        "job_id": None,
        "kind": "pseudo_label",
        "status": "succeeded",
        "mapping": description["mapping"],
        "provenance": PROVENANCE,
        "frames": frames,
        "errors": {str(k): v for k, v in (errors or {}).items()},
    }
    params = {
        "model": {"id": model_id},
        "dataset_id": dataset_id,
        "mapping": {"mapping_id": mapping_id, "revision": revision},
    }
    with session_scope(factory) as session:
        job = jobs.add_job(session, "pseudo_label", params, "alice")
        manifest["job_id"] = job.id
        _write_json(out / MANIFEST, manifest)
        outputs = {"output_dir": str(out), "manifest": str(out / MANIFEST), "labelled": len(frames)}
        jobs.finalize_job(session, job.id, "succeeded", outputs=outputs)
        return job.id
