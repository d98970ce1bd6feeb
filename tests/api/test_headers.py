"""Every response carries the security headers; CORS is closed unless origins are listed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from httpx import Response
from ontolabel.api.app import create_app
from ontolabel.core.config import Settings
from ontolabel.core.db import upgrade_database

CRASH = "/api/test-only/crash"
SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options")


def _crash() -> None:
    raise RuntimeError("a bug")


def _client(settings: Settings, static: Path) -> TestClient:
    upgrade_database(settings.sqlalchemy_url)
    app = create_app(settings)
    app.add_api_route(CRASH, _crash, include_in_schema=False)
    app.mount("/test-static", StaticFiles(directory=static), name="test-static")
    for _ in range(2):  # both ahead of the frontend's mount, when there is one
        app.router.routes.insert(0, app.router.routes.pop())
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("static")
    (folder / "app.js").write_text("console.log('hi')\n")
    return folder


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, static: Path) -> Iterator[TestClient]:
    """The real app on SQLite, with a failing route and a folder of static files."""
    with _client(Settings(home=tmp_path_factory.mktemp("home")), static) as c:
        yield c
    c.app.state.engine.dispose()  # type: ignore[attr-defined]


def _assert_secured(response: Response) -> None:
    headers = response.headers
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/health", 200),
        ("GET", "/api/taxonomies", 200),
        ("GET", "/api/taxonomies/999", 404),
        ("GET", "/api/taxonomies?limit=0", 422),
        ("GET", "/api/no-such-route", 404),
        ("DELETE", "/api/health", 405),
        ("GET", CRASH, 500),
        ("GET", "/test-static/app.js", 200),
        ("GET", "/test-static/missing.js", 404),
        ("GET", "/openapi.json", 200),
        ("GET", "/docs", 200),
    ],
)
def test_every_kind_of_response_carries_the_security_headers(
    client: TestClient, method: str, path: str, status: int
) -> None:
    # when any request is answered: success, domain error, validation, unknown route,
    # wrong method, crash, static file, missing static file, the docs
    response = client.request(method, path)
    # then it carries the policy headers
    assert response.status_code == status
    _assert_secured(response)


def test_the_app_pages_may_show_preview_data_urls_but_run_no_inline_script(
    client: TestClient,
) -> None:
    policy = client.get("/api/health").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert "data:" in directives["img-src"] and "blob:" in directives["img-src"]
    assert "unsafe-inline" not in policy and "script-src" not in directives


def test_cors_is_closed_by_default(client: TestClient) -> None:
    # given a page on another origin
    origin = {"Origin": "https://evil.example"}
    # when it preflights a write and makes a simple read
    preflight = client.options(
        "/api/taxonomies",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    read = client.get("/api/taxonomies", headers=origin)
    # then neither answer allows it
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in read.headers
    _assert_secured(preflight)


def test_cors_allows_only_the_listed_origins(tmp_path: Path, static: Path) -> None:
    # given a deployment that lists one front-end origin
    settings = Settings(home=tmp_path, cors_origins="https://labels.example")
    with _client(settings, static) as client:
        allowed = client.options(
            "/api/taxonomies",
            headers={
                "Origin": "https://labels.example",
                "Access-Control-Request-Method": "POST",
            },
        )
        other = client.get("/api/taxonomies", headers={"Origin": "https://evil.example"})
    client.app.state.engine.dispose()  # type: ignore[attr-defined]
    # then that origin is allowed, and no other
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://labels.example"
    assert "access-control-allow-origin" not in other.headers
