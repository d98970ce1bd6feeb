"""Every write operation has a role and an audit entity: a new route must be placed here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from datasets.factories import label_array, write_frame
from fastapi.testclient import TestClient
from mappings.factories import create_mapping, rows_payload, save
from ontolabel.core.config import Settings
from ontolabel.core.users import Role
from support.accounts import bearer, token_for
from taxonomies.factories import create_taxonomy

READS = "viewer"
WRITES: dict[str, tuple[str, str | None]] = {
    # operation: (the least role, the audit entity it records; None: stores nothing)
    "POST /api/auth/login": ("anyone", "user"),  # sign_in
    "POST /api/auth/logout": ("anyone", None),  # deletes the caller's own session row
    "POST /api/users": ("admin", "user"),
    "PATCH /api/users/{user_id}": ("admin", "user"),
    "POST /api/tokens": (READS, "api_token"),  # one's own
    "DELETE /api/tokens/{token_id}": (READS, "api_token"),  # one's own (admin: any)
    "POST /api/taxonomies": ("editor", "taxonomy"),
    "POST /api/taxonomies/import": ("editor", "taxonomy"),
    "PUT /api/taxonomies/{taxonomy_id}": ("editor", "taxonomy"),
    "POST /api/taxonomies/{taxonomy_id}/archive": ("editor", "taxonomy"),
    "POST /api/taxonomies/{taxonomy_id}/restore": ("editor", "taxonomy"),
    "POST /api/taxonomies/{taxonomy_id}/changes": ("editor", "taxonomy"),  # dry run: nothing
    "POST /api/taxonomies/{taxonomy_id}/changes/{change_id}/revert": ("editor", "taxonomy"),
    "POST /api/mappings": ("editor", "mapping"),
    "POST /api/mappings/import": ("editor", "mapping"),
    "POST /api/mappings/lint": (READS, None),  # checks a body, stores nothing
    "POST /api/mappings/compose": ("editor", "mapping"),  # with a name: a new mapping
    "PUT /api/mappings/{mapping_id}": ("editor", "mapping"),
    "POST /api/mappings/{mapping_id}/archive": ("editor", "mapping"),
    "POST /api/mappings/{mapping_id}/restore": ("editor", "mapping"),
    "POST /api/mappings/{mapping_id}/revisions/{number}/revert": ("editor", "mapping"),
    "POST /api/datasets": ("editor", "dataset"),
    "POST /api/datasets/dry-run": ("editor", None),  # scans the disk, stores nothing
    "POST /api/datasets/{dataset_id}/index": ("editor", "job"),
    "POST /api/datasets/{dataset_id}/sample-sets": ("editor", "sample_set"),
    "POST /api/verifications": ("editor", "verification"),
    "POST /api/jobs": ("editor", "job"),
    "POST /api/jobs/{job_id}/cancel": ("editor", "job"),  # one's own (admin: any)
    "POST /api/models": ("editor", "model"),
    "PATCH /api/models/{model_id}": ("editor", "model"),
    "DELETE /api/models/{model_id}": ("admin", "model"),
    "POST /api/previews/{model_key}/{frame_key}": (READS, None),  # renders from the cache
}


def _write_operations(client: TestClient) -> set[str]:
    spec: dict[str, Any] = client.app.openapi()  # type: ignore[attr-defined]
    return {
        f"{method.upper()} {path}"
        for path, ops in spec["paths"].items()
        for method in ops
        if method != "get"
    }


def test_every_write_operation_is_in_the_table(client: TestClient) -> None:
    assert _write_operations(client) == set(WRITES)


def _refused_roles(client: TestClient, headers: dict[str, str], below: set[str]) -> dict[str, int]:
    """The operations needing a role in ``below`` that do not answer 403 for ``headers``."""
    wrong = {}
    for operation, (role, _entity) in WRITES.items():
        if role not in below:
            continue
        method, path = operation.split(" ", 1)
        response = client.request(method, re.sub(r"\{[^}]+\}", "1", path), headers=headers)
        if response.status_code != 403:
            wrong[operation] = response.status_code
    return wrong


def test_a_viewer_is_refused_every_editor_and_admin_write(accounts_client: TestClient) -> None:
    viewer = bearer(token_for(accounts_client, "vera", Role.viewer))
    assert _refused_roles(accounts_client, viewer, {"editor", "admin"}) == {}


def test_an_editor_is_refused_every_admin_write(accounts_client: TestClient) -> None:
    editor = bearer(token_for(accounts_client, "eddie", Role.editor))
    assert _refused_roles(accounts_client, editor, {"admin"}) == {}


def _ok(response: Any) -> Any:
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def test_writes_of_every_domain_land_in_the_audit_log(
    accounts_client: TestClient, settings: Settings
) -> None:
    client, bob = accounts_client, bearer(token_for(accounts_client, "bob"))
    # taxonomies and mappings (by bob), a verification
    mapping_id = create_mapping(client, user="bob")["id"]
    save(client, mapping_id, base=1, rows=rows_payload(), user="bob")
    decision = {"mapping_id": mapping_id, "source_id": 0, "extra_label": "e0"}
    _ok(client.post("/api/verifications", json={**decision, "decision": "confirmed"}, headers=bob))
    # a dataset, its index job, a sample set
    tiny = create_taxonomy(client, name="tiny", n=6)
    root = Path(settings.data_roots) / "tiny"
    write_frame(root, "s1/c1_000", label_array(0))
    dataset = _ok(
        client.post(
            "/api/datasets",
            json={"name": "d", "root": str(root), "taxonomy": tiny["name"], "preset": "generic"},
            headers=bob,
        )
    )
    _ok(client.post(f"/api/datasets/{dataset['id']}/index", headers=bob))
    sample = {"name": "all", "rule": {"every": 1}}
    _ok(client.post(f"/api/datasets/{dataset['id']}/sample-sets", json=sample, headers=bob))
    # a model registered, renamed, deleted (by the admin)
    model = {"name": "m", "taxonomy_id": tiny["id"], "kind": "hub", "path": "owner/m"}
    model_id = _ok(client.post("/api/models", json=model, headers=bob))["id"]
    _ok(client.patch(f"/api/models/{model_id}", json={"name": "m2"}, headers=bob))
    _ok(client.delete(f"/api/models/{model_id}"))
    # then each write is one audit event, with its author
    events = client.get("/api/audit", params={"limit": 1000}).json()["items"]
    seen = {(e["entity"], e["action"], e["actor"]) for e in events}
    assert {
        ("mapping", "create", "bob"),
        ("mapping", "save", "bob"),
        ("verification", "create", "bob"),
        ("dataset", "create", "bob"),
        ("job", "create", "bob"),
        ("sample_set", "create", "bob"),
        ("model", "create", "bob"),
        ("model", "update", "bob"),
        ("model", "delete", "admin"),
        ("user", "create", "test-setup"),
        ("api_token", "create", "test-setup"),
    } <= seen
