"""Running jobs in-process: plan, leased chunks, delivery cap, frame errors, cancel."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.jobs import repository, runner, service
from ontolabel.jobs.kinds import JobContext, get_kind
from ontolabel.jobs.runner import ChunkOutcome, run_job_inline
from ontolabel.jobs.tables import JobChunk
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from .kinds_for_tests import unit_body, unit_is_valid, unit_path

MakeJob = Callable[..., int]


def _writes(settings: Settings, job_id: int) -> list[int]:
    log = settings.outputs / str(job_id) / "writes.log"
    return [int(line.split()[0]) for line in log.read_text().splitlines()] if log.exists() else []


def _strand_chunk(factory: sessionmaker[Session], job_id: int, index: int, times: int = 1) -> None:
    """A worker took the chunk's lease and died: its lease lapses without renewal."""
    for _ in range(times):
        with session_scope(factory) as session:
            chunk = repository.chunks_of(session, job_id)[index]
            assert repository.claim_chunk(session, chunk.id, "dead-worker", lease_s=-1)


def test_job_runs_end_to_end_and_finishes_once(
    settings: Settings, session_factory: sessionmaker[Session], make_job: MakeJob
) -> None:
    job_id = make_job(units=10, per_chunk=4)

    assert run_job_inline(settings, job_id) == "succeeded"

    with session_factory() as session:
        job = service.get_job(session, job_id)
        chunks = repository.chunks_of(session, job_id)
        messages = [e.message for e in service.events_since(session, job_id)]
    assert (job.done, job.total, job.outputs["units"]) == (10, 10, 10)
    assert [(c.status, c.deliveries, c.done) for c in chunks] == [
        ("done", 1, 4),
        ("done", 1, 4),
        ("done", 1, 2),
    ]
    assert job.started_at is not None and job.finished_at is not None
    assert all(unit_is_valid(unit_path(settings.outputs / str(job_id), u), u) for u in range(10))
    assert sorted(_writes(settings, job_id)) == list(range(10))
    assert messages[-1] == "job succeeded"
    assert "planned 3 chunk(s), 10 unit(s)" in messages
    assert sum("manifest lists" in m for m in messages) == 1

    # A redelivered plan message for a finished job changes nothing.
    assert run_job_inline(settings, job_id) == "succeeded"
    assert len(_writes(settings, job_id)) == 10


def test_resume_reruns_a_chunk_whose_lease_expired_and_skips_written_units(
    settings: Settings, session_factory: sessionmaker[Session], make_job: MakeJob
) -> None:
    job_id = make_job(units=6, per_chunk=3)
    runner.plan_job(settings, session_factory, job_id, "planner")
    _strand_chunk(session_factory, job_id, 0)
    # The dead worker had written unit 0 completely before it died.
    out = settings.outputs / str(job_id)
    out.mkdir(parents=True)
    unit_path(out, 0).write_text(unit_body(0))

    assert run_job_inline(settings, job_id) == "succeeded"

    with session_factory() as session:
        chunks = repository.chunks_of(session, job_id)
        job = service.get_job(session, job_id)
    assert [c.deliveries for c in chunks] == [2, 1]
    assert (job.done, job.total) == (6, 6), "skipped units count once, not twice"
    assert sorted(_writes(settings, job_id)) == [1, 2, 3, 4, 5]


def test_a_live_lease_keeps_a_second_copy_out(
    settings: Settings, session_factory: sessionmaker[Session], make_job: MakeJob
) -> None:
    job_id = make_job(units=2, per_chunk=2)
    runner.plan_job(settings, session_factory, job_id, "planner")
    with session_scope(session_factory) as session:
        chunk = repository.chunks_of(session, job_id)[0]
        assert repository.claim_chunk(session, chunk.id, "live-worker", lease_s=60)

    outcome = runner.run_chunk(settings, session_factory, job_id, chunk.id, "second-copy")

    assert outcome is ChunkOutcome.BUSY
    assert _writes(settings, job_id) == []


def test_a_chunk_that_keeps_raising_fails_the_job_after_max_deliveries(
    settings: Settings, session_factory: sessionmaker[Session], make_job: MakeJob
) -> None:
    job_id = make_job(units=6, per_chunk=2, raise_in_chunks=[1])

    assert run_job_inline(settings, job_id) == "failed"

    with session_factory() as session:
        job = service.get_job(session, job_id)
        chunks = repository.chunks_of(session, job_id)
        errors = [e.message for e in service.events_since(session, job_id) if e.level == "error"]
    assert chunks[1].status == "failed" and chunks[1].deliveries == settings.max_deliveries
    assert "always fails" in (chunks[1].error or "")
    assert job.error is not None and "chunk 1 failed" in job.error
    assert [m.split(":")[0] for m in errors[:3]] == [
        "chunk 1 failed (attempt 1/3)",
        "chunk 1 failed (attempt 2/3)",
        "chunk 1 failed (attempt 3/3)",
    ]


