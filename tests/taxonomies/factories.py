"""Builders for taxonomy payloads and a database dump to prove "nothing changed"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

REFERENCE = Path(__file__).resolve().parents[2] / "tests" / "data" / "data-priors"
ONTOLOGY_TABLES = (
    "taxonomies",
    "taxonomy_classes",
    "mappings",
    "mapping_revisions",
    "audit_events",
)


def reference_file(relative: str) -> Path:
    """A file of the published reference data; skipped where the share is absent."""
    path = REFERENCE / "datasets" / relative
    if not path.is_file():
        pytest.skip(f"reference data not present at {path}")
    return path


def taxonomy_payload(
    name: str = "city", n: int = 4, *, kind: str = "source", prefix: str = "class"
) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "description": f"{n} classes",
        "classes": [
            {"id": i, "name": f"{prefix}{i}", "train_id": i, "color": f"#0000{i:02x}"}
            for i in range(n)
        ],
    }


def create_taxonomy(client: TestClient, **kwargs: Any) -> dict[str, Any]:
    response = client.post("/api/taxonomies", json=taxonomy_payload(**kwargs))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def dump_ontology(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every row of the ontology tables, as sorted strings, for before/after comparisons."""
    dump: dict[str, list[tuple[str, ...]]] = {}
    with engine.connect() as conn:
        for table in ONTOLOGY_TABLES:
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
            dump[table] = sorted(tuple(str(v) for v in row) for row in rows)
    return dump


def engine_of(client: TestClient) -> Engine:
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    return engine
