"""Seed data for UI tests, created through the REST API like any client would."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

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
            headers={"X-Ontolabel-User": "bob"},
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


def seed_dataset(api: httpx.Client, data_root: Path, taxonomy: str) -> dict[str, Any]:
    """Registers and indexes a dataset of ``write_dataset_tree`` (waits for the index job)."""
    name = f"drive-{uuid.uuid4().hex[:6]}"
    root = data_root / name
    count = write_dataset_tree(root)
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
