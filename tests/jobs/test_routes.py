"""/api/jobs over HTTP, with the embedded in-process runner doing the work."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ontolabel.api.app import create_app
from ontolabel.core.config import Settings
from support.accounts import auth_headers

from .kinds_for_tests import KIND, unit_is_valid, unit_path


@pytest.fixture
def client(accounts_client: TestClient) -> TestClient:
    """Accounts mode: each author is the user of the token the request sends."""
    return accounts_client


def _sse(client: TestClient, url: str, **headers: str) -> list[dict[str, Any]]:
    """Read a whole event stream into ``{"event", "id", "data"}`` dicts."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    with client.stream("GET", url, headers=headers, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line:
                if current:
                    events.append(current)
                current = {}
            elif line.startswith(("event:", "id:", "data:")):
                key, _, value = line.partition(":")
                current[key] = json.loads(value) if key == "data" else value.strip()
    return events


def _wait_final(client: TestClient, job_id: int, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def test_created_job_runs_in_process_and_streams_progress_until_final(
    client: TestClient, settings: Settings
) -> None:
    created = client.post(
        "/api/jobs",
        json={"kind": KIND, "params": {"units": 6, "per_chunk": 2, "sleep_s": 0.05}},
        headers=auth_headers(client, "carol"),
    )
    assert created.status_code == 201
    job = created.json()
    assert (job["status"], job["created_by"]) == ("queued", "carol")

    events = _sse(client, f"/api/jobs/{job['id']}/events")

    assert events[-1]["event"] == "end"
    assert events[-1]["data"]["status"] == "succeeded"
    progress = [e["data"] for e in events if e["event"] == "progress"]
    assert progress[-1] == {
        "status": "succeeded",
        "done": 6,
        "total": 6,
        "cancel_requested": False,
        "error": None,
    }
    logs = [e for e in events if e["event"] == "log"]
    assert [int(e["id"]) for e in logs] == list(range(1, len(logs) + 1))
    assert logs[-1]["data"]["message"] == "job succeeded"
    out = settings.outputs / str(job["id"])
    assert all(unit_is_valid(unit_path(out, u), u) for u in range(6))

    # Reconnecting with Last-Event-ID replays only the later lines, then ends.
    resumed = _sse(client, f"/api/jobs/{job['id']}/events", **{"Last-Event-ID": "2"})
    assert [int(e["id"]) for e in resumed if e["event"] == "log"] == list(range(3, len(logs) + 1))
    assert resumed[-1]["event"] == "end"


def test_list_get_errors_cancel_and_not_found(client: TestClient) -> None:
    job_id = client.post(
        "/api/jobs", json={"kind": KIND, "params": {"units": 5, "bad_units": [0, 2, 4]}}
    ).json()["id"]
    assert _wait_final(client, job_id)["status"] == "succeeded"

    listed = client.get("/api/jobs", params={"kind": KIND, "status": "succeeded"}).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == job_id
    page = client.get(f"/api/jobs/{job_id}/errors", params={"offset": 1, "limit": 1}).json()
    assert page["total"] == 3
    assert [e["frame"] for e in page["items"]] == ["frame_0002"]

    conflict = client.post(f"/api/jobs/{job_id}/cancel")
    assert conflict.status_code == 409 and conflict.json()["status"] == "succeeded"
    assert client.get("/api/jobs/999").status_code == 404
    assert client.get("/api/jobs/999/events").status_code == 404
    bad = client.post("/api/jobs", json={"kind": "nonsense", "params": {}})
    assert bad.status_code == 422 and "kind" in bad.text


def test_a_bad_job_request_is_422_naming_the_field_and_nothing_is_queued(
    client: TestClient, settings: Settings
) -> None:
    # given a pseudo_label request with a typo'd option and a list where a path belongs
    params = {
        "model": {"id": 1},
        "images_dir": [str(settings.outputs)],
        "labels_dir": str(settings.outputs),
        "mapping": {"mapping_id": 1},
        "options": {"void_treshold": 0.3},
    }
    # when it is posted
    response = client.post("/api/jobs", json={"kind": "pseudo_label", "params": params})
    # then it is refused, naming both fields, and no job exists
    assert response.status_code == 422, response.text
    assert "images_dir" in response.text and "void_treshold" in response.text
    assert client.get("/api/jobs").json()["total"] == 0


def test_every_kind_documents_its_parameters_in_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/api/jobs"]["post"]["requestBody"]["content"]["application/json"]
    mapping = body["schema"]["discriminator"]["mapping"]
    assert {"index", "preview", "pseudo_label", "evaluate", "train", KIND} <= set(mapping)
    params = spec["components"]["schemas"]["PseudoLabelParams"]
    assert params["additionalProperties"] is False
    options = spec["components"]["schemas"]["PseudoLabelOptions"]["properties"]
    assert options["void_threshold"]["default"] == 0.5


def test_a_job_naming_a_mapping_without_revision_is_pinned_to_its_head(
    client: TestClient, settings: Settings
) -> None:
    # given a stored mapping at revision 2 and frames under a data root
    for name, kind in (("ext", "extra"), ("src", "source")):
        classes = [{"id": 0, "name": "road"}, {"id": 1, "name": "sky"}]
        created = client.post(
            "/api/taxonomies", json={"name": name, "kind": kind, "classes": classes}
        )
        assert created.status_code == 201, created.text
    rows = [{"source_id": 0, "source_name": "road", "extra_labels": ["road"]}]
    mapping = client.post(
        "/api/mappings",
        json={"name": "m", "extra_taxonomy": "ext", "source_taxonomy": "src", "rows": rows},
    ).json()
    rows2 = [*rows, {"source_id": 1, "source_name": "sky", "extra_labels": ["sky"]}]
    saved = client.put(f"/api/mappings/{mapping['id']}", json={"base_revision": 1, "rows": rows2})
    assert saved.status_code == 200, saved.text
    folder = Path(settings.data_roots)
    params = {
        "images_dir": str(folder),
        "labels_dir": str(folder),
        "class_ids": [0, 1],
        "mapping": {"mapping_id": mapping["id"]},
    }
    # when an evaluate job names the mapping but no revision
    body = {"kind": "evaluate", "params": {**params, "predictions_dir": str(folder)}}
    del body["params"]["images_dir"]
    job = client.post("/api/jobs", json=body)
    # then the stored job names revision 2, and an unknown revision is refused
    assert job.status_code == 201, job.text
    pinned = {"mapping_id": mapping["id"], "revision": 2, "inline": None}
    assert job.json()["params"]["mapping"] == pinned
    body["params"]["mapping"] = {"mapping_id": mapping["id"], "revision": 7}
    missing = client.post("/api/jobs", json=body)
    assert missing.status_code == 422 and "no revision 7" in missing.json()["detail"]
    outside = {**body["params"], "mapping": {"mapping_id": mapping["id"]}, "labels_dir": "/etc"}
    refused = client.post("/api/jobs", json={"kind": "evaluate", "params": outside})
    assert refused.status_code == 403 and "params.labels_dir" in refused.text


def test_the_server_picks_up_a_job_another_process_queued(
    settings: Settings, make_job: Callable[..., int]
) -> None:
    # given a running embedded server
    app = create_app(settings)
    with TestClient(app) as client:
        # when another process (the CLI) queues a job in its database
        job_id = make_job(units=3, per_chunk=2)
        # then the server runs it
        final = _wait_final(client, job_id)
    app.state.engine.dispose()
    assert (final["status"], final["done"]) == ("succeeded", 3)


def test_cancel_over_http_stops_a_running_job(client: TestClient) -> None:
    job_id = client.post(
        "/api/jobs", json={"kind": KIND, "params": {"units": 200, "sleep_s": 0.05}}
    ).json()["id"]
    deadline = time.monotonic() + 60
    while client.get(f"/api/jobs/{job_id}").json()["done"] < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)

    cancelled = client.post(f"/api/jobs/{job_id}/cancel")

    assert cancelled.status_code == 200 and cancelled.json()["cancel_requested"] is True
    final = _wait_final(client, job_id)
    assert final["status"] == "cancelled" and final["done"] < 200


