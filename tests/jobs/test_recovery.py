"""Recovery without ``jobs resume``: real workers, real Redis and PostgreSQL, and the
broker's production visibility timeout (3 h), so only our own sweep can bring work back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from conftest import REDIS_URL
from ontolabel.core.clock import utcnow
from ontolabel.core.db import session_scope
from ontolabel.jobs import dispatch, repository, service
from ontolabel.jobs.sweep import SweepThread, queued_messages
from support.celery_worker import CeleryStack, redis_or_skip
from support.tcp_proxy import TcpProxy

from .conftest import KIND_MODULE
from .kinds_for_tests import KIND, WriterParams, unit_is_valid, unit_path

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

PRODUCTION_VISIBILITY_S = 3 * 3600
REDIS_DB7 = REDIS_URL.rsplit("/", 1)[0] + "/7"  # our own Redis database, besides our own prefix
CLOSED_PORT_URL = "redis://127.0.0.1:1/7"
FINAL = {"succeeded", "failed", "cancelled"}


@pytest.fixture
def stack(celery_stack: Callable[..., CeleryStack]) -> Iterator[CeleryStack]:
    """Short leases and sweeps (allowed), the broker's real 3 h visibility timeout."""
    client = redis_or_skip(REDIS_DB7)
    made = celery_stack(
        kind_modules=[KIND_MODULE],
        redis_url=REDIS_DB7,
        visibility_timeout_s=PRODUCTION_VISIBILITY_S,
        job_lease_s=2,
        sweep_interval_s=1,
    )
    assert made.settings.visibility_timeout_s == PRODUCTION_VISIBILITY_S
    yield made
    made.stop_all()
    prefix = made.settings.queue_prefix
    client.delete(*(client.keys(f"*{prefix}*") or [f"{prefix}.cpu"]))
    client.close()


def _writes(out: Path) -> list[int]:
    return [int(line.split()[0]) for line in (out / "writes.log").read_text().splitlines()]


def _log(stack: CeleryStack, job_id: int) -> list[str]:
    with stack.session_factory() as session:
        return [e.message for e in service.events_since(session, job_id)]


def _assert_clean_run(stack: CeleryStack, job_id: int, units: int) -> None:
    out = stack.settings.outputs / str(job_id)
    assert all(unit_is_valid(unit_path(out, u), u) for u in range(units)), "a unit is torn"
    writes = _writes(out)
    assert sorted(writes) == list(range(units)), f"a unit was written twice: {sorted(writes)}"


def test_a_sigkilled_worker_s_chunk_is_re_sent_by_the_sweep(stack: CeleryStack) -> None:
    # given a job whose worker dies (whole process group) in its second chunk
    first = stack.start_worker("doomed")
    job_id = stack.create_job(KIND, {"units": 16, "per_chunk": 4, "sleep_s": 0.15})
    stack.wait_until(job_id, lambda j: j.done >= 6, timeout_s=30)
    stack.kill(first)
    out = stack.settings.outputs / str(job_id)
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("unit_*.txt")}
    killed_at = time.monotonic()

    # when another worker starts (its message stays unacked for 3 h in Redis)
    stack.start_worker("rescuer")
    job = stack.wait_for_status(job_id, FINAL, timeout_s=60)

    # then the sweep re-sent the chunk within a minute, and nothing was written twice
    assert job.status == "succeeded", job.error
    assert time.monotonic() - killed_at < 60
    _assert_clean_run(stack, job_id, 16)
    assert {p: out.joinpath(p).stat().st_mtime_ns for p in mtimes} == mtimes, "a file rewritten"
    lines = _log(stack, job_id)
    assert any("sweep: chunk" in m and "expired" in m for m in lines), lines
    assert any("takes it over" in m for m in lines), lines


def test_queued_messages_lost_by_redis_are_re_sent(stack: CeleryStack) -> None:
    # given a job with chunks waiting in the queue behind the one a worker runs
    stack.start_worker("only")
    job_id = stack.create_job(KIND, {"units": 12, "per_chunk": 2, "sleep_s": 0.2})
    stack.wait_until(job_id, lambda j: j.done >= 1, timeout_s=30)
    client = redis_or_skip(REDIS_DB7)
    queue = f"{stack.settings.queue_prefix}.cpu"
    assert queued_messages(stack.settings, client).chunks, "chunks should be waiting"

    # when Redis loses every queued message (as a restart without persistence does)
    client.delete(queue)
    client.close()

    # then the sweep sends the pending chunks again and the job finishes
    job = stack.wait_for_status(job_id, FINAL, timeout_s=60)
    assert (job.status, job.done) == ("succeeded", 12), job.error
    _assert_clean_run(stack, job_id, 12)
    assert any("no message for it waits in the queue" in m for m in _log(stack, job_id))


