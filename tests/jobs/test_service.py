"""Creating, listing, cancelling jobs; row first, enqueue after commit."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from conftest import REDIS_URL
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.errors import Conflict, InvalidInput, NotFound
from ontolabel.jobs import repository, service
from ontolabel.jobs.dispatch import CeleryDispatcher
from ontolabel.jobs.params import IndexParams
from ontolabel.jobs.schemas import JobRead
from sqlalchemy.orm import Session, sessionmaker
from support.celery_worker import redis_or_skip

from .kinds_for_tests import KIND, WriterParams


def test_create_job_writes_a_queued_row_with_its_validated_params_and_a_log_line(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    # given a job's parameters that leave most fields to their defaults
    with session_scope(session_factory) as session:
        job = service.create_job(session, settings, WriterParams(units=3), "alice")
        job_id = job.id
    # then the row holds the whole validated contract, defaults written out
    with session_factory() as session:
        job = service.get_job(session, job_id)
        assert (job.kind, job.status, job.created_by) == (KIND, "queued", "alice")
        assert job.params == WriterParams(units=3).model_dump(mode="json")
        assert job.params["per_chunk"] == 4
        events = service.events_since(session, job_id)
        assert [e.seq for e in events] == [1]
        assert "queued by alice" in events[0].message


def test_a_job_naming_a_missing_dataset_is_refused_and_nothing_is_written(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with session_factory() as session, pytest.raises(InvalidInput) as err:
        service.create_job(session, settings, IndexParams(dataset_id=3), "alice")
    assert err.value.extra == {"field": "params.dataset_id"}
    with session_factory() as session:
        assert service.list_jobs(session)[1] == 0


def test_list_filters_by_kind_and_status(
    session_factory: sessionmaker[Session], make_job: Callable[..., int]
) -> None:
    first = make_job(units=1)
    with session_scope(session_factory) as session:  # a row of another kind
        repository.add_job(session, "index", {"dataset_id": 1}, "alice")
    with session_scope(session_factory) as session:
        service.cancel_job(session, first, "bob")
    with session_factory() as session:
        items, total = service.list_jobs(session, kind=KIND)
        assert (total, [j.id for j in items]) == (1, [first])
        items, total = service.list_jobs(session, status="queued")
        assert total == 1 and items[0].kind == "index"
        with pytest.raises(InvalidInput):
            service.list_jobs(session, status="sleeping")


def test_cancel_queued_job_is_immediate_and_final_job_conflicts(
    session_factory: sessionmaker[Session], make_job: Callable[..., int]
) -> None:
    job_id = make_job(units=2)
    with session_scope(session_factory) as session:
        job = service.cancel_job(session, job_id, "bob")
        assert (job.status, job.cancel_requested) == ("cancelled", True)
    with session_factory() as session, pytest.raises(Conflict):
        service.cancel_job(session, job_id, "bob")
    with session_factory() as session, pytest.raises(NotFound):
        service.cancel_job(session, 999, "bob")


@pytest.mark.redis
def test_job_is_sent_only_after_commit_and_never_on_rollback(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    redis = redis_or_skip()
    prefix = f"ontolabel-test-{uuid.uuid4().hex[:10]}"
    queue = f"{prefix}.cpu"
    dispatcher = CeleryDispatcher(
        settings.model_copy(update={"redis_url": REDIS_URL, "queue_prefix": prefix})
    )
    try:
        session = session_factory()
        service.create_job(session, settings, WriterParams(units=1), "alice", dispatcher=dispatcher)
        assert redis.llen(queue) == 0, "nothing may be sent before commit"
        session.rollback()
        session.close()
        assert redis.llen(queue) == 0, "a rolled-back job must send nothing"

        with session_scope(session_factory) as session:
            job_id = service.create_job(
                session, settings, WriterParams(units=1), "alice", dispatcher=dispatcher
            ).id
            assert redis.llen(queue) == 0
        message = json.loads(redis.lpop(queue))
        assert message["headers"]["task"] == "ontolabel.plan_job"
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        assert args == [job_id]
    finally:
        dispatcher.close()
        redis.delete(queue, f"_kombu.binding.{queue}")


def test_an_unreachable_broker_leaves_the_job_queued_and_says_how_to_resume(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    dispatcher = CeleryDispatcher(
        settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    )
    try:
        with session_scope(session_factory) as session:
            job_id = service.create_job(
                session, settings, WriterParams(units=0), "alice", dispatcher=dispatcher
            ).id
    finally:
        dispatcher.close()
    with session_factory() as session:
        assert service.get_job(session, job_id).status == "queued"
        last = service.events_since(session, job_id)[-1]
    assert last.level == "warning"  # not an error: the workers' sweep sends it later
    assert "sweep sends it" in last.message
    assert f"ontolabel jobs resume {job_id}" in last.message


def test_job_times_are_read_as_utc(
    session_factory: sessionmaker[Session], make_job: Callable[..., int]
) -> None:
    job_id = make_job(units=1)
    with session_factory() as session:
        read = JobRead.model_validate(service.get_job(session, job_id))
    assert read.created_at.utcoffset() == timedelta(0)