def test_the_embedded_server_resumes_unfinished_jobs_at_startup(
    settings: Settings, make_job: Callable[..., int]
) -> None:
    job_id = make_job(units=4, per_chunk=2)  # queued while no server was running

    app = create_app(settings)
    with TestClient(app) as client:
        final = _wait_final(client, job_id)
    app.state.engine.dispose()

    assert (final["status"], final["done"]) == ("succeeded", 4)


def test_an_editor_cancels_only_their_own_jobs(client: TestClient) -> None:
    erin, dan = auth_headers(client, "erin"), auth_headers(client, "dan")
    body = {"kind": KIND, "params": {"units": 200, "sleep_s": 0.05}}
    job_id = client.post("/api/jobs", json=body, headers=erin).json()["id"]
    # when another editor tries to cancel it
    refused = client.post(f"/api/jobs/{job_id}/cancel", headers=dan)
    # then 403, naming the owner; erin herself may
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith(f"job {job_id} belongs to erin")
    assert client.get(f"/api/jobs/{job_id}").json()["cancel_requested"] is False
    assert client.post(f"/api/jobs/{job_id}/cancel", headers=erin).status_code == 200
    audit = client.get("/api/audit", params={"entity": "job"}).json()["items"]
    assert [(e["action"], e["actor"]) for e in audit] == [("cancel", "erin"), ("create", "erin")]
    _wait_final(client, job_id)


def test_creating_a_job_while_the_broker_is_down_answers_201_and_leaves_it_unsent(
    settings: Settings,
) -> None:
    from ontolabel.api.app import create_app

    # given a server whose broker cannot be reached
    app = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/7"}))
    with TestClient(app) as client:
        # when a job is created
        created = client.post("/api/jobs", json={"kind": "test_writer", "params": {"units": 1}})

        # then it is accepted, queued and never sent: the workers' sweep sends it later
        assert created.status_code == 201, created.text
        job = client.get(f"/api/jobs/{created.json()['id']}").json()
        assert job["status"] == "queued"
        with app.state.session_factory() as session:
            from ontolabel.jobs import repository

            row = repository.get_job(session, job["id"])
            assert row is not None and row.sent_at is None
    app.state.engine.dispose()


def test_embedded_a_job_whose_pool_process_died_is_resumed_and_the_pool_restarted(
    client: TestClient,
) -> None:
    # given an embedded server and a job whose second chunk kills its process every time
    created = client.post(
        "/api/jobs",
        json={"kind": "test_writer", "params": {"units": 4, "per_chunk": 2, "die_in_chunks": [1]}},
    )
    assert created.status_code == 201, created.text

    # when the pool process dies (the pool breaks), again at each resume
    job = _wait_final(client, created.json()["id"], timeout_s=90)

    # then the server resumed it each time its lease expired, until the delivery cap
    assert job["status"] == "failed" and "delivered 4 times" in job["error"], job
    # and the restarted pool still runs jobs
    healthy = client.post("/api/jobs", json={"kind": "test_writer", "params": {"units": 2}})
    assert _wait_final(client, healthy.json()["id"])["status"] == "succeeded"
