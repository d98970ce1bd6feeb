"""No code from data: over HTTP a job names its model by registry id only, and only an
admin registers a checkpoint whose pickles may load, under the allowed roots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.core.users import Role, User
from ontolabel.errors import Forbidden
from ontolabel.models import service
from ontolabel.models.schemas import ModelCreate, ModelUpdate
from sqlalchemy.orm import Session, sessionmaker

EDITOR = User(name="eve", role=Role.editor)


def _source(client: TestClient) -> int:
    classes = [{"id": 0, "name": "road"}, {"id": 1, "name": "car"}]
    response = client.post(
        "/api/taxonomies", json={"name": "src", "kind": "source", "classes": classes}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _hf_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    config = {"id2label": {"0": "road", "1": "car"}}
    (path / "config.json").write_text(json.dumps(config))
    return path


def _data(settings: Settings) -> Path:
    return settings.allowed_data_roots[0]


def _model_bodies(folder: str, data: str) -> dict[str, tuple[dict[str, Any], str]]:
    """Per kind that takes a model: a body naming it by path, and the field refused."""
    ref = {"path": folder}
    frames = {"images_dir": data, "labels_dir": data}
    return {
        "pseudo_label": (
            {"model": ref, **frames, "mapping": {"mapping_id": 1}},
            "params.model.path",
        ),
        "preview": ({"model": ref, **frames}, "params.model.path"),
        "evaluate": ({"model": ref, **frames, "class_ids": [0, 1]}, "params.model.path"),
        "train": (
            {"taxonomy_id": 1, "data": [frames], "model": {"init": ref}, "steps": 10},
            "params.model.init.path",
        ),
    }


@pytest.mark.parametrize("kind", ["pseudo_label", "preview", "evaluate", "train"])
def test_an_api_job_cannot_name_a_model_by_path(
    client: TestClient, settings: Settings, kind: str
) -> None:
    # given a model folder under an allowed root
    folder = _hf_folder(_data(settings) / "teacher")
    params, field = _model_bodies(str(folder), str(_data(settings)))[kind]
    # when a job names it by path over HTTP
    response = client.post("/api/jobs", json={"kind": kind, "params": params})
    # then it is refused naming the path, and nothing is queued
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert "register" in response.json()["detail"]
    assert client.get("/api/jobs").json()["total"] == 0


@pytest.mark.parametrize("kind", ["pseudo_label", "preview", "evaluate"])
def test_an_api_job_cannot_turn_pickles_on(
    client: TestClient, settings: Settings, kind: str
) -> None:
    params, _ = _model_bodies("/x", str(_data(settings)))[kind]
    params["model"] = {"id": 1, "allow_pickle": True}
    response = client.post("/api/jobs", json={"kind": kind, "params": params})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == f"{kind}.params.model.allow_pickle"


def test_a_model_outside_the_job_roots_is_422_naming_path(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    taxonomy_id = _source(client)
    # the home is not a job root (only its outputs folder is), nor is any other folder
    for folder in (_hf_folder(settings.home / "m"), _hf_folder(tmp_path / "elsewhere")):
        body = {"name": "t", "taxonomy_id": taxonomy_id, "kind": "hf_dir", "path": str(folder)}
        response = client.post("/api/models", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "path"
    # while the output root and the data roots are
    for folder in (_hf_folder(settings.outputs / "m"), _hf_folder(_data(settings) / "m")):
        body = {"name": folder.parent.name, "taxonomy_id": taxonomy_id, "kind": "hf_dir",
                "path": str(folder)}  # fmt: skip
        assert client.post("/api/models", json=body).status_code == 201


def _checkpoint(settings: Settings) -> Path:
    path = _data(settings) / "teacher.pth"
    path.write_bytes(b"not read at registration")
    return path


def test_only_an_admin_registers_a_pickled_checkpoint(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    taxonomy_id = _source(client)
    path = _checkpoint(settings)
    body = ModelCreate(
        name="paper", taxonomy_id=taxonomy_id, kind="checkpoint", path=str(path), allow_pickle=True
    )
    # an editor is refused, naming the flag
    with session_scope(session_factory) as session, pytest.raises(Forbidden) as refused:
        service.create_model(session, settings, body, EDITOR)
    assert refused.value.extra["field"] == "allow_pickle"
    # an admin (the embedded local user) registers it, and the flag is stored
    response = client.post("/api/models", json=body.model_dump())
    assert response.status_code == 201, response.text
    assert response.json()["allow_pickle"] is True
    # the default is off
    plain = {**body.model_dump(), "name": "plain", "allow_pickle": False}
    del plain["allow_pickle"]
    assert client.post("/api/models", json=plain).json()["allow_pickle"] is False


def test_pickles_are_only_for_checkpoint_files(client: TestClient, settings: Settings) -> None:
    taxonomy_id = _source(client)
    folder = _hf_folder(_data(settings) / "hf")
    body = {"name": "t", "taxonomy_id": taxonomy_id, "kind": "hf_dir", "path": str(folder),
            "allow_pickle": True}  # fmt: skip
    response = client.post("/api/models", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "allow_pickle"


def test_only_an_admin_turns_pickles_on_later(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    taxonomy_id = _source(client)
    body = {"name": "paper", "taxonomy_id": taxonomy_id, "kind": "checkpoint",
            "path": str(_checkpoint(settings))}  # fmt: skip
    model_id = client.post("/api/models", json=body).json()["id"]
    # an editor may not turn the flag on
    with session_scope(session_factory) as session, pytest.raises(Forbidden) as refused:
        service.update_model(session, model_id, ModelUpdate(allow_pickle=True), EDITOR)
    assert refused.value.extra["field"] == "allow_pickle"
    assert client.get(f"/api/models/{model_id}").json()["allow_pickle"] is False
    # an admin may, and anyone may turn it off again
    on = client.patch(f"/api/models/{model_id}", json={"allow_pickle": True})
    assert on.status_code == 200 and on.json()["allow_pickle"] is True
    with session_scope(session_factory) as session:
        service.update_model(session, model_id, ModelUpdate(allow_pickle=False), EDITOR)
    assert client.get(f"/api/models/{model_id}").json()["allow_pickle"] is False
