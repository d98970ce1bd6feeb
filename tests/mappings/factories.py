"""Builders for mappings over small taxonomies made through the API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from support.accounts import auth_headers
from taxonomies.factories import create_taxonomy


def rows_payload(n_source: int = 3, *, void: bool = True, extra: str = "e") -> list[dict[str, Any]]:
    """Source class ``i`` may appear under extra label ``e{i}``; void under ``e_void``."""
    rows: list[dict[str, Any]] = [
        {"source_id": i, "source_name": f"src{i}", "extra_labels": [f"{extra}{i}"]}
        for i in range(n_source)
    ]
    if void:
        rows.append({"source_id": 255, "source_name": "void", "extra_labels": [f"{extra}_void"]})
    return rows


def create_pair(client: TestClient, n_source: int = 3) -> tuple[dict[str, Any], dict[str, Any]]:
    """An extra taxonomy ``ext`` (labels e0.., e_void) and a source ``src`` (src0..)."""
    source = create_taxonomy(client, name="src", n=n_source, prefix="src")
    extra = create_taxonomy(client, name="ext", n=n_source, kind="extra", prefix="e")
    return extra, source


def create_mapping(
    client: TestClient, *, name: str = "ext-to-src", n_source: int = 3, user: str = "alice"
) -> dict[str, Any]:
    create_pair(client, n_source)
    response = client.post(
        "/api/mappings",
        json={
            "name": name,
            "extra_taxonomy": "ext",
            "source_taxonomy": "src",
            "message": "first",
            "rows": rows_payload(n_source),
        },
        headers=auth_headers(client, user),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def save(
    client: TestClient,
    mapping_id: int,
    *,
    base: int,
    rows: list[dict[str, Any]],
    user: str = "alice",
    message: str = "edit",
) -> Any:
    return client.put(
        f"/api/mappings/{mapping_id}",
        json={"base_revision": base, "message": message, "rows": rows},
        headers=auth_headers(client, user),
    )
