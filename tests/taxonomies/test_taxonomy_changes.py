"""Safe taxonomy changes: a dry run counts what a rename/merge/split touches; applying it
makes new mapping revisions; a revert restores every mapping, verification and count."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datasets.factories import TAXONOMY, index, label_array, register, write_frame
from datasets.factories import create_taxonomy as create_dataset_taxonomy
from fastapi.testclient import TestClient
from ontolabel.core.config import Settings
from sqlalchemy.orm import Session, sessionmaker

SOURCE = ["flat", "structure", "nature", "sky", "vehicle"]
ROWS = [
    {"source_id": 0, "source_name": "flat", "extra_labels": ["road", "sidewalk"]},
    {"source_id": 1, "source_name": "structure", "extra_labels": ["building"]},
    {"source_id": 2, "source_name": "nature", "extra_labels": ["vegetation"]},
    {"source_id": 3, "source_name": "sky", "extra_labels": ["sky"]},
    {"source_id": 4, "source_name": "vehicle", "extra_labels": ["car"]},
    {"source_id": 255, "source_name": "void", "extra_labels": ["sidewalk"]},
]


def _world(
    client: TestClient, factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> dict[str, Any]:
    """The ``tiny`` extra taxonomy with an indexed dataset and a model, a source taxonomy,
    a mapping between them and three confirmed cells."""
    tiny = create_dataset_taxonomy(factory)
    root = Path(settings.data_roots) / "tiny"
    for i in range(3):
        write_frame(root, f"seq/f{i}", label_array(i, ids=(0, 2, 4)))
    dataset = register(factory, settings, "tiny-data", root)
    assert index(factory, settings, dataset)[0] == "succeeded"
    source = client.post(
        "/api/taxonomies",
        json={
            "name": "src",
            "kind": "source",
            "classes": [{"id": i, "name": n} for i, n in enumerate(SOURCE)],
        },
    ).json()
    folder = settings.outputs / "models" / "t"
    folder.mkdir(parents=True)
    id2label = {str(c.id): c.name for c in TAXONOMY.classes}
    (folder / "config.json").write_text(
        json.dumps({"model_type": "segformer", "id2label": id2label})
    )
    model = client.post(
        "/api/models",
        json={"name": "tiny-net", "kind": "hf_dir", "taxonomy_id": tiny, "path": str(folder)},
    )
    assert model.status_code == 201, model.text
    mapping = client.post(
        "/api/mappings",
        json={
            "name": "tiny-to-src",
            "extra_taxonomy": "tiny",
            "source_taxonomy": "src",
            "rows": ROWS,
        },
    ).json()
    for source_id, label in ((0, "road"), (0, "sidewalk"), (1, "building")):
        decided = client.post(
            "/api/verifications",
            json={
                "mapping_id": mapping["id"],
                "source_id": source_id,
                "extra_label": label,
                "decision": "confirmed",
            },
        )
        assert decided.status_code == 201, decided.text
    return {"tiny": tiny, "source": source["id"], "mapping": mapping["id"], "dataset": dataset}


def _snapshot(client: TestClient, world: dict[str, Any]) -> dict[str, Any]:
    """What a revert must restore: classes, mapping rows, every decision, the row states."""
    mapping = client.get(f"/api/mappings/{world['mapping']}").json()
    head = mapping["head_revision"]
    states = client.get(
        "/api/verifications/state", params={"mapping_id": world["mapping"], "revision": head}
    ).json()["items"]
    return {
        "tiny": client.get(f"/api/taxonomies/{world['tiny']}").json()["classes"],
        "source": client.get(f"/api/taxonomies/{world['source']}").json()["classes"],
        "rows": mapping["head"]["rows"],
        "verifications": client.get(
            "/api/verifications", params={"mapping_id": world["mapping"]}
        ).json()["items"],
        "states": [
            (r["source_id"], r["state"], [(c["extra_label"], c["decision"]) for c in r["cells"]])
            for r in states
        ],
    }


def _change(client: TestClient, taxonomy_id: int, body: dict[str, Any], **params: Any) -> Any:
    return client.post(f"/api/taxonomies/{taxonomy_id}/changes", json=body, params=params)


def _counts(preview: dict[str, Any]) -> dict[str, Any]:
    """A dry run's counts, without the version and heads it was computed on."""
    mappings = [{k: v for k, v in m.items() if k != "head_revision"} for m in preview["mappings"]]
    return {**{k: v for k, v in preview.items() if k != "version"}, "mappings": mappings}