def test_a_job_created_while_the_broker_is_down_is_sent_once_it_is_back(
    stack: CeleryStack,
) -> None:
    # given a job created while the broker cannot be reached
    down = stack.settings.model_copy(update={"redis_url": CLOSED_PORT_URL})
    sender = dispatch.CeleryDispatcher(down)
    try:
        with session_scope(stack.session_factory) as session:
            params = WriterParams(units=4, per_chunk=2)
            job_id = service.create_job(session, down, params, "test", dispatcher=sender).id
    finally:
        sender.close()
    job = stack.job(job_id)
    assert (job.status, job.sent_at) == ("queued", None)
    assert any("could not send the job" in m for m in _log(stack, job_id))

    # when a worker runs on the (reachable) broker
    stack.start_worker("later")

    # then its sweep sends the job and it runs
    job = stack.wait_for_status(job_id, FINAL, timeout_s=60)
    assert job.status == "succeeded", job.error
    assert job.sent_at is not None
    assert any("never sent" in m for m in _log(stack, job_id))


def test_of_two_sweepers_exactly_one_re_sends_a_stranded_job(stack: CeleryStack) -> None:
    # given a job never sent, past the grace period
    with session_scope(stack.session_factory) as session:
        job_id = service.create_job(session, stack.settings, WriterParams(units=2), "t").id
    time.sleep(0.2)
    cutoff = utcnow()
    start = threading.Barrier(2)

    def claim(_: int) -> bool:
        with session_scope(stack.session_factory) as session:
            start.wait()
            return repository.take_job_redispatch(session, job_id, cutoff, cutoff)

    # when two sweeps claim its re-send at the same moment
    with ThreadPoolExecutor(2) as pool:
        wins = list(pool.map(claim, range(2)))

    # then exactly one wins: the other's UPDATE no longer matches the freshly sent row
    assert sorted(wins) == [False, True]


def test_a_database_outage_seen_by_a_worker_is_retried_through_and_logged(
    celery_stack: Callable[..., CeleryStack], pg_database: str
) -> None:
    # given a worker that reaches PostgreSQL through a proxy we can cut
    parts = urlsplit(pg_database)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    via_proxy = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    stack = celery_stack(
        kind_modules=[KIND_MODULE],
        database_url=via_proxy,
        visibility_timeout_s=PRODUCTION_VISIBILITY_S,
        job_lease_s=2,
        sweep_interval_s=1,
    )
    try:
        stack.start_worker("patient")

        # when the database goes away as a job is sent, and comes back a few seconds later
        proxy.cut()
        job_id = stack.create_job(KIND, {"units": 4, "per_chunk": 2})  # (not via the proxy)
        time.sleep(4)
        proxy.restore()

        # then the worker retried through it, the job finished, and its log says so
        job = stack.wait_for_status(job_id, FINAL, timeout_s=60)
        assert job.status == "succeeded", job.error
        # (the sweep notes it at once; the retried task when its backed-off retry runs)
        deadline = time.monotonic() + 30
        while not any("was retried until it came back" in m for m in _log(stack, job_id)):
            assert time.monotonic() < deadline, _log(stack, job_id)
            time.sleep(0.2)
        lines = _log(stack, job_id)
        assert any("the sweep caught up" in m for m in lines), lines
    finally:
        stack.stop_all()
        proxy.cut()


def test_a_broker_outage_seen_by_the_sweep_is_logged_and_caught_up(stack: CeleryStack) -> None:
    # given a job created while the broker was down, and a sweep that cannot reach it either
    down = stack.settings.model_copy(update={"redis_url": CLOSED_PORT_URL})
    with session_scope(stack.session_factory) as session:
        job_id = service.create_job(session, down, WriterParams(units=2), "test").id
    sender = dispatch.CeleryDispatcher(stack.settings)
    sweep = SweepThread(stack.settings, sender)
    unreachable, reachable = redis.Redis.from_url(CLOSED_PORT_URL), redis_or_skip(REDIS_DB7)
    time.sleep(sweep.grace_s)
    try:
        # when one round fails on the broker and the next reaches it
        assert sweep.round(stack.session_factory, unreachable) is None
        report = sweep.round(stack.session_factory, reachable)

        # then the job is sent once, and its log tells of the outage and the send
        assert report is not None and report.jobs == [job_id]
        assert job_id in queued_messages(stack.settings, reachable).plans
        lines = _log(stack, job_id)
        assert any("the broker was unreachable for about" in m for m in lines), lines
        assert any("sweep: job sent: it was never sent" in m for m in lines), lines
    finally:
        sender.close()
        reachable.close()
