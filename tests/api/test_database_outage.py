"""A database outage answers 503 with ``Retry-After``, and the server recovers by itself."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from fastapi.testclient import TestClient
from ontolabel.core.config import Settings
from support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres


def test_an_unreachable_database_is_503_then_the_server_recovers(
    pg_database: str, tmp_path: Path
) -> None:
    from ontolabel.api.app import create_app

    # given a real app whose PostgreSQL is reached through a proxy we can cut
    parts = urlsplit(pg_database)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    via_proxy = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    app = create_app(Settings(home=tmp_path, database_url=via_proxy))
    with TestClient(app) as client:
        assert client.get("/api/taxonomies").status_code == 200

        # when the database goes away
        proxy.cut()
        down = client.get("/api/taxonomies")

        # then the API says so: 503, when to retry, the usual error body
        assert down.status_code == 503, down.text
        assert down.headers["Retry-After"] == "5"
        assert "database is unavailable" in down.json()["detail"]

        # and once it is back, the next request is served with no restart
        proxy.restore()
        assert client.get("/api/taxonomies").status_code == 200
    proxy.cut()
    app.state.engine.dispose()
