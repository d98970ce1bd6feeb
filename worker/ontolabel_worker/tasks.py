"""Celery tasks: thin wrappers over ``ontolabel.jobs.runner``, passing ids only."""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable
from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init, worker_ready, worker_shutdown
from ontolabel.core.config import get_settings
from ontolabel.jobs import runner
from ontolabel.jobs.dispatch import CHUNK_TASK, PLAN_TASK, queue_name
from ontolabel.jobs.sweep import SweepThread
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)

# A task that raises is acknowledged, so its job would stall: retry while the database
# is unreachable (kind errors never get here; the runner records them on the chunk).
_DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeout)
_MAX_DATABASE_RETRIES = 10
_TASK_OPTIONS: dict[str, Any] = {"bind": True, "max_retries": _MAX_DATABASE_RETRIES}


def _through_outages(
    task: Task[Any, Any], job_id: int, outage: dict[str, Any] | None, body: Callable[[], None]
) -> None:
    """Run ``body``; while the database is unreachable, retry with a growing delay, carrying
    when the outage began in the retried message, and log it in the job once it is over."""
    try:
        body()
    except _DATABASE_ERRORS as exc:
        seen = outage or {"since": time.time(), "error": str(exc).splitlines()[0][:200]}
        delay = min(60, 2**task.request.retries)
        log.warning(
            "job %s: database unreachable (%s); retry in %s s", job_id, seen["error"], delay
        )
        raise task.retry(exc=exc, countdown=delay, kwargs={"outage": seen}) from exc
    if outage:
        message = (
            f"worker {runner.new_owner()}: the database was unreachable for about "
            f"{time.time() - float(outage['since']):.0f} s ({outage['error']}); "
            f"this step was retried until it came back"
        )
        log.warning("job %s: %s", job_id, message)
        runner.log_job_event(get_settings(), job_id, "warning", message)


@worker_process_init.connect
def allow_child_processes(**_kwargs: Any) -> None:
    """Let prefork pool processes start children of their own.

    Celery's pool processes are daemonic, and a daemonic process may not start
    children, yet kinds do: torch ``DataLoader`` workers decode frames. Without this
    every ``pseudo_label`` chunk fails with "daemonic processes are not allowed to have
    children". The children still end with the pool process: DataLoader workers watch
    their parent and exit when it is gone.
    """
    multiprocessing.current_process().daemon = False


def register(app: Celery) -> None:
    """Add the two job tasks to ``app`` under their explicit names, and the sweep."""

    def send_chunk(job_id: int, chunk_id: int, queue: str, countdown: float = 0) -> None:
        settings = get_settings()
        app.send_task(
            CHUNK_TASK,
            args=[job_id, chunk_id, queue],
            queue=queue_name(settings, queue),
            countdown=countdown or None,
        )

    def send_plan(job_id: int, countdown: float = 0) -> None:
        settings = get_settings()
        app.send_task(
            PLAN_TASK, args=[job_id], queue=queue_name(settings, "cpu"), countdown=countdown or None
        )

    def resend_chunk(job_id: int, chunk_id: int, queue: str, countdown: float) -> None:
        runner.note_dispatched(runner.session_factory_for(get_settings()), [chunk_id])
        send_chunk(job_id, chunk_id, queue, countdown)

    @app.task(name=PLAN_TASK, **_TASK_OPTIONS)
    def plan_job(self: Task[Any, Any], job_id: int, outage: dict[str, Any] | None = None) -> None:
        """Plan the job, then send one chunk task per unfinished chunk to the kind's queue."""

        def body() -> None:
            settings = get_settings()
            factory = runner.session_factory_for(settings)
            plan = runner.plan_job(settings, factory, job_id, runner.new_owner())
            if plan.busy:  # another copy plans it (e.g. its pool process died): look again
                send_plan(job_id, countdown=settings.job_lease_s / 2)
            for chunk_id in plan.chunk_ids:
                send_chunk(job_id, chunk_id, plan.queue)

        _through_outages(self, job_id, outage, body)

    @app.task(name=CHUNK_TASK, **_TASK_OPTIONS)
    def run_chunk(
        self: Task[Any, Any],
        job_id: int,
        chunk_id: int,
        queue: str,
        outage: dict[str, Any] | None = None,
    ) -> None:
        """Run one chunk; re-send it when it is busy elsewhere or may be retried."""

        def body() -> None:
            settings = get_settings()
            factory = runner.session_factory_for(settings)
            outcome = runner.run_chunk(settings, factory, job_id, chunk_id, runner.new_owner())
            if outcome is runner.ChunkOutcome.BUSY:
                # Another copy holds a live lease (a redelivery while the first still
                # runs): look again once that lease could have expired, never run both.
                resend_chunk(job_id, chunk_id, queue, settings.job_lease_s / 2)
            elif outcome is runner.ChunkOutcome.RETRY:
                resend_chunk(job_id, chunk_id, queue, 1)

        _through_outages(self, job_id, outage, body)

    class _Sender:
        def send_plan(self, job_id: int) -> None:
            send_plan(job_id)

        def send_chunk(self, job_id: int, chunk_id: int, queue: str) -> None:
            send_chunk(job_id, chunk_id, queue)

    sweeps: list[SweepThread] = []

    @worker_ready.connect(weak=False)
    def start_sweep(**_kwargs: Any) -> None:
        """The worker's main process sweeps for lost work (docs/jobs.md, Recovery)."""
        sweeps.append(SweepThread(get_settings(), _Sender()).start())

    @worker_shutdown.connect(weak=False)
    def stop_sweep(**_kwargs: Any) -> None:
        for sweep in sweeps:
            sweep.stop()