def test_a_chunk_whose_workers_keep_dying_fails_past_the_delivery_cap(
    settings: Settings, session_factory: sessionmaker[Session], make_job: MakeJob
) -> None:
    job_id = make_job(units=4, per_chunk=2)
    runner.plan_job(settings, session_factory, job_id, "planner")
    _strand_chunk(session_factory, job_id, 0, times=settings.max_deliveries)

    assert run_job_inline(settings, job_id) == "failed"

    with session_factory() as session:
        job = service.get_job(session, job_id)
        chunk = repository.chunks_of(session, job_id)[0]
    assert (chunk.status, chunk.deliveries) == ("failed", 4)
    assert job.error is not None and "delivered 4 times (limit 3)" in job.error
    assert _writes(settings, job_id) == []


def test_frame_errors_are_recorded_and_the_job_goes_on(
    settings: Settings, session_factory: sessionmaker[Session], make_job: MakeJob
) -> None:
    job_id = make_job(units=6, per_chunk=3, bad_units=[1, 4])

    assert run_job_inline(settings, job_id) == "succeeded"

    with session_factory() as session:
        errors, total = service.frame_errors(session, job_id)
        job = service.get_job(session, job_id)
    assert total == 2
    assert [(e.frame, e.message) for e in errors] == [
        ("frame_0001", "unreadable image (test)"),
        ("frame_0004", "unreadable image (test)"),
    ]
    assert (job.done, job.outputs["units"]) == (6, 4)


def test_cancel_stops_the_job_between_units_and_chunks(
    settings: Settings, session_factory: sessionmaker[Session], make_job: MakeJob
) -> None:
    job_id = make_job(units=40, per_chunk=4, sleep_s=0.05)
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(run_job_inline(settings, job_id)))
    thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with session_factory() as session:
            if service.get_job(session, job_id).done >= 5:
                break
        time.sleep(0.02)
    with session_scope(session_factory) as session:
        service.cancel_job(session, job_id, "bob")
    thread.join(timeout=30)

    assert result == ["cancelled"]
    with session_factory() as session:
        job = service.get_job(session, job_id)
        statuses = [c.status for c in repository.chunks_of(session, job_id)]
    assert job.status == "cancelled" and job.finished_at is not None
    assert statuses.count("done") < 10
    assert set(statuses) <= {"done", "cancelled", "pending"}, "nothing left running"
    written = _writes(settings, job_id)
    assert 5 <= len(written) < 40
    out: Path = settings.outputs / str(job_id)
    assert all(unit_is_valid(unit_path(out, u), u) for u in written)
    assert not (out / "manifest.json").exists(), "finish never runs for a cancelled job"


def test_a_copy_that_lost_its_lease_stops_and_leaves_the_chunk_to_the_new_owner(
    settings: Settings, session_factory: sessionmaker[Session], make_job: MakeJob
) -> None:
    job_id = make_job(units=30, per_chunk=30, sleep_s=0.05)
    runner.plan_job(settings, session_factory, job_id, "planner")
    with session_factory() as session:
        chunk_id = repository.chunks_of(session, job_id)[0].id
    outcome: list[ChunkOutcome] = []
    thread = threading.Thread(
        target=lambda: outcome.append(
            runner.run_chunk(settings, session_factory, job_id, chunk_id, "slow-copy")
        )
    )
    thread.start()
    while len(_writes(settings, job_id)) < 3:
        time.sleep(0.02)
    # Another copy took the chunk over (as after a pause longer than the lease).
    with session_scope(session_factory) as session:
        session.execute(
            update(JobChunk).where(JobChunk.id == chunk_id).values(lease_owner="new-owner")
        )
    thread.join(timeout=30)

    assert outcome == [ChunkOutcome.STOPPED]
    with session_factory() as session:
        chunk = repository.chunks_of(session, job_id)[0]
    assert (chunk.status, chunk.lease_owner) == ("running", "new-owner")
    assert len(_writes(settings, job_id)) < 30


def test_a_worker_that_cannot_load_the_kind_fails_the_job_with_the_reason(
    settings: Settings, session_factory: sessionmaker[Session], make_job: MakeJob
) -> None:
    job_id = make_job(units=2)
    broken = settings.model_copy(update={"extra_kind_modules": "no_such_kind_module"})

    assert run_job_inline(broken, job_id) == "failed"

    with session_factory() as session:
        error = service.get_job(session, job_id).error
    assert error is not None and "cannot run 'test_writer' jobs" in error
    assert "no_such_kind_module" in error


