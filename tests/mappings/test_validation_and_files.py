"""Mapping input checks, import/export of reference files; refusals change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.accounts import auth_headers
from taxonomies.factories import create_taxonomy, dump_ontology, engine_of, reference_file

from mappings.factories import create_mapping, create_pair, rows_payload, save


def _post_mapping(client: TestClient, **overrides: Any) -> Any:
    body = {
        "name": "m",
        "extra_taxonomy": "ext",
        "source_taxonomy": "src",
        "rows": rows_payload(),
    } | overrides
    return client.post("/api/mappings", json=body)


@pytest.mark.parametrize("field", ["extra_taxonomy", "source_taxonomy"])
def test_unknown_taxonomy_is_422_naming_it(client: TestClient, field: str) -> None:
    create_pair(client)
    before = dump_ontology(engine_of(client))
    response = _post_mapping(client, **{field: "nowhere"})
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert "nowhere" in response.json()["detail"]
    assert dump_ontology(engine_of(client)) == before


def test_unknown_extra_label_saves_and_lint_reports_it(client: TestClient) -> None:
    create_pair(client)
    rows = rows_payload()
    rows[0]["extra_labels"].append("not-a-label")
    response = _post_mapping(client, rows=rows)
    assert response.status_code == 201, response.text
    lint = client.get(f"/api/mappings/{response.json()['id']}/lint")
    assert lint.status_code == 200
    assert any("not-a-label" in f["message"] for f in lint.json()["findings"])


def test_row_name_differing_from_source_saves_and_lint_warns(client: TestClient) -> None:
    create_pair(client)
    rows = rows_payload()
    rows[1]["source_name"] = "road"
    response = _post_mapping(client, rows=rows)
    assert response.status_code == 201, response.text
    findings = client.get(f"/api/mappings/{response.json()['id']}/lint").json()["findings"]
    assert any(f["row"] == 1 and f["severity"] == "warning" for f in findings)


def _unknown_source_id(rows: list[dict[str, Any]]) -> str:
    rows[1]["source_id"] = 42
    return "rows[1].source_id"


def _duplicate_row(rows: list[dict[str, Any]]) -> str:
    rows[2] = dict(rows[0])
    return "rows[2].source_id"


def _blank_label(rows: list[dict[str, Any]]) -> str:
    rows[0]["extra_labels"] = ["e0", "  "]
    return "rows[0].extra_labels[1]"


@pytest.mark.parametrize("breaks", [_unknown_source_id, _duplicate_row, _blank_label])
def test_structural_errors_are_422_with_field_and_change_nothing(
    client: TestClient, breaks: Any
) -> None:
    created = create_mapping(client)
    rows = rows_payload()
    field = breaks(rows)
    before = dump_ontology(engine_of(client))
    # when saved as a new revision, and as a new mapping
    on_save = save(client, created["id"], base=1, rows=rows)
    on_create = _post_mapping(client, name="other", rows=rows)
    # then
    for response in (on_save, on_create):
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field
    assert dump_ontology(engine_of(client)) == before


def test_lint_a_draft_without_saving(client: TestClient) -> None:
    create_pair(client)
    before = dump_ontology(engine_of(client))
    rows = rows_payload()
    rows[0]["extra_labels"] = []
    response = client.post(
        "/api/mappings/lint",
        json={"extra_taxonomy": "ext", "source_taxonomy": "src", "rows": rows},
    )
    assert response.status_code == 200, response.text
    assert response.json()["findings"]
    assert dump_ontology(engine_of(client)) == before


def _import_apolloscape_labels(client: TestClient) -> None:
    labels = reference_file("ApolloScape/lists/labels.csv")
    response = client.post(
        "/api/taxonomies/import",
        files={"file": ("labels.csv", labels.read_bytes(), "text/csv")},
        data={"name": "apolloscape", "kind": "extra"},
    )
    assert response.status_code == 201, response.text


def test_reference_mapping_round_trips_and_creates_its_source(
    accounts_client: TestClient,
) -> None:
    client = accounts_client  # the author comes from the token
    # given the ApolloScape taxonomy and the published mapping onto Mapillary (66 rows)
    _import_apolloscape_labels(client)
    path = reference_file("ApolloScape/lists/master_labels_mapillary.csv")
    # when imported without naming a source taxonomy
    response = client.post(
        "/api/mappings/import",
        files={"file": (path.name, path.read_bytes(), "text/csv")},
        data={"extra_taxonomy": "apolloscape"},
        headers=auth_headers(client, "carol"),
    )
    # then the source taxonomy is created from the first two columns
    assert response.status_code == 201, response.text
    imported = response.json()
    assert imported["name"] == "apolloscape-to-mapillary"
    assert imported["source_taxonomy"] == "mapillary"
    assert imported["head"]["author"] == "carol"
    rows = imported["head"]["rows"]
    assert rows[-1]["source_id"] == 255
    source = client.get(f"/api/taxonomies/{imported['source_taxonomy_id']}").json()
    assert source["class_count"] == len(rows) - 1
    # and exporting then importing again gives the same rows, in both formats
    for fmt in ("csv", "yaml"):
        exported = client.get(f"/api/mappings/{imported['id']}/export", params={"format": fmt})
        assert exported.status_code == 200
        again = client.post(
            "/api/mappings/import",
            files={"file": (f"copy.{fmt}", exported.content, "text/plain")},
            data={
                "extra_taxonomy": "apolloscape",
                "source_taxonomy": "mapillary",
                "name": f"copy-{fmt}",
            },
        )
        assert again.status_code == 201, again.text
        assert again.json()["head"]["rows"] == rows
        assert again.json()["source_taxonomy_id"] == imported["source_taxonomy_id"]


BAD_MAPPINGS = {
    "malformed quoting": b'id,name\n0,road,"e0\n',
    "non-integer source id": b"id,name\n0,road,e0\nx,walk,e1\n",
    "duplicate source id": b"id,name\n0,src0,e0\n0,src0,e1\n",
    "row without a name": b"id,name\n0,src0,e0\n1\n",
    "wrong encoding": "id,name\n0,src0,Straße\n".encode("latin-1"),
    "unknown source class": b"id,name\n0,src0,e0\n7,src7,e1\n",
}


@pytest.mark.parametrize("case", sorted(BAD_MAPPINGS))
def test_bad_mapping_upload_is_422_naming_where_and_changes_nothing(
    client: TestClient, case: str
) -> None:
    create_mapping(client)
    before = dump_ontology(engine_of(client))
    response = client.post(
        "/api/mappings/import",
        files={"file": ("m.csv", BAD_MAPPINGS[case], "text/csv")},
        data={"extra_taxonomy": "ext", "source_taxonomy": "src", "name": "bad"},
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body.get("line") is not None or body.get("field") is not None
    assert dump_ontology(engine_of(client)) == before


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"extra_taxonomy": "nowhere"}, 422),
        ({}, 422),
        ({"extra_taxonomy": "ext", "name": "ext-to-src"}, 409),
    ],
)
def test_import_refusals_leave_source_taxonomy_uncreated(
    client: TestClient, data: dict[str, str], status: int
) -> None:
    create_mapping(client)
    before = dump_ontology(engine_of(client))
    response = client.post(
        "/api/mappings/import",
        files={"file": ("master_labels_fresh.csv", b"id,name\n0,a,e0\n", "text/csv")},
        data=data,
    )
    assert response.status_code == status, response.text
    assert dump_ontology(engine_of(client)) == before


def test_mapping_upload_over_the_limit_is_413(client: TestClient) -> None:
    create_mapping(client)
    app = client.app
    app.state.settings = app.state.settings.model_copy(update={"max_upload_bytes": 100})  # type: ignore[attr-defined]
    before = dump_ontology(engine_of(client))
    response = client.post(
        "/api/mappings/import",
        files={"file": ("m.csv", b"id,name\n" + b"0,src0,e0\n" * 20, "text/csv")},
        data={"extra_taxonomy": "ext", "source_taxonomy": "src"},
    )
    assert response.status_code == 413
    assert dump_ontology(engine_of(client)) == before


def test_openapi_documents_the_409_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    put = spec["paths"]["/api/mappings/{mapping_id}"]["put"]
    assert "409" in put["responses"]
    assert spec["components"]["schemas"]["MappingSave"]["examples"]


def test_a_row_for_a_source_class_at_minus_one_is_stored_served_and_linted(
    client: TestClient,
) -> None:
    # given Cityscapes' 35 classes as the source (license plate is -1) and a small extra one
    labels = reference_file("cityscapes/lists/labels.csv").read_bytes()
    imported = client.post(
        "/api/taxonomies/import",
        files={"file": ("labels.csv", labels, "text/csv")},
        data={"name": "cityscapes", "kind": "source"},
    )
    assert imported.status_code == 201, imported.text
    create_taxonomy(client, name="ext", n=2, kind="extra", prefix="e")
    rows = [
        {"source_id": 7, "source_name": "road", "extra_labels": ["e0"]},
        {"source_id": -1, "source_name": "license plate", "extra_labels": ["e1"]},
    ]
    # when a mapping gives license plate a row
    created = _post_mapping(client, source_taxonomy="cityscapes", rows=rows)
    # then it is stored and read back, and lint says pseudo-labels cannot hold -1
    assert created.status_code == 201, created.text
    read = client.get(f"/api/mappings/{created.json()['id']}")
    assert read.status_code == 200, read.text
    findings = client.get(f"/api/mappings/{created.json()['id']}/lint").json()["findings"]
    assert [f["row"] for f in findings if f["code"] == "source-id-range"] == [1]
