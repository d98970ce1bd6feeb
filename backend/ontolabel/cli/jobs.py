"""``ontolabel worker`` and ``ontolabel jobs``: run Celery workers, inspect and steer jobs.

Other commands that start work call ``run_here`` (``label``) or create the job through
their service and call ``run_following`` (``dataset index``) to run it in this process
through the same code path workers use.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import click
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from ontolabel.cli.database import open_database
from ontolabel.cli.operator import operator
from ontolabel.core.config import Settings, get_settings
from ontolabel.core.db import session_scope
from ontolabel.errors import OntolabelError
from ontolabel.jobs import repository, service
from ontolabel.jobs.dispatch import CeleryDispatcher, queue_name
from ontolabel.jobs.params import JobParams
from ontolabel.jobs.runner import run_job_inline
from ontolabel.jobs.tables import FINAL_CHUNK_STATUSES, FINAL_JOB_STATUSES, Job, JobChunk


@click.command()
@click.option("--queues", default="gpu,cpu", show_default=True, help="Queues to consume.")
@click.option("--concurrency", "-c", default=1, show_default=True, type=int)
@click.option("--loglevel", default="INFO", show_default=True)
def worker(queues: str, concurrency: int, loglevel: str) -> None:
    """Start a Celery worker (needs ONTOLABEL_REDIS_URL and a shared database)."""
    settings = get_settings()
    if not settings.redis_url:
        raise click.ClickException(
            "ontolabel worker needs a broker: set ONTOLABEL_REDIS_URL (e.g. "
            "redis://127.0.0.1:6379/0) and ONTOLABEL_DATABASE_URL to the server's database. "
            "Without them the server runs jobs in-process and no worker is needed."
        )
    open_database(settings)  # a worker on a database behind its code would fail every job
    names = [queue_name(settings, q.strip()) for q in queues.split(",") if q.strip()]
    from ontolabel_worker.celery_app import app

    app.worker_main(["worker", "-Q", ",".join(names), "-c", str(concurrency), "-l", loglevel])


@click.group()
def jobs() -> None:
    """Inspect, cancel, wait for and run jobs."""


def _line(job: Job) -> str:
    return f"{job.id:>6}  {job.kind:<13} {job.status:<10} {job.done}/{job.total}  {job.created_by}"


@jobs.command("list")
@click.option("--kind", default=None)
@click.option("--status", default=None)
@click.option("--limit", default=20, show_default=True, type=int)
def list_jobs(kind: str | None, status: str | None, limit: int) -> None:
    """Newest jobs first."""
    _, factory = open_database()
    with factory() as session:
        items, total = _call(service.list_jobs, session, kind=kind, status=status, limit=limit)
    for job in items:
        click.echo(_line(job))
    click.echo(f"{len(items)} of {total} job(s)")


@jobs.command()
@click.argument("job_id", type=int)
def show(job_id: int) -> None:
    """Status, progress, pinned inputs, outputs, error and the last log lines."""
    _, factory = open_database()
    with factory() as session:
        job = _call(service.get_job, session, job_id)
        events = service.events_since(session, job_id, max(0, job.last_event_seq - 20))
        _, errors = service.frame_errors(session, job_id, limit=1)
    click.echo(_line(job))
    click.echo(f"params:  {json.dumps(job.params, sort_keys=True)}")
    click.echo(f"outputs: {json.dumps(job.outputs, sort_keys=True)}")
    if job.error:
        click.echo(f"error:   {job.error}")
    click.echo(f"frame errors: {errors}")
    for event in events:
        click.echo(f"  [{event.level}] {event.message}")


@jobs.command()
@click.argument("job_id", type=int)
def cancel(job_id: int) -> None:
    """Ask a job to stop (cooperative: between frames)."""
    settings, factory = open_database()
    with session_scope(factory) as session:
        job = _call(service.cancel_job, session, job_id, operator(session, settings))
        click.echo(f"job {job_id}: {job.status}, cancel requested")


@jobs.command()
@click.argument("job_id", type=int)
@click.option("--timeout", default=0.0, type=float, help="Seconds; 0 waits forever.")
def wait(job_id: int, timeout: float) -> None:
    """Print progress and log lines until the job ends; exit 1 unless it succeeded."""
    _, factory = open_database()
    status = follow(factory, job_id, timeout_s=timeout or None)
    if status != "succeeded":
        raise SystemExit(1)


@jobs.command()
@click.argument("job_id", type=int)
def run(job_id: int) -> None:
    """Run (or resume) a job in this process, without a server or worker."""
    settings, factory = open_database()
    with factory() as session:
        _call(service.get_job, session, job_id)
    if run_following(settings, factory, job_id) != "succeeded":
        raise SystemExit(1)


@jobs.command()
@click.argument("job_id", type=int)
def resume(job_id: int) -> None:
    """Send an unfinished job to the Celery workers again (plan and chunks are idempotent)."""
    settings, factory = open_database()
    with factory() as session:
        job = _call(service.get_job, session, job_id)
    if job.status in FINAL_JOB_STATUSES:
        raise click.ClickException(f"job {job_id} already {job.status}")
    if not settings.redis_url:
        raise click.ClickException("no broker configured; use `ontolabel jobs run ID`")
    dispatcher = CeleryDispatcher(settings)
    dispatcher.enqueue_job(job_id)
    dispatcher.close()
    with session_scope(factory) as session:
        repository.mark_job_sent(session, job_id)
    click.echo(f"job {job_id} sent again")


class _ChunkEnds:
    """One line per chunk as it ends, with the units of the chunks ended so far."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.ended: set[int] = set()
        self.units = 0

    def lines(self, chunks: list[JobChunk], job: Job) -> list[tuple[datetime, str]]:
        """The newly ended chunks' lines, each with the time it ended."""
        if len(chunks) < 2:  # one chunk's end is the job's: the progress line says it
            return []
        ended = sorted(
            (c for c in chunks if c.status in FINAL_CHUNK_STATUSES and c.id not in self.ended),
            key=lambda c: c.finished_at or job.updated_at,
        )
        out = []
        for chunk in ended:
            self.ended.add(chunk.id)
            self.units += chunk.done
            where = f"chunk {chunk.index + 1}/{len(chunks)} {chunk.status}"
            line = f"job {self.job_id}: {where} ({self.units}/{job.total})"
            out.append((chunk.finished_at or job.updated_at, line))
        return out


