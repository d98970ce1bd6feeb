"""Only what changed: a rerun after a mapping edit relabels the frames holding its labels.

An indexed dataset of six frames, each holding two extra labels; a pseudo_label job on
revision 1; an edit of one row; the stale count (API and CLI); a rerun into the same folder;
and a full relabel into a fresh one to compare with, byte for byte.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from datasets.factories import index
from fastapi.testclient import TestClient
from ontolabel.cli.main import cli
from ontolabel.core.config import Settings, get_settings
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from .conftest import SOURCE_NAMES, segformer_dir
from .test_kinds import EXTRA_NAMES, ROWS, _run, _taxonomy

# extra ids per frame: street 1, house 2, tree 3, sky 4, pedestrian 5, rider 6, wall 7
LABELS = {"f0": (1, 3), "f1": (1, 4), "f2": (3, 5), "f3": (2, 4), "f4": (0, 6), "f5": (1, 7)}
TREE = 3


@dataclass
class World:
    dataset_id: int
    mapping_id: int
    model_id: int
    frame_ids: dict[str, int]


def _write_frames(root: Path) -> None:
    rng = np.random.default_rng(0)
    for key, ids in LABELS.items():
        label = np.zeros((32, 64), dtype=np.uint8)
        for band, rows in enumerate(np.array_split(np.arange(32), len(ids))):
            label[rows, :] = ids[band]
        for folder, array, ext in (
            ("images", rng.integers(0, 255, (32, 64, 3), dtype=np.uint8), "jpg"),
            ("labels", label, "png"),
        ):
            (root / folder).mkdir(parents=True, exist_ok=True)
            Image.fromarray(array).save(root / folder / f"{key}.{ext}")


@pytest.fixture
def world(client: TestClient, settings: Settings, session_factory: sessionmaker[Session]) -> World:
    source_id = _taxonomy(client, "src", "source", SOURCE_NAMES)
    _taxonomy(client, "ext", "extra", EXTRA_NAMES)
    mapping = client.post(
        "/api/mappings",
        json={
            "name": "ext-to-src",
            "extra_taxonomy": "ext",
            "source_taxonomy": "src",
            "rows": ROWS,
        },
    )
    assert mapping.status_code == 201, mapping.text
    root = Path(settings.data_roots) / "six"
    _write_frames(root)
    dataset = client.post(
        "/api/datasets",
        json={"name": "six", "root": str(root), "taxonomy": "ext", "preset": "generic"},
    )
    assert dataset.status_code == 201, dataset.text
    assert index(session_factory, settings, dataset.json()["id"])[0] == "succeeded"
    teacher = segformer_dir(settings.outputs / "teacher", SOURCE_NAMES)
    model = client.post(
        "/api/models",
        json={"name": "teacher", "taxonomy_id": source_id, "kind": "hf_dir", "path": str(teacher)},
    )
    assert model.status_code == 201, model.text
    frames = client.get(f"/api/datasets/{dataset.json()['id']}/frames").json()["items"]
    return World(
        dataset.json()["id"],
        mapping.json()["id"],
        model.json()["id"],
        {Path(f["label_path"]).stem: f["id"] for f in frames},
    )


def _label(
    world: World,
    factory: sessionmaker[Session],
    settings: Settings,
    revision: int,
    out: Path,
) -> Any:
    # batch_size 1: every frame's forward pass runs alone, whichever frames a run relabels
    options = {"device": "cpu", "num_workers": 0, "chunk_frames": 2, "batch_size": 1}
    return _run(
        factory, settings, "pseudo_label",
        {"model": {"id": world.model_id}, "dataset_id": world.dataset_id,
         "mapping": {"mapping_id": world.mapping_id, "revision": revision},
         "tta": {"scales": [1.0], "flip": False}, "options": options, "output_dir": str(out)},
    )  # fmt: skip


def _edit_tree_row(client: TestClient, world: World) -> None:
    """Revision 2: building may also appear under tree (tree's allowed set changes)."""
    rows = [dict(r) for r in ROWS]
    rows[1] = {**rows[1], "extra_labels": ["house", "tree"]}
    saved = client.put(
        f"/api/mappings/{world.mapping_id}",
        json={"base_revision": 1, "rows": rows, "message": "trees hide buildings"},
    )
    assert saved.status_code == 200, saved.text


def _stamps(world: World, out: Path) -> dict[str, tuple[int, int]]:
    """Frame id → (inode, mtime) of its pseudo-label: an atomic rewrite changes both."""
    stamps = {}
    for stem, frame_id in world.frame_ids.items():
        stat = (out / "labels" / f"{stem}.png").stat()
        stamps[str(frame_id)] = (stat.st_ino, stat.st_mtime_ns)
    return stamps


def _stale(client: TestClient, world: World, out: Path, revision: int) -> dict[str, Any]:
    response = client.get(
        f"/api/datasets/{world.dataset_id}/stale",
        params={"folder": str(out), "mapping_id": world.mapping_id, "revision": revision},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_rerun_after_one_row_edit_relabels_exactly_the_frames_holding_its_labels(
    client: TestClient,
    settings: Settings,
    session_factory: sessionmaker[Session],
    world: World,
) -> None:
    # given a folder labelled with revision 1, and revision 2 changing tree's allowed set
    out = settings.outputs / "labels"
    first = _label(world, session_factory, settings, 1, out)
    assert first.outputs["labelled"] == 6
    old = json.loads((out / "manifest.json").read_text())["provenance"]
    _edit_tree_row(client, world)
    holding_tree = client.get(
        f"/api/datasets/{world.dataset_id}/occurrence/frames", params={"label": TREE}
    ).json()
    tree_frames = {str(item["id"]) for item in holding_tree["items"]}
    assert holding_tree["total"] == len(tree_frames) == 2

    # when the stale count is asked for: revision 1 leaves nothing stale, revision 2 the trees
    assert _stale(client, world, out, 1)["stale"] == 0
    stale = _stale(client, world, out, 2)
    # then it is the occurrence index's count of frames holding tree
    assert stale["stale"] == holding_tree["total"] and stale["kept"] == 4
    assert stale["message"] == "2 frames stale"
    assert [g["changed_labels"] for g in stale["provenances"]] == [[TREE]]
    assert stale["provenances"][0]["mapping"]["revision"] == 1

    # when pseudo_label reruns on revision 2 into the same folder
    before = _stamps(world, out)
    second = _label(world, session_factory, settings, 2, out)
    after = _stamps(world, out)
    # then exactly the frames holding tree were rewritten; the others' PNGs are untouched
    rewritten = {key for key in before if before[key] != after[key]}
    assert rewritten == tree_frames
    assert second.outputs["labelled"] == 6 and second.outputs["carried_over"] == 4
    # and every frame's report names the new provenance; kept ones say which run wrote them
    manifest = json.loads((out / "manifest.json").read_text())
    new = manifest["provenance"]
    assert {f["provenance"] for f in manifest["frames"].values()} == {new}
    carried = {k: f["carried_from"] for k, f in manifest["frames"].items() if "carried_from" in f}
    assert set(carried) == set(before) - tree_frames
    assert set(carried.values()) == {old} != {new}
    assert manifest["provenances"][new]["mapping"]["revision"] == 2
    assert all(manifest["provenances"][d]["mapping"]["revision"] == 1 for d in carried.values())
    assert _stale(client, world, out, 2)["stale"] == 0

    # when the same revision labels every frame afresh in another folder
    fresh = settings.outputs / "fresh"
    _label(world, session_factory, settings, 2, fresh)
    # then the rerun's outputs are byte-identical to the full relabel
    assert len(before) == 6
    for stem in world.frame_ids:
        rel = Path("labels") / f"{stem}.png"
        assert (out / rel).read_bytes() == (fresh / rel).read_bytes(), stem


def test_a_label_rewritten_since_indexing_is_relabelled_not_kept(
    client: TestClient,
    settings: Settings,
    session_factory: sessionmaker[Session],
    world: World,
) -> None:
    # given a folder labelled with revision 1, revision 2, and one tree-free label file
    # rewritten after the index read it
    out = settings.outputs / "labels"
    _label(world, session_factory, settings, 1, out)
    _edit_tree_row(client, world)
    label = Path(settings.data_roots) / "six" / "labels" / "f1.png"
    stat = label.stat()
    os.utime(label, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    before = _stamps(world, out)
    # when pseudo_label reruns on revision 2
    second = _label(world, session_factory, settings, 2, out)
    # then that frame is relabelled too (the index no longer vouches for its labels)
    after = _stamps(world, out)
    rewritten = {key for key in before if before[key] != after[key]}
    assert rewritten == {str(world.frame_ids[k]) for k in ("f0", "f1", "f2")}
    assert second.outputs["carried_over"] == 3


def test_the_cli_prints_the_stale_count(
    client: TestClient,
    settings: Settings,
    session_factory: sessionmaker[Session],
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a folder labelled with revision 1 and an edit of tree's row
    out = settings.outputs / "labels"
    _label(world, session_factory, settings, 1, out)
    _edit_tree_row(client, world)
    # when the CLI is asked how stale it is against the head
    monkeypatch.setenv("ONTOLABEL_HOME", str(settings.home))
    monkeypatch.setenv("ONTOLABEL_DATABASE_URL", settings.database_url or "")
    monkeypatch.setenv("ONTOLABEL_DATA_ROOTS", str(settings.data_roots))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli, ["dataset", "stale", "six", "--folder", str(out), "--mapping", "ext-to-src"]
        )
    finally:
        get_settings.cache_clear()
    # then it prints the count
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 frames stale of 6 in ")
    assert "(revision 2)" in result.output


def test_the_stale_count_refuses_folders_it_cannot_read_naming_the_field(
    client: TestClient, settings: Settings, world: World
) -> None:
    url = f"/api/datasets/{world.dataset_id}/stale"
    empty = settings.outputs / "empty"
    empty.mkdir(parents=True)
    outside = settings.home.parent / "elsewhere"
    outside.mkdir()
    cases = [
        ({"folder": str(outside), "mapping_id": world.mapping_id}, 403, "folder"),
        ({"folder": str(empty), "mapping_id": world.mapping_id}, 404, "folder"),
        ({"folder": str(empty), "mapping_id": 999}, 404, "mapping_id"),
    ]
    for params, status, field in cases:
        # when the folder lies outside the roots, has no manifest, or the mapping is unknown
        response = client.get(url, params=params)
        # then the answer names the field, never a 500
        assert response.status_code == status, response.text
        assert field in response.text
