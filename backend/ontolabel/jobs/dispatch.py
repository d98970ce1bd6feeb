"""Handing a committed job to whatever runs it: Celery on Redis, or a local process pool.

The API process only ever sends a job id. With ``redis_url`` set the id goes to the
plan task on ``<prefix>.cpu``; without it, to a spawn-context process pool running
``runner.run_job_inline`` (spawned, so torch is imported in the pool, never here).
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import weakref
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ontolabel.core.config import Settings

log = logging.getLogger(__name__)

PLAN_TASK = "ontolabel.plan_job"
CHUNK_TASK = "ontolabel.run_chunk"


class Dispatcher(Protocol):
    def enqueue_job(self, job_id: int) -> None:
        """Start a committed job (called after commit only)."""
        ...

    def close(self) -> None: ...


def queue_name(settings: Settings, queue: str) -> str:
    return f"{settings.queue_prefix}.{queue}"


class CeleryDispatcher:
    """Sends the plan task by name; the API never imports the task code."""

    def __init__(self, settings: Settings) -> None:
        from ontolabel.jobs.celery_config import make_celery_app

        self._settings = settings
        self._app = make_celery_app(settings)

    def enqueue_job(self, job_id: int) -> None:
        self._app.send_task(PLAN_TASK, args=[job_id], queue=queue_name(self._settings, "cpu"))

    def close(self) -> None:
        self._app.close()


def _pool_init(stop: Any) -> None:
    """In each pool process: stop between frames once the server shuts down."""
    from ontolabel.jobs import runner

    def watch() -> None:
        stop.wait()
        runner.request_stop()

    threading.Thread(target=watch, daemon=True, name="stop-watch").start()


def _drive(settings: Settings, job_id: int) -> str:
    from ontolabel.jobs.runner import run_job_inline

    return run_job_inline(settings, job_id)


class InProcessDispatcher:
    """The embedded runner: the same plan/chunk functions, in a small spawned pool."""

    def __init__(self, settings: Settings, max_workers: int = 2) -> None:
        self._settings = settings
        self._max_workers = max_workers
        self._context = multiprocessing.get_context("spawn")
        self._stop = self._context.Event()
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self.running: set[Future[str]] = set()

    def _ensure_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:  # started lazily: an idle server spawns nothing
                self._pool = ProcessPoolExecutor(
                    max_workers=self._max_workers,
                    mp_context=self._context,
                    initializer=_pool_init,
                    initargs=(self._stop,),
                )
            return self._pool

    def enqueue_job(self, job_id: int) -> None:
        future = self._ensure_pool().submit(_drive, self._settings, job_id)
        self.running.add(future)
        future.add_done_callback(lambda f: self._done(job_id, f))

    def _done(self, job_id: int, future: Future[str]) -> None:
        self.running.discard(future)
        _report(job_id, future)

    def close(self) -> None:
        """Ask running chunks to hand their lease back between frames, then wait."""
        self._stop.set()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _report(job_id: int, future: Future[str]) -> None:
    if future.cancelled():
        return
    exc = future.exception()
    if exc is not None:
        log.error("in-process run of job %s crashed: %s", job_id, exc)


def make_dispatcher(settings: Settings) -> Dispatcher:
    """Celery when a broker is configured, else the in-process pool."""
    if settings.redis_url:
        return CeleryDispatcher(settings)
    return InProcessDispatcher(settings)


# Which dispatcher serves which database: the app registers one for its engine at
# startup, so ``create_job`` finds it from the request's session alone.
_DISPATCHERS: weakref.WeakKeyDictionary[Engine, Dispatcher] = weakref.WeakKeyDictionary()


def register_dispatcher(engine: Engine, dispatcher: Dispatcher) -> None:
    _DISPATCHERS[engine] = dispatcher


def unregister_dispatcher(engine: Engine) -> None:
    _DISPATCHERS.pop(engine, None)


def dispatcher_for(session: Session) -> Dispatcher | None:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return _DISPATCHERS.get(engine)
