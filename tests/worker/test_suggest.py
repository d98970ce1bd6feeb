"""Suggestions on the demo world, by CLI and by REST job: a planted missing cell and a
planted wrong cell are found.

The planted mapping (demo-coarse → demo-fine) lacks ``sky`` in the row of sky (the missing
cell: sky pixels become 255) and lists ``sidewalk`` under road instead of sidewalk (the
wrong cell: every sidewalk pixel is forced to road). The teacher is a colour classifier fitted
on demo-source (``colour_teacher``), run through the real model code.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from ontolabel.cli.main import cli
from ontolabel.core.config import Settings
from ontolabel.demo.scenes import FINE_CLASSES
from ontolabel.demo.world import COARSE, DATASETS, install_demo, write_catalog, write_dataset
from ontolabel.domain.formats.reference import write_labels_csv

from .colour_teacher import colour_teacher_dir

FRAMES, SIZE = 24, (96, 48)
SOURCE_NAMES = [name for name, _ in FINE_CLASSES]
PLANTED_ROWS = {
    "road": ["road", "sidewalk"], "marking": ["lane-marking"], "sidewalk": [],
    "building": ["building", "background"], "vegetation": ["tree"], "terrain": ["grass"],
    "sky": [], "car": ["car", "truck"], "person": ["pedestrian"], "pole": ["pole"],
    "sign": ["traffic-sign", "background"], "void": ["background"],
}  # fmt: skip
MISSING = ("sky", "sky")
WRONG = ("road", "sidewalk")


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's source and coarse datasets (as ``install_demo`` writes them) and a teacher."""
    root = tmp_path_factory.mktemp("demo")
    for spec in DATASETS:
        if spec.name in ("demo-source", "demo-coarse"):
            write_dataset(root / spec.name, spec, FRAMES, SIZE)
    write_catalog(root / "ontologies")
    colour_teacher_dir(root / "teacher", root / "demo-source", SOURCE_NAMES)
    return root