def test_merge_then_revert_restores_every_mapping_verification_and_count(
    client: TestClient,
    session_factory: sessionmaker[Session],
    settings: Settings,
    tmp_path: Path,
) -> None:
    # given a mapping of the tiny taxonomy with decisions on road, sidewalk and building
    world = _world(client, session_factory, settings, tmp_path)
    before = _snapshot(client, world)
    merge = {"op": "merge", "classes": ["road", "sidewalk"], "into": "ground"}
    # when the merge is dry-run
    dry = _change(client, world["tiny"], merge, dry_run="true")
    # then it counts the cells, decisions, label pixels and models it touches, storing nothing
    assert dry.status_code == 200, dry.text
    preview = dry.json()
    assert [(m["mapping_id"], m["side"], m["cells"], m["rows"]) for m in preview["mappings"]] == [
        (world["mapping"], "extra", 3, [0, 255])
    ]
    assert preview["verifications_reset"] == 2 and preview["verifications_carried"] == 0
    stats = client.get(f"/api/datasets/{world['dataset']}/occurrence").json()
    road_pixels = sum(s["pixels"] for s in stats["items"] if s["label_id"] in (0, 1))
    assert preview["label_pixels"] == road_pixels > 0
    assert [m["name"] for m in preview["models"]] == ["tiny-net"]
    assert [(c["id"], c["name"]) for c in preview["classes"][:3]] == [
        (0, "ground"),
        (1, "ground"),
        (2, "building"),
    ]
    assert _snapshot(client, world) == before
    # when it is applied
    applied = _change(client, world["tiny"], merge)
    # then the mapping has a new revision naming the merged class, and the audit log says so
    assert applied.status_code == 201, applied.text
    change = applied.json()
    assert change["mappings"][0]["before"] == 1 and change["mappings"][0]["after"] == 2
    merged = client.get(f"/api/mappings/{world['mapping']}").json()["head"]["rows"]
    assert merged[0]["extra_labels"] == ["ground"] and merged[-1]["extra_labels"] == ["ground"]
    assert _snapshot(client, world)["states"] != before["states"]
    listed = client.get(f"/api/taxonomies/{world['tiny']}/changes").json()
    assert [c["id"] for c in listed["items"]] == [change["id"]]
    # when it is reverted
    reverted = client.post(f"/api/taxonomies/{world['tiny']}/changes/{change['id']}/revert")
    # then classes, rows, decisions and row states are as before, and so is every count
    assert reverted.status_code == 200, reverted.text
    assert reverted.json()["reverted_at"] is not None
    assert _snapshot(client, world) == before
    again = _change(client, world["tiny"], merge, dry_run="true").json()
    assert _counts(again) == _counts(preview)
    assert client.get(f"/api/mappings/{world['mapping']}").json()["head_revision"] == 3
    # and a second revert is refused
    twice = client.post(f"/api/taxonomies/{world['tiny']}/changes/{change['id']}/revert")
    assert twice.status_code == 409


def test_rename_carries_decisions_and_its_revert_removes_the_copies(
    client: TestClient,
    session_factory: sessionmaker[Session],
    settings: Settings,
    tmp_path: Path,
) -> None:
    # given the mapping with building confirmed
    world = _world(client, session_factory, settings, tmp_path)
    before = _snapshot(client, world)
    rename = {"op": "rename", "class": "building", "new_name": "house"}
    # when building is renamed
    assert (
        _change(client, world["tiny"], rename, dry_run="true").json()["verifications_carried"] == 1
    )
    change = _change(client, world["tiny"], rename).json()
    # then the decision holds for the renamed cell at the new revision
    states = _snapshot(client, world)["states"]
    assert (1, "verified", [("house", "confirmed")]) in states
    # and a revert restores everything, the copied decision removed
    client.post(f"/api/taxonomies/{world['tiny']}/changes/{change['id']}/revert")
    assert _snapshot(client, world) == before


