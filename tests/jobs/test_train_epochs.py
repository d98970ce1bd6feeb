"""``GET /api/jobs/{id}/epochs``: a train job's figures per epoch, in the order they ran."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.jobs import repository, service
from ontolabel.jobs.tables import TrainEpoch
from ontolabel.jobs.train_params import StudentModel, TrainData, TrainParams
from sqlalchemy.orm import Session, sessionmaker


def _train_job(settings: Settings, factory: sessionmaker[Session], client: TestClient) -> int:
    classes = [{"id": 0, "name": "road"}, {"id": 1, "name": "sky"}]
    taxonomy = client.post(
        "/api/taxonomies", json={"name": "t", "kind": "source", "classes": classes}
    )
    folder = Path(settings.data_roots) / "frames"
    folder.mkdir()
    params = TrainParams(
        taxonomy_id=taxonomy.json()["id"],
        data=[TrainData(images_dir=str(folder), labels_dir=str(folder))],
        model=StudentModel(preset="segformer-nano"),
        epochs=2,
    )
    with session_scope(factory) as session:
        return service.create_job(session, settings, params, "t").id


def _epoch(job_id: int, phase: str, epoch: int, fitness: float | None) -> TrainEpoch:
    return TrainEpoch(
        job_id=job_id,
        phase=phase,
        epoch=epoch,
        step=epoch * 10,
        loss=1.0 / epoch,
        lrs={"encoder": 1e-5, "rest": 1e-4},
        val={
            "city": {
                "miou": fitness,
                "pixel_accuracy": 0.9,
                "mean_accuracy": 0.7,
                "per_class": {"road": 0.5, "sky": None},
            }
        },
        fitness=fitness,
        improved=fitness is not None,
        draws={"city": 20},
        seconds=3.5 * epoch,
    )


def test_epochs_are_listed_in_the_order_they_ran_and_a_repeat_replaces_its_row(
    settings: Settings, session_factory: sessionmaker[Session], client: TestClient
) -> None:
    # given a train job with two training epochs and a fine-tune epoch stored out of order
    job_id = _train_job(settings, session_factory, client)
    with session_scope(session_factory) as session:
        for row in (
            _epoch(job_id, "fine_tune", 3, 0.7),
            _epoch(job_id, "train", 2, 0.6),
            _epoch(job_id, "train", 1, None),
        ):
            repository.record_train_epoch(session, row)
    # when epoch 2 runs again after a resume, with other figures
    with session_scope(session_factory) as session:
        repository.record_train_epoch(session, _epoch(job_id, "train", 2, 0.65))

    # then the list holds three epochs, training first, with the repeat's figures
    response = client.get(f"/api/jobs/{job_id}/epochs")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 3
    assert [(e["phase"], e["epoch"]) for e in body["items"]] == [
        ("train", 1),
        ("train", 2),
        ("fine_tune", 3),
    ]
    second = body["items"][1]
    assert second["fitness"] == 0.65 and second["improved"] is True
    assert second["val"]["city"] == {
        "miou": 0.65,
        "pixel_accuracy": 0.9,
        "mean_accuracy": 0.7,
        "per_class": {"road": 0.5, "sky": None},
    }
    assert second["lrs"] == {"encoder": 1e-5, "rest": 1e-4} and second["draws"] == {"city": 20}
    assert second["time"].endswith("Z")
    # and a page of it, and an unknown job
    page = client.get(f"/api/jobs/{job_id}/epochs", params={"offset": 2, "limit": 5}).json()
    assert [e["phase"] for e in page["items"]] == ["fine_tune"] and page["total"] == 3
    assert client.get("/api/jobs/999/epochs").status_code == 404


def test_a_job_without_epochs_lists_none(
    settings: Settings, session_factory: sessionmaker[Session], client: TestClient
) -> None:
    job_id = _train_job(settings, session_factory, client)
    assert client.get(f"/api/jobs/{job_id}/epochs").json() == {"items": [], "total": 0}