def test_two_runners_racing_on_one_job_write_each_unit_once_and_finish_once(
    settings: Settings, session_factory: sessionmaker[Session], make_job: MakeJob
) -> None:
    job_id = make_job(units=12, per_chunk=2, sleep_s=0.02)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(run_job_inline(settings, job_id)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert results == ["succeeded", "succeeded"]
    assert sorted(_writes(settings, job_id)) == list(range(12))
    with session_factory() as session:
        lines = [e.message for e in service.events_since(session, job_id)]
        chunks = repository.chunks_of(session, job_id)
    assert sum(m.startswith("planned ") for m in lines) == 1
    assert sum(m.startswith("manifest lists") for m in lines) == 1
    assert all(c.deliveries == 1 for c in chunks)


def test_a_domain_error_fails_the_job_at_once_without_retries(
    settings: Settings, session_factory: sessionmaker[Session], make_job: MakeJob
) -> None:
    job_id = make_job(units=4, per_chunk=2, invalid_in_chunks=[0])

    assert run_job_inline(settings, job_id) == "failed"

    with session_factory() as session:
        job = service.get_job(session, job_id)
        chunk = repository.chunks_of(session, job_id)[0]
    assert (chunk.status, chunk.deliveries) == ("failed", 1)
    assert job.error is not None and "frame folder is gone (test)" in job.error


def test_a_finisher_that_died_is_replaced_once_its_lease_lapses(
    settings: Settings, session_factory: sessionmaker[Session], make_job: MakeJob
) -> None:
    job_id = make_job(units=2, per_chunk=2)
    runner.plan_job(settings, session_factory, job_id, "planner")
    with session_scope(session_factory) as session:
        chunk = repository.chunks_of(session, job_id)[0]
        assert repository.claim_chunk(session, chunk.id, "worker", lease_s=60)
        assert repository.end_chunk(session, chunk.id, "worker", "done")
        # The finisher took the job's lease and died before marking the job.
        assert repository.claim_finish(session, job_id, "dead-finisher", lease_s=1)

    assert run_job_inline(settings, job_id) == "succeeded"

    with session_factory() as session:
        lines = [e.message for e in service.events_since(session, job_id)]
    assert sum(m.startswith("manifest lists") for m in lines) == 1


def test_a_chunk_learns_which_chunk_this_process_runs_next_while_it_is_still_to_run(
    settings: Settings, session_factory: sessionmaker[Session], make_job: MakeJob
) -> None:
    # given a job planned into three chunks
    job_id = make_job(units=6, per_chunk=2)
    runner.plan_job(settings, session_factory, job_id, "planner")
    with session_factory() as session:
        first, second, _third = repository.chunks_of(session, job_id)
    inline = runner.JobRunContext(
        settings, session_factory, job_id, "me", chunk_id=first.id, next_chunk_id=second.id
    )
    elsewhere = runner.JobRunContext(settings, session_factory, job_id, "me", chunk_id=first.id)

    # then the inline runner's context names the next chunk's parameters; a context that
    # was not told (a Celery worker's) names none
    assert inline.next_chunk() == second.params
    assert elsewhere.next_chunk() is None and not elsewhere.inline

    # and once that chunk has ended (another copy ran it), it is no longer offered
    with session_scope(session_factory) as session:
        assert repository.claim_chunk(session, second.id, "other", lease_s=60)
        assert repository.end_chunk(session, second.id, "other", "done")
    assert inline.next_chunk() is None


def test_the_inline_runner_tells_its_steps_they_run_inline(
    settings: Settings,
    session_factory: sessionmaker[Session],
    make_job: MakeJob,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[str, bool, Any]] = []
    kind = get_kind("test_writer")

    def plan(ctx: JobContext, params: dict[str, Any]) -> Any:
        seen.append(("plan", ctx.inline, None))
        return kind.plan(ctx, params)

    def run(ctx: JobContext, params: dict[str, Any]) -> None:
        upcoming = ctx.next_chunk()
        seen.append(("chunk", ctx.inline, upcoming and upcoming["start"]))
        kind.run_chunk(ctx, params)

    monkeypatch.setattr(runner, "load_kind", lambda _s, _n: replace(kind, plan=plan, run_chunk=run))
    job_id = make_job(units=6, per_chunk=2)

    assert run_job_inline(settings, job_id) == "succeeded"

    assert seen == [
        ("plan", True, None),
        ("chunk", True, 2),
        ("chunk", True, 4),
        ("chunk", True, None),
    ]
