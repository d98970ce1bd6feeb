"""/api/taxonomies: CRUD, optimistic locking, archive, import/export, refusals."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from ontolabel.core.db import session_scope
from ontolabel.core.users import User
from ontolabel.errors import Conflict
from ontolabel.taxonomies import service
from sqlalchemy.orm import Session, sessionmaker

from taxonomies.factories import (
    create_taxonomy,
    dump_ontology,
    engine_of,
    reference_file,
    taxonomy_payload,
)


def test_create_then_get_returns_classes_in_order(client: TestClient) -> None:
    created = create_taxonomy(client, name="city", n=5)
    response = client.get(f"/api/taxonomies/{created['id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    assert body["class_count"] == 5
    assert [c["name"] for c in body["classes"]] == [f"class{i}" for i in range(5)]


def test_list_hides_archived_unless_asked(client: TestClient) -> None:
    kept = create_taxonomy(client, name="kept")
    gone = create_taxonomy(client, name="gone", kind="extra")
    # when
    archived = client.post(f"/api/taxonomies/{gone['id']}/archive")
    # then
    assert archived.json()["archived"] is True
    listed = client.get("/api/taxonomies").json()
    assert listed["total"] == 1
    assert [t["id"] for t in listed["items"]] == [kept["id"]]
    everything = client.get("/api/taxonomies", params={"include_archived": "true"}).json()
    assert {t["name"] for t in everything["items"]} == {"kept", "gone"}
    assert (
        client.get("/api/taxonomies", params={"kind": "extra", "include_archived": True}).json()[
            "total"
        ]
        == 1
    )
    restored = client.post(f"/api/taxonomies/{gone['id']}/restore").json()
    assert restored["archived"] is False


def test_update_with_current_version_bumps_it(client: TestClient) -> None:
    created = create_taxonomy(client, n=3)
    new_classes = taxonomy_payload(n=4)["classes"]
    response = client.put(
        f"/api/taxonomies/{created['id']}",
        json={"version": 1, "description": "four now", "classes": new_classes},
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    assert response.json()["class_count"] == 4
    assert response.json()["description"] == "four now"


def test_stale_update_gets_409_with_current_content(client: TestClient) -> None:
    created = create_taxonomy(client, n=3)
    url = f"/api/taxonomies/{created['id']}"
    assert client.put(url, json={"version": 1, "description": "first"}).status_code == 200
    # when a second editor saves against version 1
    response = client.put(url, json={"version": 1, "description": "second"})
    # then nothing is overwritten and the body says what is stored
    assert response.status_code == 409
    body = response.json()
    assert body["current_version"] == 2
    assert body["current"]["description"] == "first"
    assert client.get(url).json()["description"] == "first"


def test_duplicate_name_is_409(client: TestClient) -> None:
    create_taxonomy(client, name="same")
    response = client.post("/api/taxonomies", json=taxonomy_payload(name="same"))
    assert response.status_code == 409
    assert response.json()["field"] == "name"


def test_duplicate_class_id_is_422_naming_the_field(client: TestClient) -> None:
    payload = taxonomy_payload(n=3)
    payload["classes"][2]["id"] = payload["classes"][0]["id"]
    before = dump_ontology(engine_of(client))
    response = client.post("/api/taxonomies", json=payload)
    assert response.status_code == 422
    assert response.json()["field"] == "classes[2].id"
    assert dump_ontology(engine_of(client)) == before


def test_duplicate_class_name_is_kept_like_the_reference_camvid_list(client: TestClient) -> None:
    # given two ids named alike (CamVid's "Bicyclist" 2 and 3)
    payload = taxonomy_payload(n=3)
    payload["classes"][2]["name"] = payload["classes"][1]["name"]
    # then the taxonomy is stored as written; lint flags cells naming it as ambiguous
    response = client.post("/api/taxonomies", json=payload)
    assert response.status_code == 201, response.text
    assert [c["name"] for c in response.json()["classes"]] == ["class0", "class1", "class1"]


def test_unknown_taxonomy_is_404(client: TestClient) -> None:
    assert client.get("/api/taxonomies/999").status_code == 404
    assert client.put("/api/taxonomies/999", json={"version": 1}).status_code == 404


def test_reference_labels_csv_round_trips(client: TestClient) -> None:
    # given the published ApolloScape labels.csv
    path = reference_file("ApolloScape/lists/labels.csv")
    response = client.post(
        "/api/taxonomies/import",
        files={"file": ("labels.csv", path.read_bytes(), "text/csv")},
        data={"name": "apolloscape", "kind": "extra"},
    )
    assert response.status_code == 201, response.text
    imported = response.json()
    assert imported["name"] == "apolloscape"
    assert imported["class_count"] == 36
    car = next(c for c in imported["classes"] if c["name"] == "car")
    assert (car["id"], car["train_id"]) == (33, 1)
    # when exported as CSV and YAML and imported again under other names
    for fmt in ("csv", "yaml"):
        exported = client.get(f"/api/taxonomies/{imported['id']}/export", params={"format": fmt})
        assert exported.status_code == 200
        assert "attachment" in exported.headers["content-disposition"]
        again = client.post(
            "/api/taxonomies/import",
            files={"file": (f"copy.{fmt}", exported.content, "text/plain")},
            data={"name": f"apolloscape-{fmt}", "kind": "extra"},
        )
        # then the classes are the same
        assert again.status_code == 201, again.text
        assert again.json()["classes"] == imported["classes"]


BAD_LABELS = {
    "malformed quoting": (b'0,name,id\n0,"car,1\n', "labels.csv"),
    "non-integer id": (b"0,name,id\n0,car,x\n", "labels.csv"),
    "duplicate id": (b"0,name,id\n0,car,1\n1,bus,1\n", "labels.csv"),
    "ragged row without a name": (b"0,name,id\n0,car,1\n1\n", "labels.csv"),
    "wrong encoding": ("0,name,id\n0,Straße,1\n".encode("latin-1"), "labels.csv"),
    "unknown extension": (b"0,name,id\n0,car,1\n", "labels.txt"),
    "bad yaml": (b"kind: taxonomy\nname: x\nclasses: [\n", "t.yaml"),
}


@pytest.mark.parametrize("case", sorted(BAD_LABELS))
def test_bad_upload_is_4xx_naming_where_and_changes_nothing(client: TestClient, case: str) -> None:
    create_taxonomy(client, name="existing")
    content, filename = BAD_LABELS[case]
    before = dump_ontology(engine_of(client))
    response = client.post(
        "/api/taxonomies/import",
        files={"file": (filename, content, "text/csv")},
        data={"name": "bad"},
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"]
    assert body.get("line") is not None or body.get("field") is not None
    assert dump_ontology(engine_of(client)) == before


def test_upload_over_the_limit_is_413_and_changes_nothing(client: TestClient) -> None:
    # given a deployment that accepts 1 kB
    app = client.app
    app.state.settings = app.state.settings.model_copy(update={"max_upload_bytes": 1000})  # type: ignore[attr-defined]
    content = b"0,name,id\n" + b"".join(b"%d,c%d,%d\n" % (i, i, i) for i in range(200))
    before = dump_ontology(engine_of(client))
    response = client.post(
        "/api/taxonomies/import", files={"file": ("labels.csv", content, "text/csv")}
    )
    assert response.status_code == 413
    assert response.json()["file"] == "labels.csv"
    assert dump_ontology(engine_of(client)) == before


def test_openapi_documents_taxonomy_examples(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["TaxonomyCreate"]["examples"]
    assert "TaxonomyConflict" in schemas


def test_concurrent_taxonomy_edits_have_one_winner(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    created = create_taxonomy(client, n=3)
    writers = 5
    barrier = threading.Barrier(writers, timeout=30)

    def edit(writer: int) -> str:
        barrier.wait()
        try:
            with session_scope(session_factory) as session:
                change = service.TaxonomyChange(version=1, description=f"writer {writer}")
                service.update_taxonomy(session, created["id"], change, user=User(name="w"))
        except Conflict as exc:
            return f"409@{exc.extra['current_version']}"
        return "won"

    with ThreadPoolExecutor(max_workers=writers) as pool:
        outcomes = sorted(pool.map(edit, range(writers)))
    assert outcomes == ["409@2"] * (writers - 1) + ["won"]
    assert client.get(f"/api/taxonomies/{created['id']}").json()["version"] == 2
