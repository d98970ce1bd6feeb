"""The model registry API: path and class checks without torch, CRUD, evaluations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from ontolabel.core.config import Settings


def _source(client: TestClient, names: list[str]) -> int:
    classes = [{"id": i, "name": n} for i, n in enumerate(names)]
    response = client.post(
        "/api/taxonomies", json={"name": "src", "kind": "source", "classes": classes}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _hf_folder(path: Path, names: list[str]) -> Path:
    path.mkdir(parents=True)
    config = {"model_type": "segformer", "id2label": {str(i): n for i, n in enumerate(names)}}
    (path / "config.json").write_text(json.dumps(config))
    return path


def _register(client: TestClient, **body: Any) -> Any:
    return client.post("/api/models", json={"name": "teacher", "kind": "hf_dir", **body})


def test_register_read_rename_delete(client: TestClient, settings: Settings) -> None:
    # given a source taxonomy and a model folder naming its classes in order
    taxonomy_id = _source(client, ["road", "car"])
    folder = _hf_folder(settings.allowed_data_roots[0] / "models" / "t", ["road", "car"])
    # when it is registered
    created = _register(client, taxonomy_id=taxonomy_id, path=str(folder))
    # then it is listed, readable, renamable and deletable
    assert created.status_code == 201, created.text
    model_id = created.json()["id"]
    assert client.get("/api/models").json()["total"] == 1
    renamed = client.patch(f"/api/models/{model_id}", json={"name": "teacher-v2"})
    assert renamed.json()["name"] == "teacher-v2"
    clash = _register(client, taxonomy_id=taxonomy_id, path=str(folder), name="teacher-v2")
    assert clash.status_code == 409
    assert client.delete(f"/api/models/{model_id}").status_code == 204
    assert client.get(f"/api/models/{model_id}").status_code == 404


def test_class_mismatch_is_refused_with_differences(client: TestClient, settings: Settings) -> None:
    taxonomy_id = _source(client, ["road", "car", "sky"])
    folder = _hf_folder(settings.allowed_data_roots[0] / "m", ["road", "truck"])
    response = _register(client, taxonomy_id=taxonomy_id, path=str(folder))
    assert response.status_code == 422
    body = response.json()
    assert "channel 1: model 'truck' vs taxonomy 'car'" in body["differences"]
    assert "the model has 2 classes, the taxonomy 3" in body["detail"]


def test_paths_outside_the_allowed_roots_are_refused(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    taxonomy_id = _source(client, ["road"])
    folder = _hf_folder(tmp_path / "elsewhere", ["road"])
    response = _register(client, taxonomy_id=taxonomy_id, path=str(folder))
    assert response.status_code == 422
    assert response.json()["field"] == "path"
    assert "ONTOLABEL_DATA_ROOTS" in response.json()["detail"]


def test_evaluations_start_empty(client: TestClient) -> None:
    assert client.get("/api/models/evaluations").json() == {"items": [], "total": 0}
    assert client.get("/api/models/evaluations/5").status_code == 404
