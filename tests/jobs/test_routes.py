"""/api/jobs over HTTP, with the embedded in-process runner doing the work."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from ontolabel.api.app import create_app
from ontolabel.core.config import Settings

from .kinds_for_tests import KIND, unit_is_valid, unit_path


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
        headers={"X-Ontolabel-User": "carol"},
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
    assert bad.status_code == 422 and bad.json()["field"] == "kind"


def test_cancel_over_http_stops_a_running_job(client: TestClient) -> None:
    job_id = client.post(
        "/api/jobs", json={"kind": KIND, "params": {"units": 200, "sleep_s": 0.05}}
    ).json()["id"]
    deadline = time.monotonic() + 60
    while client.get(f"/api/jobs/{job_id}").json()["done"] < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)

    cancelled = client.post(f"/api/jobs/{job_id}/cancel", headers={"X-Ontolabel-User": "dan"})

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
