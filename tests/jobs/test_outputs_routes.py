"""``/api/jobs/{id}/outputs``: a succeeded pseudo_label job's frames, and each label coloured."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from datasets.factories import index
from fastapi.testclient import TestClient
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.datasets.tables import Frame
from ontolabel.jobs import repository as jobs
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from .pseudo_label_output import PROVENANCE, finished_pseudo_label_job

SOURCE = [("road", "#804080"), ("building", "#464646"), ("sky", "#4682b4")]
EXTRA = ["street", "house", "sky"]
ROWS = [
    {"source_id": 0, "source_name": "road", "extra_labels": ["street"]},
    {"source_id": 1, "source_name": "building", "extra_labels": ["house"]},
    {"source_id": 2, "source_name": "sky", "extra_labels": ["sky"]},
]


@dataclass
class Labelled:
    job_id: int
    frame_ids: list[int]
    out: Path


def _created(client: TestClient, url: str, body: dict[str, object]) -> int:
    response = client.post(url, json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
def labelled(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> Labelled:
    """Three indexed frames; a finished job labelled two of them, the third failed."""
    source = [{"id": i, "name": n, "color": c} for i, (n, c) in enumerate(SOURCE)]
    source_id = _created(
        client, "/api/taxonomies", {"name": "src", "kind": "source", "classes": source}
    )
    extra = [{"id": i, "name": n} for i, n in enumerate(EXTRA)]
    _created(client, "/api/taxonomies", {"name": "ext", "kind": "extra", "classes": extra})
    mapping_id = _created(
        client,
        "/api/mappings",
        {"name": "ext-to-src", "extra_taxonomy": "ext", "source_taxonomy": "src", "rows": ROWS},
    )
    root = Path(settings.data_roots) / "three"
    for n in range(3):
        Image.fromarray(np.full((8, 16, 3), 90, np.uint8)).save(_mk(root / f"images/f{n}.png"))
        Image.fromarray(np.full((8, 16), n, np.uint8)).save(_mk(root / f"labels/f{n}.png"))
    dataset_id = _created(
        client,
        "/api/datasets",
        {"name": "three", "root": str(root), "taxonomy": "ext", "preset": "generic"},
    )
    assert index(session_factory, settings, dataset_id)[0] == "succeeded"
    model = {"name": "teacher", "taxonomy_id": source_id, "kind": "hub", "path": "demo/teacher"}
    model_id = _created(client, "/api/models", model)
    with session_factory() as session:
        frames = session.query(Frame).filter_by(dataset_id=dataset_id).order_by(Frame.id).all()
        paths = [(f.id, str(f.label_path)) for f in frames]
    ids = np.zeros((8, 16), np.uint8)
    ids[4:] = 2  # road above sky
    out = settings.outputs / "labelled"
    job_id = finished_pseudo_label_job(
        session_factory,
        out,
        dataset_id=dataset_id,
        mapping_id=mapping_id,
        model_id=model_id,
        labels={i: (p, ids) for i, p in paths[:2]},
        errors={paths[2][0]: "label PNG is truncated"},
    )
    return Labelled(job_id, [i for i, _ in paths], out)


def _mk(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_outputs_list_the_manifest_frames_with_their_pngs(
    client: TestClient, labelled: Labelled
) -> None:
    # when
    response = client.get(f"/api/jobs/{labelled.job_id}/outputs")
    # then every frame is listed in id order, the failed one with its error
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 3
    assert body["provenance"] == PROVENANCE
    assert body["folder"] == str(labelled.out.resolve())
    assert [i["frame_id"] for i in body["items"]] == labelled.frame_ids
    first, _, failed = body["items"]
    assert first["png"] == "labels/f0.png" and first["provenance"] == PROVENANCE
    assert failed["png"] is None and failed["error"] == "label PNG is truncated"
    # and a page is a page
    page = client.get(f"/api/jobs/{labelled.job_id}/outputs", params={"offset": 1, "limit": 1})
    assert [i["frame_id"] for i in page.json()["items"]] == labelled.frame_ids[1:2]


def test_a_label_comes_back_in_the_source_taxonomy_colours(
    client: TestClient, labelled: Labelled
) -> None:
    # when
    response = client.get(f"/api/jobs/{labelled.job_id}/outputs/{labelled.frame_ids[0]}.png")
    # then road is road's colour, sky sky's
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    rgb = np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB"))
    assert tuple(rgb[0, 0]) == (0x80, 0x40, 0x80)
    assert tuple(rgb[7, 0]) == (0x46, 0x82, 0xB4)


def test_missing_things_are_404s(client: TestClient, labelled: Labelled) -> None:
    job, (first, _, failed) = labelled.job_id, labelled.frame_ids
    assert client.get("/api/jobs/999999/outputs").status_code == 404
    assert client.get(f"/api/jobs/{job}/outputs/999999.png").status_code == 404
    # a frame whose labelling failed has no PNG
    assert client.get(f"/api/jobs/{job}/outputs/{failed}.png").status_code == 404
    # a PNG deleted since
    (labelled.out / "labels/f0.png").unlink()
    gone = client.get(f"/api/jobs/{job}/outputs/{first}.png")
    assert gone.status_code == 404 and "is gone" in gone.json()["detail"]


def test_a_job_of_another_kind_or_unfinished_has_no_outputs(
    client: TestClient, labelled: Labelled, session_factory: sessionmaker[Session]
) -> None:
    # given a train job pointing at the same folder, and a pseudo_label job still queued
    with session_scope(session_factory) as session:
        train = jobs.add_job(session, "train", {}, "alice")
        jobs.finalize_job(session, train.id, "succeeded", outputs={"output_dir": str(labelled.out)})
        queued = jobs.add_job(session, "pseudo_label", {"dataset_id": 1}, "alice")
        train_id, queued_id = train.id, queued.id
    # then neither lists outputs, and each says why
    refused = client.get(f"/api/jobs/{train_id}/outputs")
    assert refused.status_code == 404
    assert "only pseudo_label jobs" in refused.json()["detail"]
    pending = client.get(f"/api/jobs/{queued_id}/outputs/{labelled.frame_ids[0]}.png")
    assert pending.status_code == 404
    assert "browsable once it succeeded" in pending.json()["detail"]


def test_a_label_path_leading_out_of_the_folder_is_refused(
    client: TestClient, labelled: Labelled, session_factory: sessionmaker[Session]
) -> None:
    # given a frame row whose label path climbs out (as a tampered database might hold)
    outside = labelled.out.parent / "secret.png"
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(outside)
    with session_scope(session_factory) as session:
        frame = session.get(Frame, labelled.frame_ids[0])
        assert frame is not None
        frame.label_path = "../secret.png"
    # when its output is asked for
    response = client.get(f"/api/jobs/{labelled.job_id}/outputs/{labelled.frame_ids[0]}.png")
    # then it is refused, not served
    assert response.status_code == 403, response.text
    assert "may not contain '..'" in response.json()["detail"]
