"""Names, cells, classes and rows are bounded, and names hold no control characters: 422."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from mappings.factories import create_pair, rows_payload
from ontolabel.domain.limits import (
    CELL_MAX_CHARS,
    CELLS_MAX,
    CELLS_PER_ROW_MAX,
    CLASSES_MAX,
    ROWS_MAX,
)
from taxonomies.factories import dump_ontology, engine_of, taxonomy_payload


def _refused(response: Any, field: str) -> str:
    assert response.status_code == 422, response.text[:500]
    body = response.json()
    assert body["field"] == field, body
    detail: str = body["detail"]
    return detail


def _draft(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"extra_taxonomy": "ext", "source_taxonomy": "src", "rows": rows}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/taxonomies", {**taxonomy_payload(), "name": "city\x00scapes"}, "name"),
        (
            "/api/taxonomies",
            {**taxonomy_payload(), "classes": [{"id": 0, "name": "road\nside"}]},
            "classes[0].name",
        ),
        (
            "/api/mappings",
            {"name": "a\x1bb", "extra_taxonomy": "ext", "source_taxonomy": "src",
             "rows": rows_payload()},
            "name",
        ),
        (
            "/api/mappings/lint",
            _draft([{"source_id": 0, "source_name": "src\t0", "extra_labels": []}]),
            "rows[0].source_name",
        ),
        (
            "/api/mappings/lint",
            _draft([{"source_id": 0, "source_name": "src0", "extra_labels": ["e\u00850"]}]),
            "rows[0].extra_labels[0]",
        ),
        ("/api/datasets", {"name": "ds\r", "root": "/x", "taxonomy": "src"}, "name"),
        (
            "/api/models",
            {"name": "m\x7f", "taxonomy_id": 1, "kind": "hub", "path": "org/model"},
            "name",
        ),
        ("/api/datasets/1/sample-sets", {"name": "s\x01", "rule": {}}, "name"),
    ],
)  # fmt: skip
def test_a_name_with_a_control_character_is_refused(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    # given a name (or cell) holding a control character
    create_pair(client)
    before = dump_ontology(engine_of(client))
    # when it is posted
    detail = _refused(client.post(path, json=body), field)
    # then it is refused naming the character, and nothing changed
    assert "control character" in detail
    assert dump_ontology(engine_of(client)) == before


def test_a_taxonomy_of_too_many_classes_is_refused(client: TestClient) -> None:
    body = taxonomy_payload(n=CLASSES_MAX + 1)
    for c in body["classes"]:
        del c["color"], c["train_id"]
    detail = _refused(client.post("/api/taxonomies", json=body), "classes")
    assert str(CLASSES_MAX) in detail


def test_a_100k_character_cell_is_refused_before_lint(client: TestClient) -> None:
    # given a draft with one cell of 100,000 characters
    create_pair(client)
    rows = [{"source_id": 0, "source_name": "src0", "extra_labels": ["e" * 100_000]}]
    # when it is linted
    detail = _refused(
        client.post("/api/mappings/lint", json=_draft(rows)), "rows[0].extra_labels[0]"
    )
    # then it is refused by length
    assert str(CELL_MAX_CHARS) in detail


def test_a_mapping_of_too_many_rows_or_cells_is_refused(client: TestClient) -> None:
    create_pair(client)
    many_rows = [{"source_id": i, "source_name": f"s{i}"} for i in range(ROWS_MAX + 1)]
    _refused(client.post("/api/mappings/lint", json=_draft(many_rows)), "rows")
    # (each row within its own bound, the mapping over the total)
    rows = CELLS_MAX // CELLS_PER_ROW_MAX + 1
    many_cells = [
        {"source_id": i, "source_name": f"s{i}", "extra_labels": ["e"] * CELLS_PER_ROW_MAX}
        for i in range(rows)
    ]
    detail = _refused(client.post("/api/mappings/lint", json=_draft(many_cells)), "rows")
    assert str(CELLS_MAX) in detail


def test_a_csv_of_330000_rows_is_refused_at_the_row_past_the_bound(client: TestClient) -> None:
    # given a 4 MB labels.csv of 330,000 classes, and a mapping CSV of as many rows
    labels = b"id,name\n" + b"".join(b"%d,c%d\n" % (i, i) for i in range(330_000))
    mapping = b"id,name\n" + b"".join(b"%d,c,e0\n" % i for i in range(330_000))
    create_pair(client)
    before = dump_ontology(engine_of(client))
    # when each is imported
    taxonomy = client.post(
        "/api/taxonomies/import", files={"file": ("labels.csv", labels, "text/csv")}
    )
    mapped = client.post(
        "/api/mappings/import",
        files={"file": ("master_labels_big.csv", mapping, "text/csv")},
        data={"extra_taxonomy": "ext"},
    )
    # then both are 422 naming the first line past the bound, and nothing is stored
    for response, bound in ((taxonomy, CLASSES_MAX), (mapped, ROWS_MAX)):
        assert response.status_code == 422, response.text[:500]
        assert response.json()["line"] == bound + 2  # the header, then the bound's rows
        assert str(bound) in response.json()["detail"]
    assert dump_ontology(engine_of(client)) == before


def test_a_mapping_csv_with_an_id_out_of_range_is_refused(client: TestClient) -> None:
    # given a mapping CSV naming a source class id past 32 bits
    create_pair(client)
    text = b"id,name\n0,src0,e0\n1099511627776,huge,e1\n"
    # when it is imported
    response = client.post(
        "/api/mappings/import",
        files={"file": ("master_labels_new.csv", text, "text/csv")},
        data={"extra_taxonomy": "ext"},
    )
    # then it is a 422 on that line, and no source taxonomy is made of it
    assert response.status_code == 422, response.text[:500]
    assert response.json()["line"] == 3
    assert client.get("/api/taxonomies").json()["total"] == 2


def test_a_billion_laughs_yaml_is_refused_not_expanded(client: TestClient) -> None:
    # given 400 bytes of YAML whose aliases would expand nine-fold eight times over
    text = "kind: taxonomy\nname: lol\nclasses:\n- &a {id: 0, name: lol}\n"
    for outer, inner in zip("bcdefghi", "abcdefgh", strict=True):
        text += f"- &{outer} [{', '.join([f'*{inner}'] * 9)}]\n"
    # when it is imported
    response = client.post(
        "/api/taxonomies/import", files={"file": ("lol.yaml", text.encode(), "application/yaml")}
    )
    # then it is a short 422 on the anchor's line, and nothing is stored
    assert response.status_code == 422 and len(response.content) < 1000
    assert response.json()["line"] == 4 and "alias" in response.json()["detail"]
    assert client.get("/api/taxonomies").json()["total"] == 0