def follow(
    factory: sessionmaker[Session],
    job_id: int,
    *,
    timeout_s: float | None = None,
    runner: threading.Thread | None = None,
    err: bool = False,
) -> str:
    """Echo log lines, chunk ends and progress until the job is final; returns its status.

    ``err`` sends them to stderr, for a command whose stdout is its result (``--json``).
    """
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    runner_gone = False
    after, shown, looked_at = 0, "", None
    chunk_ends = _ChunkEnds(job_id)
    while True:
        with factory() as session:
            job = _call(service.get_job, session, job_id)
            events = repository.events_after(session, job_id, after, 500)
            # A chunk's end touches its job row (progress, time or log): read the chunks
            # (their params hold every frame id) only when the job row changed.
            state = (job.status, job.done, job.updated_at, job.last_event_seq)
            chunks = repository.chunks_of(session, job_id) if state != looked_at else []
            looked_at = state
        after = events[-1].seq if events else after
        logged = [(e.time, f"[{e.level}] {e.message}") for e in events]
        for _, line in sorted([*logged, *chunk_ends.lines(chunks, job)], key=lambda x: x[0]):
            click.echo(line, err=err)
        progress = f"{job.status} {job.done}/{job.total}"
        if progress != shown:
            shown = progress
            click.echo(f"job {job_id}: {progress}", err=err)
        if job.status in FINAL_JOB_STATUSES and len(events) < 500:
            if job.error:
                click.echo(f"error: {job.error}", err=True)
            return job.status
        if runner_gone:
            raise click.ClickException(f"job {job_id} stopped at {job.status}; see the log above")
        runner_gone = runner is not None and not runner.is_alive()
        if deadline is not None and time.monotonic() > deadline:
            raise click.ClickException(f"job {job_id} still {job.status} after {timeout_s} s")
        time.sleep(0.2 if runner else 0.5)


def run_following(
    settings: Settings, factory: sessionmaker[Session], job_id: int, *, err: bool = False
) -> str:
    """Run a created job in this process, echoing progress; returns its final status."""
    thread = threading.Thread(target=run_job_inline, args=(settings, job_id), daemon=True)
    thread.start()
    status = follow(factory, job_id, runner=thread, err=err)
    thread.join()
    return status


def run_here(settings: Settings, params: JobParams, author: str, *, err: bool = False) -> Job:
    """Create a job and run it in this process, echoing progress (to stderr with ``err``)."""
    _, factory = open_database(settings)
    with session_scope(factory) as session:
        user = operator(session, settings, author)
        # The operator's own job: it may read the local model the command line named.
        job_id = _call(service.create_job, session, settings, params, user, local_models=True).id
    run_following(settings, factory, job_id, err=err)
    with factory() as session:
        return service.get_job(session, job_id)


@contextmanager
def refusals_as_cli_errors() -> Iterator[None]:
    """A job contract's or a service's refusal of the input as a one-line CLI error (exit 1)."""
    try:
        yield
    except ValidationError as exc:
        raise click.ClickException(validation_message(exc)) from None
    except OntolabelError as exc:
        raise click.ClickException(exc.message) from None


def outputs_of(job: Job) -> dict[str, Any]:
    """The outputs of a job run here; a one-line CLI error naming why unless it succeeded."""
    if job.status != "succeeded":
        raise click.ClickException(
            f"job {job.id} {job.status}: {job.error or 'see ontolabel jobs show'}"
        )
    return job.outputs or {}


def validation_message(exc: ValidationError) -> str:
    """A job contract's refusal as one line per field, for the terminal."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or exc.title}: {e['msg']}" for e in exc.errors()
    )


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Turn a domain error into a one-line CLI error."""
    try:
        return fn(*args, **kwargs)
    except OntolabelError as exc:
        raise click.ClickException(exc.message) from None


def register(cli: click.Group) -> None:
    cli.add_command(worker)
    cli.add_command(jobs)