def test_split_of_a_source_class_gives_rows_per_policy_and_reverts(
    client: TestClient,
    session_factory: sessionmaker[Session],
    settings: Settings,
    tmp_path: Path,
) -> None:
    # given the mapping onto src
    world = _world(client, session_factory, settings, tmp_path)
    before = _snapshot(client, world)
    split = {
        "op": "split",
        "class": "flat",
        "into": [{"name": "street"}, {"name": "walkway", "id": 9}],
        "cells": "first",
    }
    # when flat is split with the cells going to the first part
    applied = _change(client, world["source"], split)
    # then street keeps flat's id and cells, walkway is new and empty
    assert applied.status_code == 201, applied.text
    rows = client.get(f"/api/mappings/{world['mapping']}").json()["head"]["rows"]
    assert rows[:2] == [
        {"source_id": 0, "source_name": "street", "extra_labels": ["road", "sidewalk"]},
        {"source_id": 9, "source_name": "walkway", "extra_labels": []},
    ]
    # when reverted, nothing of it is left
    change_id = applied.json()["id"]
    assert (
        client.post(f"/api/taxonomies/{world['source']}/changes/{change_id}/revert").status_code
        == 200
    )
    assert _snapshot(client, world) == before


def test_a_stale_base_revision_is_409_and_writes_nothing(
    client: TestClient,
    session_factory: sessionmaker[Session],
    settings: Settings,
    tmp_path: Path,
) -> None:
    # given a mapping someone saved after the dry run was read
    world = _world(client, session_factory, settings, tmp_path)
    saved = client.put(
        f"/api/mappings/{world['mapping']}", json={"base_revision": 1, "rows": ROWS, "message": "x"}
    )
    assert saved.status_code == 200, saved.text
    before = _snapshot(client, world)
    body = {
        "op": "rename",
        "class": "car",
        "new_name": "automobile",
        "base_revisions": {str(world["mapping"]): 1},
    }
    # when the change is applied on the stale revision
    response = _change(client, world["tiny"], body)
    # then it is refused and nothing changed
    assert response.status_code == 409, response.text
    assert _snapshot(client, world) == before
    assert client.get(f"/api/taxonomies/{world['tiny']}/changes").json()["total"] == 0


def test_bad_changes_are_422_naming_the_field(client: TestClient) -> None:
    taxonomy = client.post(
        "/api/taxonomies",
        json={
            "name": "t",
            "kind": "extra",
            "classes": [{"id": 0, "name": "a"}, {"id": 1, "name": "b"}],
        },
    ).json()
    cases = [
        ({"op": "rename", "class": "zzz", "new_name": "c"}, "class"),
        ({"op": "rename", "class": "a", "new_name": "b"}, "new_name"),
        ({"op": "merge", "classes": ["a"], "into": "c"}, "classes"),
        (
            {"op": "split", "class": "a", "into": [{"name": "x"}, {"name": "y", "id": 1}]},
            "into[1].id",
        ),
        ({"op": "teleport", "class": "a"}, None),
    ]
    for body, field in cases:
        response = _change(client, taxonomy["id"], body)
        assert response.status_code == 422, (body, response.text)
        if field is not None:
            assert response.json()["field"] == field, response.json()


def test_a_revert_that_would_orphan_a_newer_mappings_row_is_409(
    client: TestClient,
    session_factory: sessionmaker[Session],
    settings: Settings,
    tmp_path: Path,
) -> None:
    # given a split of a source class, and a mapping made since that uses the new part
    world = _world(client, session_factory, settings, tmp_path)
    split = {"op": "split", "class": "flat", "into": [{"name": "street"}, {"name": "walkway"}]}
    change = _change(client, world["source"], split).json()
    walkway = next(c["id"] for c in change["report"]["classes"] if c["name"] == "walkway")
    newer = client.post(
        "/api/mappings",
        json={
            "name": "newer",
            "extra_taxonomy": "tiny",
            "source_taxonomy": "src",
            "rows": [
                {"source_id": walkway, "source_name": "walkway", "extra_labels": ["sidewalk"]}
            ],
        },
    )
    assert newer.status_code == 201, newer.text
    # when the split is reverted, then it is refused and names the mapping
    response = client.post(f"/api/taxonomies/{world['source']}/changes/{change['id']}/revert")
    assert response.status_code == 409 and "'newer'" in response.json()["detail"]
