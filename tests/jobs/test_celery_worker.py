"""Real ``celery worker`` processes on real Redis and PostgreSQL, including a SIGKILL."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from ontolabel.jobs import repository, service
from support.celery_worker import CeleryStack

from .conftest import KIND_MODULE
from .kinds_for_tests import KIND, unit_is_valid, unit_path

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


def _writes(out: Path) -> list[int]:
    return [int(line.split()[0]) for line in (out / "writes.log").read_text().splitlines()]


def test_ontolabel_worker_runs_a_job_to_success(
    celery_stack: Callable[..., CeleryStack],
) -> None:
    stack = celery_stack(kind_modules=[KIND_MODULE])
    job_id = stack.create_job(KIND, {"units": 8, "per_chunk": 3, "bad_units": [5]})
    stack.resume(job_id)  # a duplicated plan message, as after a redelivery

    stack.start_worker("cli", via_cli=True)
    job = stack.wait_for_status(job_id, {"succeeded", "failed", "cancelled"}, timeout_s=60)

    assert (job.status, job.done, job.total) == ("succeeded", 8, 8)
    out = stack.settings.outputs / str(job_id)
    assert sorted(_writes(out)) == [0, 1, 2, 3, 4, 6, 7], "each unit written once"
    assert job.outputs["units"] == 7
    with stack.session_factory() as session:
        lines = [e.message for e in service.events_since(session, job_id)]
    assert sum(m.startswith("planned ") for m in lines) == 1
    assert sum(m.startswith("manifest lists") for m in lines) == 1, "finish ran once"


def test_a_job_survives_a_worker_killed_mid_chunk(
    celery_stack: Callable[..., CeleryStack],
) -> None:
    stack = celery_stack(kind_modules=[KIND_MODULE])
    first = stack.start_worker("doomed")
    job_id = stack.create_job(KIND, {"units": 24, "per_chunk": 4, "sleep_s": 0.15})
    stack.wait_until(job_id, lambda j: j.done >= 6, timeout_s=30)  # inside chunk 1

    stack.kill(first)
    killed_at = time.monotonic()
    stack.start_worker("rescuer")
    job = stack.wait_for_status(job_id, {"succeeded", "failed", "cancelled"}, timeout_s=60)

    assert job.status == "succeeded", job.error
    assert (job.done, job.total) == (24, 24)
    out = stack.settings.outputs / str(job_id)
    assert all(unit_is_valid(unit_path(out, u), u) for u in range(24)), "a unit is torn"
    writes = _writes(out)
    assert len(writes) == len(set(writes)), f"a unit was written twice: {sorted(writes)}"
    with stack.session_factory() as session:
        deliveries = [c.deliveries for c in repository.chunks_of(session, job_id)]
    # The killed chunk was delivered again; (on a starved machine a lease may also lapse
    # elsewhere and cause another, harmless redelivery).
    assert sum(d - 1 for d in deliveries) >= 1 and max(deliveries) <= 3, deliveries
    assert time.monotonic() - killed_at < 60


def test_a_chunk_that_kills_its_worker_fails_at_the_delivery_cap(
    celery_stack: Callable[..., CeleryStack],
) -> None:
    stack = celery_stack(kind_modules=[KIND_MODULE], job_lease_s=1)  # dead leases lapse fast
    worker = stack.start_worker("crashy")
    job_id = stack.create_job(KIND, {"units": 4, "per_chunk": 2, "die_in_chunks": [1]})

    job = stack.wait_for_status(job_id, {"succeeded", "failed", "cancelled"}, timeout_s=60)

    assert job.status == "failed"
    assert job.error is not None and "delivered 4 times (limit 3)" in job.error
    assert worker.process.poll() is None, "the main worker survives its pool process dying"
    assert "WorkerLostError" in worker.log()
