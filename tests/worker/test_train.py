"""The ``train`` kind: a nano SegFormer student saved with id2label, registered, loadable."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from ontolabel.core.config import Settings
from ontolabel_worker.ml.models import ModelSpec, load_model
from sqlalchemy.orm import Session, sessionmaker

from .conftest import SOURCE_NAMES, write_frames
from .test_kinds import _run, _taxonomy


def test_train_job_saves_and_registers_a_loadable_student(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given source frames (labels are source ids 0..4, plus unknown ids the loss ignores)
    taxonomy_id = _taxonomy(client, "src", "source", SOURCE_NAMES)
    images, labels = write_frames(Path(settings.data_roots), ["a", "b"])
    params = {
        "images_dir": str(images), "labels_dir": str(labels), "class_names": SOURCE_NAMES,
        "class_ids": [0, 1, 2, 3, 4], "size": "nano", "steps": 3, "batch_size": 2, "crop": 32,
        "register_as": "student", "taxonomy_id": taxonomy_id, "device": "cpu",
    }  # fmt: skip
    # when the job runs
    job = _run(session_factory, settings, "train", params)
    # then the student is registered and loads through the ordinary path
    model = client.get(f"/api/models/{job.outputs['model_id']}").json()
    assert model["name"] == "student" and model["kind"] == "ontolabel"
    loaded = load_model(ModelSpec("ontolabel", model["path"]), source_names=SOURCE_NAMES)
    assert loaded.num_classes == 5