def _planted_csv(path: Path) -> Path:
    ids = {name: i for i, name in enumerate(SOURCE_NAMES)} | {"void": 255}
    lines = ["id,name"] + [
        ",".join([str(ids[source]), source, *labels]) for source, labels in PLANTED_ROWS.items()
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _pairs(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(item["source"], item["extra"]) for item in items]


def _assert_planted_cells_found(lists: dict[str, Any]) -> None:
    assert _pairs(lists["add"])[0] == MISSING, lists["add"][:3]
    assert WRONG in _pairs(lists["remove"])[:3], lists["remove"][:3]
    assert WRONG in _pairs(lists["conflicts"]["cells"])[:3], lists["conflicts"]["cells"][:3]


def test_suggest_cli_finds_the_planted_cells(demo: Path, cli_home: Path, tmp_path: Path) -> None:
    # given the coarse frames, their labels.csv and the planted mapping as a reference CSV
    coarse = demo / "demo-coarse"
    extra = tmp_path / "labels.csv"
    extra.write_text(write_labels_csv(COARSE))
    mapping = _planted_csv(tmp_path / "master_labels_planted.csv")
    args = [
        "suggest", "--model", str(demo / "teacher"), "--images", str(coarse / "images"),
        "--labels", str(coarse / "labels"), "--extra", str(extra), "--mapping", str(mapping),
        "--device", "cpu",
    ]  # fmt: skip
    # when `ontolabel suggest --json` runs
    result = CliRunner().invoke(cli, [*args, "--json"])
    # then it prints the three ranked lists, the planted cells at the top
    assert result.exit_code == 0, result.output
    lists = json.loads(result.stdout)
    assert set(lists) == {"add", "remove", "conflicts"}
    _assert_planted_cells_found(lists)
    first = lists["add"][0]
    assert set(first) == {"source", "extra", "score", "frames"} and first["score"] > 0.9
    # every frame shows sky, so each is evidence; frames are label paths under --labels
    assert len(first["frames"]) == 10 and all(
        (coarse / "labels" / f).is_file() for f in first["frames"]
    )
    frames = lists["conflicts"]["frames"]
    assert {"frame", "score"} == set(frames[0]) and frames[0]["score"] >= frames[-1]["score"]
    # and without --json a table a person reads
    table = CliRunner().invoke(cli, args)
    assert table.exit_code == 0, table.output
    assert "add (" in table.output and "sky" in table.output and "frames to review" in table.output


def test_an_unreadable_frame_is_reported_and_the_others_counted(
    demo: Path, cli_home: Path, tmp_path: Path
) -> None:
    # given four coarse frames, one of whose images is not an image
    coarse = demo / "demo-coarse"
    keys = sorted(p.relative_to(coarse / "labels") for p in (coarse / "labels").rglob("*.png"))[:4]
    for key in keys:
        for part in ("images", "labels"):
            (tmp_path / part / key).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(coarse / part / key, tmp_path / part / key)
    (tmp_path / "images" / keys[0]).write_bytes(b"not a png")
    extra = tmp_path / "labels.csv"
    extra.write_text(write_labels_csv(COARSE))
    mapping = _planted_csv(tmp_path / "planted.csv")
    # when `ontolabel suggest` runs on them
    result = CliRunner().invoke(
        cli,
        [
            "suggest", "--model", str(demo / "teacher"), "--images", str(tmp_path / "images"),
            "--labels", str(tmp_path / "labels"), "--extra", str(extra), "--mapping",
            str(mapping), "--device", "cpu",
        ],
    )  # fmt: skip
    # then the job succeeds on the three others and says one frame failed
    assert result.exit_code == 0, result.output
    assert "3 frame(s), 1 error(s)" in result.output


def _job(client: TestClient, params: dict[str, Any]) -> dict[str, Any]:
    created = client.post("/api/jobs", json=params)
    assert created.status_code == 201, created.text
    job = created.json()
    deadline = time.monotonic() + 300
    while job["status"] not in ("succeeded", "failed", "cancelled"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        job = client.get(f"/api/jobs/{job['id']}").json()
    assert job["status"] == "succeeded", job["error"]
    return job


def test_suggest_job_over_a_dataset_finds_the_planted_cells_and_reuses_previews(
    demo: Path, client: TestClient, settings: Settings
) -> None:
    # given the demo world installed, the planted mapping stored and the teacher registered
    install_demo(settings, frames_per_dataset=FRAMES, size=SIZE, echo=lambda _m: None)
    datasets = client.get("/api/datasets").json()["items"]
    dataset = next(d for d in datasets if d["name"] == "demo-coarse")
    taxonomies = {t["name"]: t["id"] for t in client.get("/api/taxonomies").json()["items"]}
    ids = {name: i for i, name in enumerate(SOURCE_NAMES)} | {"void": 255}
    rows = [
        {"source_id": ids[s], "source_name": s, "extra_labels": labels}
        for s, labels in PLANTED_ROWS.items()
    ]
    body = {"name": "planted", "extra_taxonomy": "demo-coarse", "source_taxonomy": "demo-fine"}
    mapping = client.post("/api/mappings", json={**body, "rows": rows})
    assert mapping.status_code == 201, mapping.text
    teacher = shutil.copytree(demo / "teacher", settings.outputs / "teacher")
    model = client.post(
        "/api/models",
        json={
            "name": "colour-teacher", "taxonomy_id": taxonomies["demo-fine"], "kind": "hf_dir",
            "path": str(teacher),
        },
    )  # fmt: skip
    assert model.status_code == 201, model.text
    frames = client.get(f"/api/datasets/{dataset['id']}/frames", params={"limit": 4}).json()
    cached = [f["id"] for f in frames["items"]][:4]
    light = {"scales": [1.0], "flip": False}
    common = {"model": {"id": model.json()["id"]}, "dataset_id": dataset["id"]}
    _job(client, {"kind": "preview", "params": {**common, "frame_ids": cached, "tta": light}})
    # when a suggest job runs over the dataset with the planted mapping's head revision
    mapping_ref = {"mapping_id": mapping.json()["id"]}
    job = _job(
        client,
        {"kind": "suggest", "params": {**common, "mapping": mapping_ref, "device": "cpu"}},
    )
    # then its outputs hold the same lists, the planted cells at the top
    outputs = job["outputs"]
    _assert_planted_cells_found(outputs)
    assert outputs["frames"] == FRAMES and outputs["errors"] == 0
    assert outputs["mapping"]["revision"] == 1
    # the frames the lists name link to the frame view by id
    named = outputs["conflicts"]["frames"][0]["frame"]
    frame = client.get(f"/api/frames/{outputs['frame_ids'][named]}").json()
    assert frame["label_path"].endswith(named)
    # the heatmap's matrix covers every cell
    matrix = outputs["matrix"]
    assert matrix["source"] == SOURCE_NAMES and len(matrix["pixels"]) == len(matrix["extra"])
    row = matrix["extra"].index("sidewalk")
    assert matrix["allowed"][row][SOURCE_NAMES.index("road")] is True
    assert matrix["conflict"][row][SOURCE_NAMES.index("road")] > 0.5
    # and the preview job's cached probabilities were read, not recomputed
    assert outputs["from_preview_cache"] == 4
    # when it runs again over a sample set of every other frame
    sample = client.post(
        f"/api/datasets/{dataset['id']}/sample-sets",
        json={"name": "every 2nd", "rule": {"every": 2}},
    )
    assert sample.status_code == 201, sample.text
    chosen = {**common, "mapping": mapping_ref, "sample_set_id": sample.json()["id"]}
    again = _job(client, {"kind": "suggest", "params": {**chosen, "device": "cpu"}})
    # then it reads only those frames, and still finds the planted cells
    assert again["outputs"]["frames"] == len(sample.json()["frame_ids"]) < FRAMES
    _assert_planted_cells_found(again["outputs"])
    # and a sample set of no such dataset is refused, naming the field
    missing = {**chosen, "sample_set_id": sample.json()["id"] + 100}
    refused = client.post("/api/jobs", json={"kind": "suggest", "params": missing})
    assert refused.status_code == 422 and "sample_set_id" in refused.text, refused.text


def test_a_bad_threshold_is_refused_naming_the_field(client: TestClient) -> None:
    # given a suggest job asking for a share above 1
    params = {
        "model": {"id": 1}, "dataset_id": 1, "mapping": {"mapping_id": 1},
        "options": {"add_min_share": 2},
    }  # fmt: skip
    # when it is posted, then it is refused before anything is queued
    response = client.post("/api/jobs", json={"kind": "suggest", "params": params})
    assert response.status_code == 422 and "add_min_share" in response.text
    assert client.get("/api/jobs").json()["total"] == 0
