"""The datasets API over a small indexed dataset, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ontolabel.core.config import Settings
from sqlalchemy.orm import Session, sessionmaker

from .factories import create_taxonomy, index, label_array, write_frame


@pytest.fixture
def root(settings: Settings) -> Path:
    """Two sequences x two cameras x 5 frames; frame 3 of each stream also has car (5)."""
    path = settings.allowed_data_roots[0] / "ds"
    for seq in ("s1", "s2"):
        for cam in ("c1", "c2"):
            for i in range(5):
                ids = (0, 2, 5) if i == 3 else (0, 2)
                write_frame(path, f"{seq}/{cam}/{i:03d}", label_array(i, ids=ids))
    write_frame(path, "s2/c1/999", None)
    return path


SPEC = {
    "preset": "generic",
    "image_regex": r"images/(?P<sequence>[^/]+)/(?P<camera>[^/]+)/(?P<frame>\d+)\.png",
}


@pytest.fixture
def dataset(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session], root: Path
) -> dict[str, Any]:
    create_taxonomy(session_factory)
    response = client.post(
        "/api/datasets", json={"name": "ds", "root": str(root), "taxonomy": "tiny", **SPEC}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert index(session_factory, settings, body["id"])[0] == "succeeded"
    return body


def test_dry_run_counts_and_explains_unpaired(
    client: TestClient, session_factory: sessionmaker[Session], root: Path
) -> None:
    response = client.post(
        "/api/datasets/dry-run", json={"name": "x", "root": str(root), "taxonomy": "t", **SPEC}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["images"], body["labels"], body["paired"]) == (21, 20, 20)
    assert body["examples"]["camera"] == ["c1", "c2"]
    assert body["unpaired_total"] == 1
    assert "has no label" in body["unpaired"][0]["reason"]


def test_register_refuses_a_root_outside_the_data_roots(
    client: TestClient, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    create_taxonomy(session_factory)
    for root in (str(tmp_path), str(tmp_path / "data" / ".." / "home")):
        response = client.post(
            "/api/datasets", json={"name": "x", "root": root, "taxonomy": "tiny", **SPEC}
        )
        assert response.status_code == 403, response.text
        assert response.json()["field"] == "root"


def test_frames_every_nth_camera_and_label_filters(
    client: TestClient, dataset: dict[str, Any]
) -> None:
    url = f"/api/datasets/{dataset['id']}/frames"
    all_frames = client.get(url, params={"limit": 5}).json()
    assert all_frames["total"] == 21 and len(all_frames["items"]) == 5
    every = client.get(url, params={"every": 2, "camera": "c1"}).json()
    assert [(f["sequence"], f["frame"]) for f in every["items"]] == [
        ("s1", "000"), ("s1", "002"), ("s1", "004"), ("s2", "000"), ("s2", "002"),
        ("s2", "004"),
    ]  # fmt: skip
    cars = client.get(url, params={"label": 5}).json()
    assert cars["total"] == 4 and {f["frame"] for f in cars["items"]} == {"003"}
    errors = client.get(url, params={"has_error": True}).json()
    assert [f["error_kind"] for f in errors["items"]] == ["missing_partner"]
    a = client.get(url, params={"random": 5, "seed": 7}).json()
    assert a == client.get(url, params={"random": 5, "seed": 7}).json() and a["total"] == 5


def test_occurrence_summary_and_frames_by_pixels(
    client: TestClient, dataset: dict[str, Any]
) -> None:
    base = f"/api/datasets/{dataset['id']}"
    occ = client.get(f"{base}/occurrence").json()
    by_id = {o["label_id"]: o for o in occ["items"]}
    assert by_id[5]["frames"] == 4 and by_id[5]["name"] == "car"
    assert abs(sum(o["pixel_share"] for o in occ["items"]) - 1) < 1e-9
    assert "sky" in occ["never_labelled"]
    ranked = client.get(f"{base}/occurrence/frames", params={"label": 0}).json()
    pixels = [f["pixels"] for f in ranked["items"]]
    assert ranked["total"] == 20 and pixels == sorted(pixels, reverse=True)
    summary = client.get(f"{base}/summary").json()
    assert summary["frames"] == 21 and summary["errors"] == {"missing_partner": 1}
    assert summary["cameras"] == {"c1": 11, "c2": 10} and summary["sequences"] == 2


def test_sample_sets_keep_their_frames(client: TestClient, dataset: dict[str, Any]) -> None:
    base = f"/api/datasets/{dataset['id']}/sample-sets"
    rule = {"every": 2, "random": 3, "seed": 1}
    created = client.post(base, json={"name": "check", "rule": rule})
    assert created.status_code == 201, created.text
    again = client.get(f"{base}/{created.json()['id']}").json()
    assert again["frame_ids"] == created.json()["frame_ids"] and len(again["frame_ids"]) == 3
    assert client.post(base, json={"name": "check", "rule": rule}).status_code == 409
    assert client.get(base).json()["total"] == 1


def test_a_sample_set_rule_with_an_unknown_key_is_refused_naming_it(
    client: TestClient, dataset: dict[str, Any]
) -> None:
    # given a rule with a typo ("evry" for "every")
    base = f"/api/datasets/{dataset['id']}/sample-sets"
    # when it is saved, then it is refused, naming the key, and no sample set is kept
    typo = client.post(base, json={"name": "check", "rule": {"evry": 20}})
    assert typo.status_code == 422 and "evry" in typo.text
    assert client.get(base).json()["total"] == 0


def test_index_endpoint_runs_the_job_through_the_app_dispatcher(
    client: TestClient, session_factory: sessionmaker[Session], root: Path
) -> None:
    import time

    create_taxonomy(session_factory)
    created = client.post(
        "/api/datasets", json={"name": "ds", "root": str(root), "taxonomy": "tiny", **SPEC}
    ).json()
    started = client.post(f"/api/datasets/{created['id']}/index")
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.3)
    assert job["status"] == "succeeded", job
    assert client.get(f"/api/datasets/{created['id']}").json()["frame_count"] == 21
