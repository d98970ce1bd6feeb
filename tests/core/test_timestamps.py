"""Every time the API answers with names its zone: UTC, also on SQLite (naive datetimes)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from datasets.factories import index, label_array, write_frame
from fastapi.testclient import TestClient
from mappings.factories import create_mapping, rows_payload, save
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.models.service import record_evaluation
from ontolabel.models.tables import EvaluationRecord
from sqlalchemy.orm import Session, sessionmaker

ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
WITH_ZONE = re.compile(r"(Z|[+-]\d{2}:\d{2})$")
JSON_TYPES = ("application/json", "text/event-stream")
JSON = dict[str, Any]


def _ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def _populate(client: TestClient, settings: Settings, factory: sessionmaker[Session]) -> JSON:
    """One of everything that has a time: taxonomy, mapping revisions, dataset, index job with
    a frame error, sample set, verification, model, evaluation; returns their ids (and a
    label id), named as the API's path and query parameters are."""
    mapping = create_mapping(client)
    assert save(client, mapping["id"], base=1, rows=rows_payload()).status_code == 200
    root = settings.allowed_data_roots[0] / "ext-ds"
    for i in range(3):
        write_frame(root, f"s/{i:03d}", label_array(i, ids=(0, 1)))
    write_frame(root, "s/999", None)  # an image without label: a frame error of the job
    dataset = _ok(client.post("/api/datasets", json={
        "name": "ext-ds", "root": str(root), "taxonomy": "ext", "preset": "generic",
    }))  # fmt: skip
    status, job_id = index(factory, settings, dataset["id"])
    assert status == "succeeded"
    sample = _ok(client.post(
        f"/api/datasets/{dataset['id']}/sample-sets", json={"name": "all", "rule": {"every": 1}}
    ))  # fmt: skip
    _ok(client.post("/api/verifications", json={
        "mapping_id": mapping["id"], "source_id": 0, "extra_label": "e0", "decision": "confirmed",
    }))  # fmt: skip
    teacher = _hf_folder(settings.allowed_data_roots[0] / "teacher", ["src0", "src1", "src2"])
    model = _ok(client.post("/api/models", json={
        "name": "teacher", "kind": "hf_dir", "taxonomy_id": mapping["source_taxonomy_id"],
        "path": str(teacher),
    }))  # fmt: skip
    with session_scope(factory) as session:
        evaluation = record_evaluation(session, EvaluationRecord(
            model_id=model["id"], subject="teacher", class_names=["src0"], mean_iou=0.5,
            per_class_iou=[0.5], confusion=[[1, 0]], frames=1,
        )).id  # fmt: skip
    frames = _ok(client.get(f"/api/datasets/{dataset['id']}/frames"))["items"]
    return {
        "taxonomy_id": mapping["extra_taxonomy_id"], "mapping_id": mapping["id"], "number": 2,
        "dataset_id": dataset["id"], "sample_set_id": sample["id"], "frame_id": frames[0]["id"],
        "job_id": job_id, "model_id": model["id"], "evaluation_id": evaluation, "label": 0,
    }  # fmt: skip


def _hf_folder(path: Path, names: list[str]) -> Path:
    path.mkdir(parents=True)
    config = {"model_type": "segformer", "id2label": {str(i): n for i, n in enumerate(names)}}
    (path / "config.json").write_text(json.dumps(config))
    return path


def _bodies(client: TestClient, url: str, media: str) -> list[Any]:
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.text}"
    if media == "application/json":
        return [response.json()]
    return [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]


def _times(value: Any) -> list[str]:
    """Every string in ``value`` that reads as a date and time."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in _times(v)]
    if isinstance(value, list):
        return [t for v in value for t in _times(v)]
    return [value] if isinstance(value, str) and ISO_TIME.match(value) else []


KIND_RESULTS = {"/api/jobs/{job_id}/outputs", "/api/jobs/{job_id}/suggestions"}
"""Reads of one job kind's results (404 for the index job here); they carry no times."""


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_time_in_every_response_is_utc(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given one of every resource that has a time, on SQLite
    ids = _populate(client, settings, session_factory)
    spec = client.get("/openapi.json").json()
    # when every JSON (or event-stream) GET the API declares is read
    answered: dict[str, list[str]] = {}
    for path, operations in spec["paths"].items():
        ok = operations.get("get", {}).get("responses", {}).get("200", {})
        media = next((m for m in JSON_TYPES if m in ok.get("content", {})), None)
        if media is None or path in KIND_RESULTS:
            continue
        parameters = operations["get"].get("parameters", [])
        query = {
            p["name"]: ids[p["name"]] for p in parameters if p["in"] == "query" and p["name"] in ids
        }
        if any(p.get("required") and p["name"] not in ids for p in parameters):
            continue  # it reads a job's folder (the stale count): no timestamps, no generic call
        url = path.format(**ids) + ("?" + "&".join(f"{k}={v}" for k, v in query.items()))
        answered[path] = [t for body in _bodies(client, url, media) for t in _times(body)]
    # then every time in them names UTC
    naive = {
        path: times for path, times in answered.items() if not all(map(WITH_ZONE.search, times))
    }
    assert naive == {}
    # and each resource's times were among them
    timed = {path for path, times in answered.items() if times}
    assert timed >= {
        "/api/taxonomies/{taxonomy_id}", "/api/mappings/{mapping_id}",
        "/api/mappings/{mapping_id}/revisions/{number}", "/api/datasets/{dataset_id}",
        "/api/datasets/{dataset_id}/sample-sets/{sample_set_id}", "/api/verifications",
        "/api/jobs/{job_id}", "/api/jobs/{job_id}/errors", "/api/jobs/{job_id}/events",
        "/api/models/{model_id}", "/api/models/evaluations/{evaluation_id}",
    }  # fmt: skip
