"""The worker loads a registered checkpoint's pickles only when the model says so, and
re-checks a model's path against its own roots before loading it."""

from __future__ import annotations

import fractions
import shutil
from pathlib import Path
from typing import Any

import torch
from fastapi.testclient import TestClient
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.jobs import service as jobs
from ontolabel.jobs.params import PreviewParams
from ontolabel.jobs.runner import run_job_inline
from ontolabel_worker.ml.models import ModelSpec, load_model
from sqlalchemy.orm import Session, sessionmaker

from .conftest import SOURCE_NAMES, segformer_dir, write_frames


def _source(client: TestClient) -> int:
    classes = [{"id": i, "name": n} for i, n in enumerate(SOURCE_NAMES)]
    body = {"name": "src", "kind": "source", "classes": classes}
    response = client.post("/api/taxonomies", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _pickled_checkpoint(folder: Path, path: Path) -> Path:
    """A real .pth of a tiny SegFormer that also pickles an arbitrary object."""
    network = load_model(ModelSpec("hf_dir", str(folder))).network
    config = network.config.to_dict()  # type: ignore[operator, union-attr]
    state = {k: v.clone() for k, v in network.state_dict().items()}
    torch.save({"config": config, "state_dict": state, "meta": fractions.Fraction(1, 3)}, path)
    return path


def _preview(
    factory: sessionmaker[Session], settings: Settings, model_id: int, data: Path
) -> tuple[str, Any]:
    images, labels = write_frames(data / "frames", ["a"])
    params = PreviewParams(
        model={"id": model_id}, images_dir=str(images), labels_dir=str(labels), device="cpu"
    )
    with session_scope(factory) as session:
        job_id = jobs.create_job(session, settings, params, "test").id
    status = run_job_inline(settings, job_id)
    with factory() as session:
        return status, jobs.get_job(session, job_id).error


def test_a_pickled_checkpoint_loads_only_once_an_admin_flags_it(
    client: TestClient,
    settings: Settings,
    session_factory: sessionmaker[Session],
    tiny_segformer: Path,
) -> None:
    # given a pickled checkpoint registered without the flag
    data = settings.allowed_data_roots[0]
    path = _pickled_checkpoint(tiny_segformer, data / "teacher.pth")
    body = {"name": "paper", "taxonomy_id": _source(client), "kind": "checkpoint",
            "path": str(path)}  # fmt: skip
    model_id = client.post("/api/models", json=body).json()["id"]
    # when a job uses it, the worker refuses its pickles and says how to trust it
    status, error = _preview(session_factory, settings, model_id, data)
    assert status == "failed"
    assert "arbitrary code" in error and "allow_pickle" in error
    # when an admin flags the model, the same job loads it
    flagged = client.patch(f"/api/models/{model_id}", json={"allow_pickle": True})
    assert flagged.status_code == 200, flagged.text
    status, error = _preview(session_factory, settings, model_id, data)
    assert status == "succeeded", error


def test_a_model_path_that_became_a_symlink_out_is_refused_by_the_worker(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    # given a model registered under a data root
    data = settings.allowed_data_roots[0]
    folder = segformer_dir(data / "teacher", SOURCE_NAMES)
    body = {"name": "t", "taxonomy_id": _source(client), "kind": "hf_dir", "path": str(folder)}
    model_id = client.post("/api/models", json=body).json()["id"]
    # when its folder is replaced by a symlink to a folder outside every root
    outside = tmp_path / "outside"
    shutil.move(folder, outside)
    folder.symlink_to(outside, target_is_directory=True)
    # then the worker refuses to load it, naming the path
    status, error = _preview(session_factory, settings, model_id, data)
    assert status == "failed"
    assert "model.path" in error and "not under" in error
