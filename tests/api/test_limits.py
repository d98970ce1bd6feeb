"""Request bodies are refused (413) while they are read, before anything parses them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from ontolabel.api.app import create_app
from ontolabel.core.config import Settings
from ontolabel.core.db import upgrade_database

MIB = 1024 * 1024
BOUNDARY = "ontolabelboundary"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    """The real app on SQLite that accepts 1 MiB uploads and 64 KiB of JSON."""
    settings = Settings(home=tmp_path, max_upload_bytes=MIB, max_json_bytes=64 * 1024)
    upgrade_database(settings.sqlalchemy_url)
    app = create_app(settings)
    yield app
    app.state.engine.dispose()


class Upload:
    """A client that streams a body in 256 KiB chunks and counts what the server took."""

    def __init__(self, total: int, prefix: bytes = b"") -> None:
        self.total, self.prefix, self.taken = total, prefix, 0
        self.messages: list[dict[str, Any]] = []

    def _chunks(self) -> Iterator[bytes]:
        yield self.prefix
        chunk = b"x" * (256 * 1024)
        for _ in range(0, self.total - len(self.prefix), len(chunk)):
            yield chunk

    def post(self, app: FastAPI, path: str, headers: dict[str, str]) -> tuple[int, Any]:
        chunks = self._chunks()

        async def receive() -> dict[str, Any]:
            chunk = next(chunks, None)
            if chunk is None:
                return {"type": "http.request", "body": b"", "more_body": False}
            self.taken += len(chunk)
            return {"type": "http.request", "body": chunk, "more_body": True}

        async def send(message: dict[str, Any]) -> None:
            self.messages.append(message)

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "client": ("client", 1),
            "server": ("server", 80),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        }  # fmt: skip
        anyio.run(app, scope, receive, send)
        body = b"".join(m.get("body", b"") for m in self.messages[1:])
        return self.messages[0]["status"], json.loads(body)


def _multipart_start() -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="labels.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n0,name,id\r\n"
    ).encode()


def _taxonomy_count(app: FastAPI) -> int:
    with TestClient(app) as client:
        total: int = client.get("/api/taxonomies").json()["total"]
    return total


def test_a_declared_50_mb_upload_is_refused_before_a_byte_is_read(app: FastAPI) -> None:
    # given a 50 MB upload that says its size
    upload = Upload(50 * MIB, _multipart_start())
    headers = {
        "content-type": f"multipart/form-data; boundary={BOUNDARY}",
        "content-length": str(50 * MIB),
    }
    # when it is posted
    status, body = upload.post(app, "/api/taxonomies/import", headers)
    # then it is a 413 naming the limit, and none of the body was read
    assert status == 413 and upload.taken == 0
    assert "ONTOLABEL_MAX_UPLOAD_BYTES" in body["detail"]
    assert _taxonomy_count(app) == 0


def test_a_streamed_upload_is_refused_once_it_passes_the_limit(app: FastAPI) -> None:
    # given a 50 MB upload sent without a length (chunked)
    upload = Upload(50 * MIB, _multipart_start())
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    # when it is posted
    status, body = upload.post(app, "/api/taxonomies/import", headers)
    # then reading stopped at the chunk past the limit (plus the form's room) with a 413
    assert status == 413, body
    assert upload.taken <= 2 * MIB
    assert "ONTOLABEL_MAX_UPLOAD_BYTES" in body["detail"]
    assert _taxonomy_count(app) == 0


def test_a_streamed_json_body_is_refused_once_it_passes_the_json_limit(app: FastAPI) -> None:
    # given a 32 MB lint draft sent without a length
    upload = Upload(32 * MIB, b'{"extra_taxonomy": "')
    # when it is posted
    status, body = upload.post(app, "/api/mappings/lint", {"content-type": "application/json"})
    # then no more than one chunk past the 64 KiB limit was read
    assert status == 413, body
    assert upload.taken <= 64 * 1024 + 256 * 1024
    assert "ONTOLABEL_MAX_JSON_BYTES" in body["detail"]


def test_a_json_body_over_the_limit_is_a_413(app: FastAPI) -> None:
    # given a taxonomy body a little over the 64 KiB limit
    classes = [{"id": i, "name": f"class {i:05d} " + "x" * 40} for i in range(1200)]
    with TestClient(app) as client:
        response = client.post(
            "/api/taxonomies", json={"name": "big", "kind": "extra", "classes": classes}
        )
        small = client.post(
            "/api/taxonomies", json={"name": "small", "kind": "extra", "classes": classes[:10]}
        )
    # then it is refused with the error body; a small one is not
    assert response.status_code == 413
    assert response.json()["limit"] == 64 * 1024
    assert small.status_code == 201
