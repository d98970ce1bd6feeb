"""``Idempotency-Key`` on ``POST /api/jobs``: one key, one job, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from ontolabel.core.clock import utcnow
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.jobs import idempotency, service
from ontolabel.jobs.tables import JobIdempotencyKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from . import kinds_for_tests

BODY = {"kind": kinds_for_tests.KIND, "params": {"units": 1}}


def _post(client: TestClient, key: str, body: dict[str, Any] = BODY) -> Any:
    return client.post("/api/jobs", json=body, headers={"Idempotency-Key": key})


def _jobs(client: TestClient) -> int:
    total: int = client.get("/api/jobs").json()["total"]
    return total


def test_the_same_key_answers_the_first_job(client: TestClient) -> None:
    # given a job posted with a key
    first = _post(client, "click-1")
    assert first.status_code == 201, first.text
    # when the same request is posted again with that key
    again = _post(client, "click-1")
    # then it answers the same job with 200 and starts nothing
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert _jobs(client) == 1
    # and another key, or none, starts another job
    assert _post(client, "click-2").status_code == 201
    assert client.post("/api/jobs", json=BODY).status_code == 201
    assert _jobs(client) == 3


def test_the_same_key_with_another_body_is_refused_naming_the_header(client: TestClient) -> None:
    assert _post(client, "k").status_code == 201
    other = _post(client, "k", {"kind": kinds_for_tests.KIND, "params": {"units": 2}})
    assert other.status_code == 422, other.text
    assert other.json()["field"] == "Idempotency-Key"
    assert "different request body" in other.json()["detail"]
    assert _jobs(client) == 1


def test_a_key_that_is_not_printable_ascii_is_refused(client: TestClient) -> None:
    response = _post(client, "a b")
    assert response.status_code == 422, response.text
    assert "Idempotency-Key" in response.json()["detail"]
    assert _jobs(client) == 0


def test_a_key_older_than_a_day_starts_a_new_job(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    first = _post(client, "old").json()["id"]
    with session_scope(session_factory) as session:
        for row in session.scalars(select(JobIdempotencyKey)):
            row.created_at = utcnow() - idempotency.KEY_TTL - timedelta(minutes=1)
    renewed = _post(client, "old")
    assert renewed.status_code == 201, renewed.text
    assert renewed.json()["id"] != first
    assert _post(client, "old").json()["id"] == renewed.json()["id"]


def test_concurrent_double_posts_with_one_key_make_one_job(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    # given many clients posting the same request with the same key at the same moment
    posts = 8
    barrier = threading.Barrier(posts, timeout=30)

    def post(_: int) -> tuple[int, int]:
        barrier.wait()
        response = _post(client, "double-click")
        return response.status_code, response.json().get("id", -1)

    with ThreadPoolExecutor(max_workers=posts) as pool:
        answers = list(pool.map(post, range(posts)))
    # then one made the job, the others answered it
    assert sorted(status for status, _ in answers) == [200] * (posts - 1) + [201], answers
    assert len({job_id for _, job_id in answers}) == 1
    assert _jobs(client) == 1
    with session_factory() as session:
        assert len(session.scalars(select(JobIdempotencyKey)).all()) == 1


def test_keys_are_per_user(settings: Settings, session_factory: sessionmaker[Session]) -> None:
    params = kinds_for_tests.WriterParams(units=1)
    made = []
    for user in ("ann", "bob", "ann"):
        with session_scope(session_factory) as session:

            def create(user: str = user, session: Session = session) -> Any:
                return service.create_job(session, settings, params, user)

            job, new = idempotency.create_once(session, user, "same", "h", create)
            made.append((job.id, new))
    assert made[0][1] and made[1][1] and not made[2][1]
    assert made[0][0] == made[2][0] != made[1][0]
