"""The ``train`` kind through the real runner: a nano SegFormer student trained, its epochs
stored and served, its best model saved with id2label, registered and loadable."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.jobs import service as job_service
from ontolabel.jobs.kinds import params_model
from ontolabel.jobs.runner import run_job_inline
from ontolabel.jobs.train_params import TrainParams
from ontolabel_worker.ml.models import ModelSpec, load_model
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker
from transformers import SegformerForSemanticSegmentation

from .conftest import SOURCE_NAMES, write_frames
from .test_kinds import _run, _taxonomy


def test_a_train_job_stores_its_epochs_and_registers_a_loadable_student(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given source frames (labels are ids 0..4 of the taxonomy, plus 5..7 it does not know)
    taxonomy_id = _taxonomy(client, "src", "source", SOURCE_NAMES)
    images, labels = write_frames(Path(settings.data_roots), ["a", "b", "c", "d"])
    folders = {"images_dir": str(images), "labels_dir": str(labels)}
    params = {
        "taxonomy_id": taxonomy_id, "data": [folders], "val": [{**folders, "name": "held-out"}],
        "model": {"preset": "segformer-nano"}, "epochs": 2, "fine_tune_epochs": 1,
        "batch_size": 2, "num_workers": 0, "augment": {"crop": 32},
        "optim": {"warmup_epochs": 0}, "device": "cpu", "register_as": "student",
    }  # fmt: skip
    # when the job runs
    job = _run(session_factory, settings, "train", params)
    # then each epoch is stored, the fine-tune's after the training's, validated on the set
    epochs = client.get(f"/api/jobs/{job.id}/epochs").json()
    assert [(e["epoch"], e["phase"]) for e in epochs["items"]] == [
        (1, "train"),
        (2, "train"),
        (3, "fine_tune"),
    ]
    first = epochs["items"][0]
    assert set(first["val"]) == {"held-out"} and set(first["val"]["held-out"]["per_class"]) == set(
        SOURCE_NAMES
    )
    assert first["step"] == 2 and first["loss"] > 0 and set(first["lrs"]) >= {"decoder"}
    # and the progress counted every step, with a line per epoch saying how far it got
    assert (job.done, job.total) == (6, 6)
    with session_factory() as session:
        lines = [e.message for e in job_service.events_since(session, job.id)]
    assert any(line.startswith("epoch 2 (train) ended at step 4/6") for line in lines), lines
    # and the outputs describe the best model, registered as the student of the taxonomy
    assert job.outputs["epochs"] == 3 and job.outputs["steps"] == 6
    model = client.get(f"/api/models/{job.outputs['model_id']}").json()
    assert model["name"] == "student" and model["kind"] == "ontolabel"
    assert model["taxonomy_id"] == taxonomy_id and model["path"] == job.outputs["model_dir"]
    # and it loads through the teachers' path and with from_pretrained, naming the classes
    loaded = load_model(ModelSpec("ontolabel", model["path"]), source_names=SOURCE_NAMES)
    assert loaded.num_classes == 5
    network = SegformerForSemanticSegmentation.from_pretrained(model["path"])
    assert [network.config.id2label[i] for i in range(5)] == SOURCE_NAMES
    assert list((settings.outputs / str(job.id) / "tensorboard").rglob("events.out.tfevents*"))


def test_a_train_job_in_two_processes_reports_through_its_launcher(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given source frames and a job asking for two (CPU, gloo) processes
    taxonomy_id = _taxonomy(client, "src", "source", SOURCE_NAMES)
    images, labels = write_frames(Path(settings.data_roots), ["a", "b", "c", "d"])
    folders = {"images_dir": str(images), "labels_dir": str(labels)}
    params = {
        "taxonomy_id": taxonomy_id, "data": [folders], "val": [folders],
        "model": {"preset": "segformer-nano"}, "epochs": 2, "batch_size": 1, "num_workers": 0,
        "augment": {"crop": 32}, "optim": {"warmup_epochs": 0}, "device": "cpu",
        "num_processes": 2,
    }  # fmt: skip
    # when the job runs
    job = _run(session_factory, settings, "train", params)
    # then both processes trained (a step draws 2 frames), and the parent stored what the
    # main process reported: the epochs, the steps and the log
    assert (job.done, job.total) == (4, 4) and job.outputs["steps"] == 4
    epochs = client.get(f"/api/jobs/{job.id}/epochs").json()["items"]
    assert [e["epoch"] for e in epochs] == [1, 2] and sum(epochs[0]["draws"].values()) == 4
    with session_factory() as session:
        lines = [e.message for e in job_service.events_since(session, job.id)]
    assert any("2 process(es)" in line for line in lines), lines
    assert SegformerForSemanticSegmentation.from_pretrained(job.outputs["model_dir"])


def test_launched_processes_that_fail_fail_the_job_with_the_end_of_their_log(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given a frame whose label is smaller than its image, trained in two processes
    taxonomy_id = _taxonomy(client, "src", "source", SOURCE_NAMES)
    images, labels = write_frames(Path(settings.data_roots), ["a", "b"])
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(labels / "b.png")
    folders = {"images_dir": str(images), "labels_dir": str(labels)}
    params = {
        "taxonomy_id": taxonomy_id, "data": [folders], "model": {"preset": "segformer-nano"},
        "steps": 2, "batch_size": 1, "num_workers": 0, "augment": {"crop": 32},
        "device": "cpu", "num_processes": 2,
    }  # fmt: skip
    contract = params_model("train")
    assert contract is not None
    with session_scope(session_factory) as session:
        job_id = job_service.create_job(session, settings, contract.model_validate(params), "t").id
    one_try = settings.model_copy(update={"max_deliveries": 1})
    # when the job runs
    assert run_job_inline(one_try, job_id) == "failed"
    # then the log holds the end of the processes' own output (torchrun's account of the
    # rank that failed), and the job's error says the chunk failed
    with session_factory() as session:
        job = job_service.get_job(session, job_id)
        lines = "\n".join(e.message for e in job_service.events_since(session, job_id))
    assert "training processes exited with 1 and no result" in lines, lines
    assert "Root Cause (first observed failure)" in lines, lines
    assert job.error is not None and "chunk 0 failed" in job.error


def test_a_cancelled_train_job_stops_between_steps_and_keeps_its_checkpoint(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given a train job with a long budget running in this process
    taxonomy_id = _taxonomy(client, "src", "source", SOURCE_NAMES)
    images, labels = write_frames(Path(settings.data_roots), ["a", "b"])
    folders = {"images_dir": str(images), "labels_dir": str(labels)}
    params = TrainParams.model_validate(
        {"taxonomy_id": taxonomy_id, "data": [folders], "model": {"preset": "segformer-nano"},
         "steps": 100_000, "batch_size": 1, "num_workers": 0, "augment": {"crop": 32},
         "device": "cpu"}
    )  # fmt: skip
    with session_scope(session_factory) as session:
        job_id = job_service.create_job(session, settings, params, "t").id
    runner = threading.Thread(target=run_job_inline, args=(settings, job_id))
    runner.start()
    deadline = time.monotonic() + 120
    while _job(session_factory, job_id).done < 3:
        assert time.monotonic() < deadline and runner.is_alive()
        time.sleep(0.1)
    # when it is cancelled
    with session_scope(session_factory) as session:
        job_service.cancel_job(session, job_id, "t")
    runner.join(timeout=120)
    # then it stopped within a few steps, cancelled, without a model, with its checkpoint
    job = _job(session_factory, job_id)
    assert job.status == "cancelled" and not runner.is_alive()
    assert job.done < 1000 and "model_id" not in job.outputs
    assert (settings.outputs / str(job_id) / "resume" / "state.pt").is_file()


def _job(factory: sessionmaker[Session], job_id: int) -> Any:
    with factory() as session:
        return job_service.get_job(session, job_id)
