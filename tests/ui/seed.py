"""Seed data for UI tests, created through the REST API like any client would."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.jobs import repository as jobs
from ontolabel.jobs.runner import session_factory_for
from ontolabel.models.repository import add_evaluation
from ontolabel.models.tables import EvaluationRecord
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

FINAL = {"succeeded", "failed", "cancelled"}

SOURCE_CLASSES = [
    (0, "road", "#804080"),
    (1, "sidewalk", "#f423e8"),
    (2, "building", "#464646"),
    (8, "vegetation", "#6b8e23"),
    (10, "sky", "#4682b4"),
]
EXTRA_LABELS = ["road", "sidewalk", "building", "wall", "tree", "sky", "unlabeled", "tunnel"]
ROWS = {
    "road": ["road"],
    "sidewalk": ["sidewalk"],
    "building": ["building", "wall"],
    "vegetation": ["tree"],
    "sky": ["sky"],
}


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.is_success, f"{response.request.url}: {response.status_code} {response.text}"
    body: dict[str, Any] = response.json()
    return body


def seed_ontology(api: httpx.Client) -> dict[str, Any]:
    """A source and an extra taxonomy and a mapping between them ("tunnel" left unmapped)."""
    tag = uuid.uuid4().hex[:6]
    source = _ok(
        api.post(
            "/api/taxonomies",
            json={
                "name": f"city-{tag}",
                "kind": "source",
                "description": "urban source classes",
                "classes": [
                    {"id": i, "name": n, "train_id": k, "color": c, "category": "urban"}
                    for k, (i, n, c) in enumerate(SOURCE_CLASSES)
                ],
            },
        )
    )
    extra = _ok(
        api.post(
            "/api/taxonomies",
            json={
                "name": f"apollo-{tag}",
                "kind": "extra",
                "classes": [{"id": i, "name": n} for i, n in enumerate(EXTRA_LABELS)],
            },
        )
    )
    rows = [
        {"source_id": i, "source_name": n, "extra_labels": ROWS[n]} for i, n, _ in SOURCE_CLASSES
    ]
    rows.append({"source_id": 255, "source_name": "void", "extra_labels": ["unlabeled"]})
    mapping = _ok(
        api.post(
            "/api/mappings",
            json={
                "name": f"apollo-to-city-{tag}",
                "extra_taxonomy": extra["name"],
                "source_taxonomy": source["name"],
                "message": "first draft",
                "rows": rows,
            },
        )
    )
    return {"source": source, "extra": extra, "mapping": mapping, "rows": rows}


def save_rows(
    api: httpx.Client, mapping_id: int, base: int, rows: list[dict[str, Any]], message: str
) -> dict[str, Any]:
    return _ok(
        api.put(
            f"/api/mappings/{mapping_id}",
            json={"base_revision": base, "message": message, "rows": rows},
        )
    )


def write_dataset_tree(root: Path, sequences: int = 2, cameras: int = 2, frames: int = 2) -> int:
    """Small RGB images and id label PNGs: ``images|labels/<seq>/<cam>_<frame>.png``."""
    n = 0
    for s in range(sequences):
        for c in range(cameras):
            for f in range(frames):
                rel = f"seq{s}/cam{c}_{f:03d}.png"
                ys, xs = np.mgrid[0:48, 0:96]
                rgb = np.stack(
                    [xs * 2 + 40 * s, ys * 4 + 30 * c, np.full_like(xs, 60 + 20 * f)], -1
                )
                label = np.zeros((48, 96), dtype=np.uint8)
                label[:16] = 5  # sky
                label[16:32] = 2 + (f % 2) * 2  # building or tree
                label[32:] = 0  # road
                if f == 1:
                    label[40:, :20] = 7  # a little tunnel: a rare label
                for sub, arr in (("images", rgb.astype(np.uint8)), ("labels", label)):
                    path = root / sub / rel
                    path.parent.mkdir(parents=True, exist_ok=True)
                    Image.fromarray(arr).save(path)
                n += 1
    return n


def seed_dataset(
    api: httpx.Client, data_root: Path, taxonomy: str, frames_per_camera: int = 2
) -> dict[str, Any]:
    """Registers and indexes a dataset of ``write_dataset_tree`` (waits for the index job)."""
    name = f"drive-{uuid.uuid4().hex[:6]}"
    root = data_root / name
    count = write_dataset_tree(root, frames=frames_per_camera)
    dataset = _ok(
        api.post(
            "/api/datasets",
            json={
                "name": name,
                "root": str(root),
                "taxonomy": taxonomy,
                "preset": "generic",
                "image_regex": r"images/(?P<sequence>[^/]+)/(?P<camera>[^_]+)_(?P<frame>\d+)\.png",
                "label_regex": r"labels/(?P<sequence>[^/]+)/(?P<camera>[^_]+)_(?P<frame>\d+)\.png",
                "description": "",
            },
        )
    )
    job_id = _ok(api.post(f"/api/datasets/{dataset['id']}/index"))["job_id"]
    deadline = time.monotonic() + 30
    while (job := _ok(api.get(f"/api/jobs/{job_id}")))["status"] not in FINAL:
        assert time.monotonic() < deadline, f"index job did not finish: {job}"
        time.sleep(0.1)
    assert job["status"] == "succeeded", job
    return {"dataset": dataset, "frames": count}


# -- training rounds and evaluations ------------------------------------------------------
# Rows a GPU worker's jobs leave, written through the repositories into the UI server's
# database (its home): the UI tests read them, they need not spend minutes making them.


def home_sessions(home: Path) -> sessionmaker[Session]:
    """Sessions on the database of the UI server whose ``ONTOLABEL_HOME`` is ``home``."""
    return session_factory_for(Settings(home=home, database_url=None))


def finished_job(
    factory: sessionmaker[Session], kind: str, params: dict[str, Any], outputs: dict[str, Any]
) -> int:
    """A job row that has succeeded (written in one transaction: no runner sees it queued)."""
    with session_scope(factory) as session:
        job = jobs.add_job(session, kind, params, "alice")
        jobs.finalize_job(session, job.id, "succeeded", outputs=outputs)
        return job.id


def confusion_for(classes: int, quality: float, pixels: int = 10_000) -> list[list[int]]:
    """A ``classes x (classes + 1)`` confusion matrix: about ``quality`` of each row on the
    diagonal (a little less for each later class), the rest spread over the next class and
    the ignore column."""
    rows = []
    for truth in range(classes):
        share = max(0.05, quality - 0.04 * truth)
        row = [0] * (classes + 1)
        row[truth] = int(pixels * share)
        row[(truth + 1) % classes] += int(pixels * (1 - share) * 0.8)
        row[classes] = pixels - sum(row)
        rows.append(row)
    return rows


def seed_evaluation(
    factory: sessionmaker[Session],
    class_names: list[str],
    quality: float,
    model_id: int | None = None,
    job_id: int | None = None,
) -> dict[str, Any]:
    """An evaluation as the ``evaluate`` kind stores it, IoU computed from its matrix."""
    matrix = np.asarray(confusion_for(len(class_names), quality), dtype=np.float64)
    n = len(class_names)
    tp = np.diag(matrix[:, :n])
    iou = tp / (matrix.sum(1) + matrix[:, :n].sum(0) - tp)
    with session_scope(factory) as session:
        record = add_evaluation(
            session,
            EvaluationRecord(
                job_id=job_id,
                model_id=model_id,
                subject=f"quality {quality}",
                class_names=class_names,
                mean_iou=float(iou.mean()),
                per_class_iou=[float(v) for v in iou],
                confusion=matrix.astype(int).tolist(),
                frames=12,
                details={},
            ),
        )
        return {"id": record.id, "mean_iou": record.mean_iou}


def _model(api: httpx.Client, name: str, taxonomy_id: int, job_id: int | None = None) -> int:
    details = {} if job_id is None else {"trained_by_job": job_id}
    body = {"name": name, "taxonomy_id": taxonomy_id, "kind": "hub", "path": f"demo/{name}"}
    return int(_ok(api.post("/api/models", json={**body, "details": details}))["id"])


def seed_round(api: httpx.Client, home: Path) -> dict[str, Any]:
    """A teacher, its pseudo-labels with and without priors, a student trained on each,
    and an evaluation of all three (the student with priors best, the Naive Student worst)."""
    onto = seed_ontology(api)
    tag = onto["source"]["name"].split("-")[-1]
    taxonomy_id, mapping_id = onto["source"]["id"], onto["mapping"]["id"]
    classes = [n for _, n, _ in SOURCE_CLASSES]
    factory = home_sessions(home)
    teacher = _model(api, f"teacher-{tag}", taxonomy_id)
    students: dict[str, int] = {}
    for priors in (True, False):
        label_job = finished_job(
            factory,
            "pseudo_label",
            {
                "model": {"id": teacher},
                "mapping": {"mapping_id": mapping_id, "revision": 1},
                "images_dir": "/data/extra/images",
                "priors": priors,
            },
            {"frames": 40},
        )
        name = f"student-{'priors' if priors else 'naive'}-{tag}"
        train_params = {
            "taxonomy_id": taxonomy_id,
            "register_as": name,
            "data": [
                {"images_dir": "/data/src/images", "labels_dir": "/data/src/labels"},
                {"pseudo_label_job": label_job, "weight": 0.5},
            ],
        }
        train_job = finished_job(factory, "train", train_params, {})
        model = _model(api, name, taxonomy_id, train_job)
        with session_scope(factory) as session:
            job = jobs.get_job(session, train_job)
            assert job is not None
            job.outputs = {"model_id": model}
        students["priors" if priors else "naive"] = model
    evaluations = {
        "teacher": seed_evaluation(factory, classes, 0.70, teacher),
        "priors": seed_evaluation(factory, classes, 0.80, students["priors"]),
        "naive": seed_evaluation(factory, classes, 0.65, students["naive"]),
    }
    return {"teacher": teacher, "students": students, "evaluations": evaluations, "tag": tag}
