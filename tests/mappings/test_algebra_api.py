"""``/api/mappings/compose`` and ``/api/mappings/{id}/inverse``: the algebra, served."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _taxonomy(client: TestClient, name: str, names: list[str], kind: str) -> None:
    classes = [{"id": i, "name": n} for i, n in enumerate(names)]
    response = client.post("/api/taxonomies", json={"name": name, "kind": kind, "classes": classes})
    assert response.status_code == 201, response.text


def _mapping(client: TestClient, name: str, extra: str, source: str, rows: list[Any]) -> int:
    body = {"name": name, "extra_taxonomy": extra, "source_taxonomy": source, "rows": rows}
    response = client.post("/api/mappings", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _chain(client: TestClient) -> tuple[int, int]:
    """e→s (a→x, b→y, c→void; d unmapped) and s→t (x→p, y→void)."""
    _taxonomy(client, "e", ["a", "b", "c", "d"], "extra")
    _taxonomy(client, "s", ["x", "y"], "source")
    _taxonomy(client, "t", ["p"], "source")
    first = _mapping(
        client,
        "e-to-s",
        "e",
        "s",
        [
            {"source_id": 0, "source_name": "x", "extra_labels": ["a"]},
            {"source_id": 1, "source_name": "y", "extra_labels": ["b"]},
            {"source_id": 255, "source_name": "void", "extra_labels": ["c"]},
        ],
    )
    second = _mapping(
        client,
        "s-to-t",
        "s",
        "t",
        [
            {"source_id": 0, "source_name": "p", "extra_labels": ["x"]},
            {"source_id": 255, "source_name": "void", "extra_labels": ["y"]},
        ],
    )
    return first, second


def test_inverse_lists_every_extra_label_in_taxonomy_order(client: TestClient) -> None:
    first, _ = _chain(client)
    body = client.get(f"/api/mappings/{first}/inverse").json()
    assert body["revision"] == 1 and body["total"] == 4
    assert [(i["label"], i["source_names"], i["void"], i["unmapped"]) for i in body["items"]] == [
        ("a", ["x"], False, False),
        ("b", ["y"], False, False),
        ("c", [], True, False),
        ("d", [], False, True),
    ]
    assert client.get(f"/api/mappings/{first}/inverse", params={"revision": 9}).status_code == 404


def test_compose_previews_then_saves_a_new_mapping(client: TestClient) -> None:
    first, second = _chain(client)
    refs = {"first": {"mapping_id": first}, "second": {"mapping_id": second}}
    # when previewed
    preview = client.post("/api/mappings/compose", json=refs)
    # then e→t: a via x is p; c is void, and b goes void through y
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert (body["extra_taxonomy"], body["source_taxonomy"], body["mapping"]) == ("e", "t", None)
    assert [(r["source_id"], r["extra_labels"]) for r in body["rows"]] == [
        (0, ["a"]),
        (255, ["c", "b"]),
    ]
    assert body["first"] == {"mapping_id": first, "revision": 1}
    assert [f["code"] for f in body["findings"] if f["severity"] == "error"] == ["unmapped-label"]
    # when saved under a name
    saved = client.post("/api/mappings/compose", json={**refs, "name": "e-to-t"})
    assert saved.status_code == 201, saved.text
    created = saved.json()["mapping"]
    assert created["name"] == "e-to-t" and created["head"]["rows"] == body["rows"]
    assert "compose mapping" in created["head"]["message"]


def test_compose_refuses_mappings_that_do_not_chain(client: TestClient) -> None:
    first, second = _chain(client)
    response = client.post(
        "/api/mappings/compose",
        json={"first": {"mapping_id": second}, "second": {"mapping_id": first}},
    )
    assert response.status_code == 422 and response.json()["field"] == "second"
