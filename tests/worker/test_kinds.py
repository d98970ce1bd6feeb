"""The job kinds through the real runner: pseudo_label on a stored revision, preview, evaluate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.jobs import service as jobs
from ontolabel.jobs.kinds import params_model
from ontolabel.jobs.runner import run_job_inline
from sqlalchemy.orm import Session, sessionmaker

from .conftest import SOURCE_NAMES, segformer_dir, write_frames

EXTRA_NAMES = ["unlabeled", "street", "house", "tree", "sky", "pedestrian", "rider", "wall"]
ROWS = [
    {"source_id": 0, "source_name": "road", "extra_labels": ["street"]},
    {"source_id": 1, "source_name": "building", "extra_labels": ["house"]},
    {"source_id": 2, "source_name": "vegetation", "extra_labels": ["tree"]},
    {"source_id": 3, "source_name": "sky", "extra_labels": ["sky"]},
    {"source_id": 4, "source_name": "person", "extra_labels": ["pedestrian", "rider"]},
    {"source_id": 255, "source_name": "void", "extra_labels": ["unlabeled", "house"]},
]


def _taxonomy(client: TestClient, name: str, kind: str, names: list[str]) -> int:
    classes = [{"id": i, "name": n} for i, n in enumerate(names)]
    response = client.post("/api/taxonomies", json={"name": name, "kind": kind, "classes": classes})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _run(
    factory: sessionmaker[Session], settings: Settings, kind: str, params: dict[str, Any]
) -> Any:
    contract = params_model(kind)
    assert contract is not None
    with session_scope(factory) as session:
        job_id = jobs.create_job(session, settings, contract.model_validate(params), "test").id
    assert run_job_inline(settings, job_id) == "succeeded", _why(factory, job_id)
    with factory() as session:
        return jobs.get_job(session, job_id)


def _why(factory: sessionmaker[Session], job_id: int) -> str:
    with factory() as session:
        job = jobs.get_job(session, job_id)
        return f"{job.status}: {job.error}"


def test_label_preview_and_evaluate_through_jobs(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given taxonomies, a stored mapping, a registered teacher and frames under a data root
    source_id = _taxonomy(client, "src", "source", SOURCE_NAMES)
    _taxonomy(client, "ext", "extra", EXTRA_NAMES)
    created = client.post(
        "/api/mappings",
        json={
            "name": "ext-to-src",
            "extra_taxonomy": "ext",
            "source_taxonomy": "src",
            "rows": ROWS,
        },
    )
    assert created.status_code == 201, created.text
    mapping_id = created.json()["id"]
    revision = {"mapping_id": mapping_id, "revision": 1}
    teacher = segformer_dir(settings.allowed_data_roots[0] / "teacher", SOURCE_NAMES)
    model = client.post(
        "/api/models",
        json={"name": "teacher", "taxonomy_id": source_id, "kind": "hf_dir", "path": str(teacher)},
    )
    assert model.status_code == 201, model.text
    model_id = model.json()["id"]
    images, labels = write_frames(Path(settings.data_roots), ["s/a", "s/b", "c"])
    common = {"model": {"id": model_id}, "images_dir": str(images), "labels_dir": str(labels)}
    light = {"scales": [1.0], "flip": True}
    options = {"device": "cpu", "num_workers": 0, "chunk_frames": 2}

    # when a pseudo_label job runs on the stored revision
    job = _run(
        session_factory, settings, "pseudo_label",
        {**common, "mapping": revision, "tta": light, "options": options},
    )  # fmt: skip
    # then labels mirror the label paths and the manifest pins revision and model
    out = settings.outputs / str(job.id)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == [
        "c.png", "s/a.png", "s/b.png",
    ]  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["mapping"]["mapping_id"] == mapping_id
    assert manifest["mapping"]["revision"] == 1 and manifest["model"]["name"] == "teacher"
    assert job.outputs["labelled"] == 3

    # when teacher probabilities are cached and a preview is asked for (saved, then draft)
    _run(session_factory, settings, "preview", {**common, "tta": light, "device": "cpu"})
    url = f"/api/previews/model-{model_id}/s/a"
    saved = client.post(url, json={"mapping_id": mapping_id})
    assert saved.status_code == 200, saved.text
    assert saved.json()["pseudo_label"].startswith("data:image/png;base64,")
    assert saved.json()["revision"] == 1
    draft_rows = [{**ROWS[0], "extra_labels": ["street", "unlabeled"]}, *ROWS[1:5], ROWS[5]]
    draft_rows[5] = {**ROWS[5], "extra_labels": ["house"]}
    draft = client.post(url, json={"mapping_id": mapping_id, "rows": draft_rows})
    assert draft.status_code == 200 and draft.json()["revision"] is None
    # then mapping 'unlabeled' to road instead of void leaves fewer pixels ignored
    assert draft.json()["ignored"] < saved.json()["ignored"]
    missing = client.post(f"/api/previews/model-{model_id}/nope", json={"mapping_id": mapping_id})
    assert missing.status_code == 404 and "preview job" in missing.json()["detail"]

    # when the pseudo-labels are evaluated against the extra ground truth through the mapping
    evaluation = _run(
        session_factory, settings, "evaluate",
        {"predictions_dir": str(out), "labels_dir": str(labels), "class_ids": [0, 1, 2, 3, 4],
         "class_names": SOURCE_NAMES, "mapping": revision},
    )  # fmt: skip
    # then the result is stored and served
    served = client.get(f"/api/models/evaluations/{evaluation.outputs['evaluation_id']}")
    assert served.status_code == 200, served.text
    body = served.json()
    assert body["frames"] == 3 and len(body["confusion"]) == 5
    # unambiguous labels are kept exactly by the constraint: road, vegetation, sky, person
    assert all(body["per_class_iou"][c] == 1.0 for c in (0, 2, 3, 4))

    # when the teacher itself is evaluated (inference inside the job), it is stored for it
    scored = _run(
        session_factory, settings, "evaluate",
        {**common, "class_ids": [0, 1, 2, 3, 4], "class_names": SOURCE_NAMES,
         "mapping": revision, "tta": light, "device": "cpu"},
    )  # fmt: skip
    listed = client.get("/api/models/evaluations", params={"model_id": model_id}).json()
    assert [e["id"] for e in listed["items"]] == [scored.outputs["evaluation_id"]]
    assert 0 <= listed["items"][0]["mean_iou"] < 1


def test_a_preview_job_refuses_frame_paths_outside_the_allowed_roots(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given a registered teacher and an image outside every allowed root
    source_id = _taxonomy(client, "src", "source", SOURCE_NAMES)
    teacher = segformer_dir(settings.allowed_data_roots[0] / "teacher", SOURCE_NAMES)
    model = client.post(
        "/api/models",
        json={"name": "teacher", "taxonomy_id": source_id, "kind": "hf_dir", "path": str(teacher)},
    )
    assert model.status_code == 201, model.text
    outside = settings.home.parent / "elsewhere"
    images, _ = write_frames(outside, ["a"])
    # when a client names that file in a preview job's frames
    frames = [{"key": "a", "image": str(images / "a.jpg")}]
    body = {"kind": "preview", "params": {"model": {"id": model.json()["id"]}, "frames": frames}}
    response = client.post("/api/jobs", json=body)
    # then the job is refused naming the field, nothing is queued and nothing was cached
    assert response.status_code == 403, response.text
    assert "params.frames[0].image" in response.json()["detail"]
    assert client.get("/api/jobs").json()["total"] == 0
    assert not list((settings.home / "cache").rglob("*.npz"))


def _pseudo_label_job(client: TestClient, settings: Settings, factory: Any) -> tuple[int, Any]:
    """A planned 3-chunk pseudo_label job whose first chunk ran (one frame labelled)."""
    from ontolabel.jobs import repository, runner

    source_id = _taxonomy(client, "src", "source", SOURCE_NAMES)
    _taxonomy(client, "ext", "extra", EXTRA_NAMES)
    mapping = client.post(
        "/api/mappings",
        json={"name": "m", "extra_taxonomy": "ext", "source_taxonomy": "src", "rows": ROWS},
    ).json()
    teacher = segformer_dir(settings.outputs / "teacher", SOURCE_NAMES)
    model = client.post(
        "/api/models",
        json={"name": "teacher", "taxonomy_id": source_id, "kind": "hf_dir", "path": str(teacher)},
    ).json()
    images, labels = write_frames(Path(settings.data_roots), ["a", "b", "c"])
    params = {
        "model": {"id": model["id"]}, "images_dir": str(images), "labels_dir": str(labels),
        "mapping": {"mapping_id": mapping["id"], "revision": 1}, "tta": {"scales": [1.0]},
        "options": {"device": "cpu", "num_workers": 0, "chunk_frames": 1},
    }  # fmt: skip
    contract = params_model("pseudo_label")
    assert contract is not None
    with session_scope(factory) as session:
        job_id = jobs.create_job(session, settings, contract.model_validate(params), "t").id
    owner = runner.new_owner()
    chunks = runner.plan_job(settings, factory, job_id, owner).chunk_ids
    assert runner.run_chunk(settings, factory, job_id, chunks[0], owner) is runner.ChunkOutcome.DONE
    with factory() as session:
        return job_id, repository.chunks_of(session, job_id)[1]


def _manifest(settings: Settings, job_id: int) -> Any:
    return json.loads((settings.outputs / str(job_id) / "manifest.json").read_text())


def test_a_cancelled_pseudo_label_job_s_manifest_says_it_is_partial(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    from ontolabel.jobs import runner

    # given a job one frame in, then cancelled
    job_id, second = _pseudo_label_job(client, settings, session_factory)
    with session_scope(session_factory) as session:
        jobs.cancel_job(session, job_id, "t")

    # when the next chunk notices
    runner.run_chunk(settings, session_factory, job_id, second.id, runner.new_owner())

    # then the folder's manifest says cancelled, partial, 1 of 3, and lists that frame only
    manifest = _manifest(settings, job_id)
    assert (manifest["status"], manifest["partial"]) == ("cancelled", True)
    assert (manifest["done"], manifest["total"]) == (1, 3)
    assert list(manifest["frames"]) == ["a"]


def test_a_failed_pseudo_label_job_s_manifest_says_why(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    from ontolabel.jobs import runner
    from ontolabel.jobs.tables import JobChunk
    from sqlalchemy import update

    # given a job one frame in whose next chunk has used up its deliveries (its workers died)
    job_id, second = _pseudo_label_job(client, settings, session_factory)
    with session_scope(session_factory) as session:
        limit = settings.max_deliveries
        session.execute(update(JobChunk).where(JobChunk.id == second.id).values(deliveries=limit))

    # when it is delivered once more, the job fails
    runner.run_chunk(settings, session_factory, job_id, second.id, runner.new_owner())

    # then the manifest says failed, with the error, and which frames are complete
    manifest = _manifest(settings, job_id)
    assert (manifest["status"], manifest["partial"]) == ("failed", True)
    assert "delivered" in manifest["error"] and manifest["done"] == 1
    assert list(manifest["frames"]) == ["a"]
