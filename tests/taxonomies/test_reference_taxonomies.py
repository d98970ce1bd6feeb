"""Taxonomies as the reference files have them: negative and large ids, every column kept."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ontolabel.cli.catalog import DEFAULT_CATALOG, load_catalog_dir
from ontolabel.core.config import Settings

from taxonomies.factories import REFERENCE, reference_file, taxonomy_payload

DOCS = Path(__file__).resolve().parents[2] / "docs" / "ontologies.md"
LABELS_FILES = sorted((REFERENCE / "datasets").glob("*/lists/labels*.csv"))
"""The 21 datasets' labels.csv and RELLIS-3D's labels_old.csv."""


def _import(client: TestClient, content: bytes, name: str, filename: str = "labels.csv") -> Any:
    return client.post(
        "/api/taxonomies/import",
        files={"file": (filename, content, "text/plain")},
        data={"name": name, "kind": "extra"},
    )


def _export(client: TestClient, taxonomy_id: int, fmt: str) -> str:
    response = client.get(f"/api/taxonomies/{taxonomy_id}/export", params={"format": fmt})
    assert response.status_code == 200, response.text
    return response.text


def test_cityscapes_labels_csv_imports_and_reads_with_its_license_plate_at_minus_one(
    client: TestClient,
) -> None:
    # given the published Cityscapes labels.csv, whose last class has id -1
    content = reference_file("cityscapes/lists/labels.csv").read_bytes()
    # when it is imported and read back
    created = _import(client, content, "cityscapes")
    assert created.status_code == 201, created.text
    read = client.get(f"/api/taxonomies/{created.json()['id']}")
    # then every class is served, the negative one included
    assert read.status_code == 200, read.text
    assert read.json()["class_count"] == 35
    plate = read.json()["classes"][-1]
    assert (plate["id"], plate["name"], plate["train_id"], plate["ignore"]) == (
        -1,
        "license plate",
        -1,
        True,
    )


@pytest.mark.parametrize("name", ["cityscapes", "kitti"])
def test_shipped_taxonomies_with_a_negative_id_read(
    client: TestClient, settings: Settings, name: str
) -> None:
    # given the shipped catalog loaded (`ontolabel ontologies load`)
    load_catalog_dir(settings, DEFAULT_CATALOG)
    listed = client.get("/api/taxonomies", params={"limit": 1000}).json()["items"]
    taxonomy_id = next(t["id"] for t in listed if t["name"] == name)
    # when the detail screen asks for it
    read = client.get(f"/api/taxonomies/{taxonomy_id}")
    # then it answers with license plate at -1
    assert read.status_code == 200, read.text
    assert {"id": -1, "name": "license plate"}.items() <= read.json()["classes"][-1].items()


def test_ids_above_255_and_below_0_are_stored_and_served(client: TestClient) -> None:
    # given classes a 16-bit PNG holds (300, 65535), one no PNG holds (70000), and -1
    payload = taxonomy_payload(name="wide", n=2)
    payload["classes"] += [
        {"id": 300, "name": "lane marking"},
        {"id": 65535, "name": "last 16-bit"},
        {"id": 70000, "name": "beyond png"},
        {"id": -1, "name": "license plate"},
    ]
    # when created and read
    created = client.post("/api/taxonomies", json=payload)
    assert created.status_code == 201, created.text
    read = client.get(f"/api/taxonomies/{created.json()['id']}")
    # then they come back in order, and an export names them too
    assert [c["id"] for c in read.json()["classes"]] == [0, 1, 300, 65535, 70000, -1]
    exported = list(csv.DictReader(io.StringIO(_export(client, created.json()["id"], "csv"))))
    assert [row["id"] for row in exported] == ["0", "1", "300", "65535", "70000", "-1"]


def test_an_id_beyond_a_32_bit_integer_is_422_naming_where(client: TestClient) -> None:
    payload = taxonomy_payload(name="huge", n=2)
    payload["classes"][1]["id"] = 2**31
    assert client.post("/api/taxonomies", json=payload).status_code == 422
    response = _import(client, b"0,name,id\n0,road,0\n1,sky,2147483648\n", "huge")
    assert response.status_code == 422, response.text
    assert (response.json()["line"], response.json()["field"]) == (3, "id")


# --- round trip over the reference files ---------------------------------------------
#
# docs/ontologies.md, "Round-trip: what export normalises", lists what an export may change.
# Each item is one function below; anything else that differs is a loss and fails.


def _bom_dropped(text: str) -> str:
    return text.removeprefix("\ufeff")


def _records(text: str) -> list[list[str]]:
    """Cells per record: line endings and quoting are read away by the CSV reader."""
    return list(csv.reader(io.StringIO(text)))


def _blank_lines_dropped(records: list[list[str]]) -> list[list[str]]:
    return [r for r in records if any(c.strip() for c in r)]


def _short_rows_padded(records: list[list[str]]) -> list[list[str]]:
    width = max(len(r) for r in records)
    return [r + [""] * (width - len(r)) for r in records]


NORMALISATIONS = ("BOM", "line endings", "quoting", "blank lines", "short rows")
"""Phrases the docs section uses for each normalisation applied here."""


def _cells(text: str) -> list[list[str]]:
    return _short_rows_padded(_blank_lines_dropped(_records(_bom_dropped(text))))


def _first_difference(exported: str, original: str) -> str:
    ours, theirs = _cells(exported), _cells(original)
    for line, (a, b) in enumerate(zip(ours, theirs, strict=False), start=1):
        if a != b:
            return f"record {line}: exported {a}, file {b}"
    return f"exported {len(ours)} records, file {len(theirs)}"


def test_the_allowed_normalisations_are_the_documented_ones() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Round-trip: what export normalises", 1)[1].split("\n## ", 1)[0]
    assert [p for p in NORMALISATIONS if p not in section] == []


def test_every_reference_labels_csv_exports_cell_for_cell(client: TestClient) -> None:
    # given the 22 published label lists
    assert len(LABELS_FILES) == 22, LABELS_FILES
    losses: list[str] = []
    for path in LABELS_FILES:
        original = path.read_text(encoding="utf-8")
        name = f"{path.parent.parent.name}-{path.stem}".lower()
        # when each is imported, exported as CSV, and also taken through the native YAML
        created = _import(client, path.read_bytes(), name)
        assert created.status_code == 201, (path, created.text)
        direct = _export(client, created.json()["id"], "csv")
        via_yaml = _import(
            client, _export(client, created.json()["id"], "yaml").encode(), f"{name}-yaml", "t.yaml"
        )
        assert via_yaml.status_code == 201, (path, via_yaml.text)
        again = _export(client, via_yaml.json()["id"], "csv")
        # then every cell is the file's, up to the documented normalisations
        for route, exported in (("csv", direct), ("yaml", again)):
            if _cells(exported) != _cells(original):
                losses.append(
                    f"{path.relative_to(REFERENCE)} via {route}: "
                    + _first_difference(exported, original)
                )
            if not exported.endswith("\n") or "\r" in exported or exported.startswith("\ufeff"):
                losses.append(f"{path.relative_to(REFERENCE)} via {route}: not in normal form")
    assert losses == []
