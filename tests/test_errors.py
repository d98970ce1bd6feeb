"""Every error path answers one shape: ``{"detail": "<what to do>", ...}`` (docs/api.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ontolabel.api.app import create_app
from ontolabel.core.config import Settings
from ontolabel.core.db import upgrade_database

CRASH = "/api/test-only/crash"


def _crash() -> None:
    raise RuntimeError("a bug")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The real app on a migrated SQLite file, plus one route that fails unexpectedly."""
    settings = Settings(home=tmp_path_factory.mktemp("home"))
    upgrade_database(settings.sqlalchemy_url)
    app = create_app(settings)
    app.add_api_route(CRASH, _crash, include_in_schema=False)
    app.router.routes.insert(0, app.router.routes.pop())  # ahead of the frontend's mount
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.engine.dispose()


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert isinstance(body["detail"], str) and body["detail"], body
    return body


def test_domain_error_names_what_and_where(client: TestClient) -> None:
    body = _error(client.get("/api/taxonomies/999"), 404)
    assert body == {"detail": "taxonomy 999 does not exist", "field": "taxonomy_id"}


def test_invalid_body_names_each_field_in_detail_and_errors(client: TestClient) -> None:
    # given a taxonomy whose first class has a non-integer id and no name
    bad = {"name": "t", "kind": "source", "classes": [{"id": "x"}]}
    # when it is posted
    body = _error(client.post("/api/taxonomies", json=bad), 422)
    # then detail is one sentence naming both fields, and errors lists them
    fields = [e["field"] for e in body["errors"]]
    assert fields == ["classes[0].id", "classes[0].name"]
    assert all(e["message"] for e in body["errors"])
    assert "classes[0].id: " in body["detail"] and "classes[0].name: " in body["detail"]
    assert body["field"] == "classes[0].id"


def test_invalid_query_parameter_is_named(client: TestClient) -> None:
    body = _error(client.get("/api/taxonomies", params={"limit": 0}), 422)
    assert body["field"] == "limit" and body["detail"].startswith("limit: ")


def test_malformed_json_says_where_it_breaks(client: TestClient) -> None:
    response = client.post(
        "/api/taxonomies", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    body = _error(response, 422)
    assert body["field"] == "body" and "malformed JSON at character" in body["detail"]


def test_unknown_route_names_the_route(client: TestClient) -> None:
    body = _error(client.get("/api/no-such-thing"), 404)
    assert body["detail"] == "no such route: GET /api/no-such-thing; every route is listed at /docs"


def test_wrong_method_names_the_allowed_ones(client: TestClient) -> None:
    response = client.delete("/api/health")
    body = _error(response, 405)
    # (with the web app built, its mount answers too and adds HEAD)
    allowed = response.headers["allow"]
    assert allowed in ("GET", "GET, HEAD")
    assert body == {"detail": f"DELETE is not allowed on /api/health; use {allowed}"}


def test_unexpected_failure_is_json_too(client: TestClient) -> None:
    body = _error(client.get(CRASH), 500)
    assert "RuntimeError" in body["detail"] and "server log" in body["detail"]
    assert "a bug" not in body["detail"]  # internals stay in the log


def test_openapi_declares_the_error_body_on_every_operation(tmp_path: Path) -> None:
    # given the generated OpenAPI document
    app = create_app(Settings(home=tmp_path))
    spec = app.openapi()
    app.state.engine.dispose()
    ref = "#/components/schemas/ErrorRead"
    missing, framework = [], []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            schema = responses.get("default", {}).get("content", {}).get("application/json", {})
            if schema.get("schema", {}).get("$ref") != ref:
                missing.append(f"{method.upper()} {path}")
            if "HTTPValidationError" in str(responses):
                framework.append(f"{method.upper()} {path}")
    # then every operation documents ErrorRead, and none FastAPI's list-shaped 422 body
    assert missing == [] and framework == []
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert "errors" in spec["components"]["schemas"]["ErrorRead"]["properties"]


def test_wrong_method_lists_every_method_of_the_path(client: TestClient) -> None:
    # Starlette would name only the first route that matched (GET)
    response = client.delete("/api/taxonomies")
    _error(response, 405)
    assert response.headers["allow"] == "GET, POST"


def test_a_wrong_method_is_405_even_where_the_frontend_is_mounted(tmp_path: Path) -> None:
    # given the app with a frontend folder mounted at / (as `make run` serves it)
    from fastapi.staticfiles import StaticFiles

    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "index.html").write_text("<!doctype html>")
    settings = Settings(home=tmp_path / "home")
    upgrade_database(settings.sqlalchemy_url)
    app = create_app(settings)
    app.mount("/", StaticFiles(directory=tmp_path / "web", html=True), name="web")
    with TestClient(app) as client:
        # when an API path is asked with a method it lacks, the files' 404 is no answer
        response = client.get("/api/auth/login")
        # then it is a 405 naming the path's methods, while a path no route has stays 404
        _error(response, 405)
        assert response.headers["allow"] == "POST"
        _error(client.get("/api/no-such-thing"), 404)
    app.state.engine.dispose()


def test_a_literal_path_is_no_id_for_its_neighbour(client: TestClient) -> None:
    # given /api/taxonomies/import (POST) beside /api/taxonomies/{taxonomy_id} (GET, PUT)
    response = client.put("/api/taxonomies/import", json={})
    # then PUT there is a wrong method, not an invalid id
    body = _error(response, 405)
    assert response.headers["allow"] == "POST"
    assert body["detail"] == "PUT is not allowed on /api/taxonomies/import; use POST"
    # while a word where only an id can go is still an invalid id
    assert _error(client.get("/api/taxonomies/abc"), 422)["field"] == "taxonomy_id"


@pytest.mark.parametrize(
    ("cls", "field"),
    [
        ({"id": 1, "name": "road", "ignore": 0}, "classes[0].ignore"),
        ({"id": "1", "name": "road"}, "classes[0].id"),
        ({"id": 1, "name": "road", "file_cells": [None, None]}, "classes[0].file_cells"),
    ],
)
def test_body_values_must_have_their_json_type(
    client: TestClient, cls: dict[str, Any], field: str
) -> None:
    body = {"name": "typed", "kind": "source", "classes": [cls]}
    assert _error(client.post("/api/taxonomies", json=body), 422)["field"] == field


def test_enumerated_and_patterned_parameters_are_in_the_schema(client: TestClient) -> None:
    # a job status outside the schema's enum, a model key with a space
    assert _error(client.get("/api/jobs", params={"status": "nope"}), 422)["field"] == "status"
    preview = client.post("/api/previews/a%20b/1", json={"mapping_id": 1})
    assert _error(preview, 422)["field"] == "model_key"
