"""Concurrency through the real app: writers never see a 5xx, a busy pool answers 503.

SQLite allows one writer at a time; a transaction that read first and then writes fails
at once with "database is locked" when another committed meanwhile. The request's unit
of work is run again (``api.retry``), so no client ever sees it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
from datasets.factories import create_taxonomy, index, label_array, write_frame
from fastapi.testclient import TestClient
from ontolabel.api.app import create_app
from ontolabel.core.config import Settings
from sqlalchemy.orm import Session, sessionmaker

WRITERS = 16
ROUNDS = 4


def _model_folder(settings: Settings, name: str) -> Path:
    folder = settings.allowed_data_roots[0] / "models" / name
    folder.mkdir(parents=True)
    config = {"model_type": "segformer", "id2label": {"0": "road", "1": "car"}}
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def _indexed_dataset(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> int:
    root = settings.allowed_data_roots[0] / "ds"
    for i in range(6):
        write_frame(root, f"s/c/{i:03d}", label_array(i))
    create_taxonomy(session_factory)
    spec = {"name": "ds", "root": str(root), "taxonomy": "tiny", "preset": "generic"}
    response = client.post("/api/datasets", json=spec)
    assert response.status_code == 201, response.text
    dataset_id: int = response.json()["id"]
    assert index(session_factory, settings, dataset_id)[0] == "succeeded"
    return dataset_id


def test_concurrent_writes_of_every_kind_are_all_stored(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given a source taxonomy, model folders and an indexed dataset
    source = client.post(
        "/api/taxonomies",
        json={
            "name": "src",
            "kind": "source",
            "classes": [{"id": 0, "name": "road"}, {"id": 1, "name": "car"}],
        },
    )
    assert source.status_code == 201, source.text
    taxonomy_id = source.json()["id"]
    dataset_id = _indexed_dataset(client, settings, session_factory)
    root = settings.allowed_data_roots[0] / "ds"
    folders = {
        (w, r): _model_folder(settings, f"m{w}-{r}") for w in range(WRITERS) for r in range(ROUNDS)
    }
    barrier = threading.Barrier(WRITERS, timeout=60)

    def writes(w: int, r: int) -> list[Callable[[], httpx.Response]]:
        tag = f"{w}-{r}"
        spec = {"root": str(root), "taxonomy": "tiny", "preset": "generic"}
        rule = {"every": 1 + (w + r) % 3}
        taxonomy = {"kind": "extra", "classes": [{"id": 0, "name": "a"}, {"id": 1, "name": "b"}]}
        return [
            lambda: client.post(
                "/api/models",
                json={
                    "name": f"model-{tag}",
                    "kind": "hf_dir",
                    "taxonomy_id": taxonomy_id,
                    "path": str(folders[(w, r)]),
                },
            ),
            lambda: client.post("/api/datasets", json={"name": f"ds-{tag}", **spec}),
            lambda: client.post(
                f"/api/datasets/{dataset_id}/sample-sets", json={"name": f"s-{tag}", "rule": rule}
            ),
            lambda: client.post("/api/taxonomies", json={"name": f"tax-{tag}", **taxonomy}),
        ]

    def writer(w: int) -> list[tuple[int, str]]:
        barrier.wait()
        answers = []
        for r in range(ROUNDS):
            for write in writes(w, r):
                response = write()
                answers.append((response.status_code, response.text[:200]))
        return answers

    # when many clients write at once
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        answers = [a for batch in pool.map(writer, range(WRITERS)) for a in batch]

    # then every write answered 201 and is stored
    failed = [a for a in answers if a[0] != 201]
    assert failed == [], failed[:5]
    stored: dict[str, Any] = {
        "models": client.get("/api/models", params={"limit": 1000}).json()["total"],
        "datasets": client.get("/api/datasets", params={"limit": 1000}).json()["total"],
        "sample sets": client.get(f"/api/datasets/{dataset_id}/sample-sets").json()["total"],
        "taxonomies": client.get("/api/taxonomies", params={"limit": 1000}).json()["total"],
    }
    n = WRITERS * ROUNDS
    assert stored == {"models": n, "datasets": n + 1, "sample sets": n, "taxonomies": n + 2}


def test_a_request_that_cannot_get_a_connection_is_answered_503_then_the_server_recovers(
    settings: Settings,
) -> None:
    # given an app whose pool has one connection, held by someone else
    tight = settings.model_copy(
        update={"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout_s": 0.2}
    )
    app = create_app(tight)
    with TestClient(app) as client:
        held = app.state.engine.connect()
        # when a request needs the database, then it is told to come back, not a 500
        busy = client.get("/api/taxonomies")
        assert busy.status_code == 503, busy.text
        assert busy.headers["Retry-After"] == "1"
        assert "busy" in busy.json()["detail"]
        # and once the connection is free the same request is answered
        held.close()
        assert client.get("/api/taxonomies").status_code == 200
    app.state.engine.dispose()


def test_route_threads_match_the_pool(settings: Settings) -> None:
    sized = settings.model_copy(update={"db_pool_size": 7, "db_max_overflow": 5})
    app = create_app(sized)

    async def tokens() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    with TestClient(app) as client:
        assert client.portal is not None
        assert client.portal.call(tokens) == sized.thread_count
        assert app.state.engine.pool.size() == 7
    app.state.engine.dispose()


def test_a_burst_of_readers_queues_for_the_pool_instead_of_starving_it(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given an app with few threads and connections (the ratio of a busy server)
    create_taxonomy(session_factory)
    small = settings.model_copy(
        update={"db_pool_size": 3, "db_max_overflow": 0, "db_pool_timeout_s": 2, "api_threads": 2}
    )
    app = create_app(small)
    with TestClient(app) as client:
        # when many more clients than connections read at once, for longer than the timeout
        def read(_: int) -> int:
            return client.get("/api/taxonomies", params={"limit": 1000}).status_code

        with ThreadPoolExecutor(64) as pool:
            codes = list(pool.map(read, range(600)))
        # then every one of them is answered: they waited their turn holding nothing
        assert {code: codes.count(code) for code in set(codes)} == {200: len(codes)}
    app.state.engine.dispose()
