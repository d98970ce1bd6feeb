"""Celery tasks: thin wrappers over ``ontolabel.jobs.runner``, passing ids only."""

from __future__ import annotations

import logging
import multiprocessing
from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init
from ontolabel.core.config import get_settings
from ontolabel.jobs import runner
from ontolabel.jobs.dispatch import CHUNK_TASK, PLAN_TASK, queue_name
from sqlalchemy.exc import InterfaceError, OperationalError

log = logging.getLogger(__name__)

# A task that raises is acknowledged, so its job would stall: retry while the database
# is unreachable (kind errors never get here; the runner records them on the chunk).
_ON_DATABASE_ERRORS: dict[str, Any] = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 10,
}


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
    """Add the two job tasks to ``app`` under their explicit names."""

    def send_chunk(job_id: int, chunk_id: int, queue: str, countdown: float = 0) -> None:
        settings = get_settings()
        app.send_task(
            CHUNK_TASK,
            args=[job_id, chunk_id, queue],
            queue=queue_name(settings, queue),
            countdown=countdown or None,
        )

    @app.task(name=PLAN_TASK, bind=True, **_ON_DATABASE_ERRORS)
    def plan_job(self: Task[Any, Any], job_id: int) -> None:
        """Plan the job, then send one chunk task per unfinished chunk to the kind's queue."""
        settings = get_settings()
        factory = runner.session_factory_for(settings)
        plan = runner.plan_job(settings, factory, job_id, runner.new_owner())
        if plan.busy:  # another copy plans it (e.g. its pool process died): look again
            app.send_task(
                PLAN_TASK,
                args=[job_id],
                queue=queue_name(settings, "cpu"),
                countdown=settings.job_lease_s / 2,
            )
        for chunk_id in plan.chunk_ids:
            send_chunk(job_id, chunk_id, plan.queue)

    @app.task(name=CHUNK_TASK, bind=True, **_ON_DATABASE_ERRORS)
    def run_chunk(self: Task[Any, Any], job_id: int, chunk_id: int, queue: str) -> None:
        """Run one chunk; re-send it when it is busy elsewhere or may be retried."""
        settings = get_settings()
        factory = runner.session_factory_for(settings)
        outcome = runner.run_chunk(settings, factory, job_id, chunk_id, runner.new_owner())
        if outcome is runner.ChunkOutcome.BUSY:
            # Another copy holds a live lease (a redelivery while the first still runs):
            # look again once that lease could have expired, never run both at once.
            send_chunk(job_id, chunk_id, queue, countdown=settings.job_lease_s / 2)
        elif outcome is runner.ChunkOutcome.RETRY:
            send_chunk(job_id, chunk_id, queue, countdown=1)
