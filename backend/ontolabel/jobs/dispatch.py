"""Handing a committed job to whatever runs it: Celery on Redis, or a local process pool.

The API process only ever sends a job id. With ``redis_url`` set the id goes to the
plan task on ``<prefix>.cpu``; without it, to a spawn-context process pool running
``runner.run_job_inline`` (spawned, so torch is imported in the pool, never here).
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
import weakref
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

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

    send_plan = enqueue_job  # what the recovery sweep calls it (``sweep.Sender``)

    def send_chunk(self, job_id: int, chunk_id: int, queue: str) -> None:
        self._app.send_task(
            CHUNK_TASK, args=[job_id, chunk_id, queue], queue=queue_name(self._settings, queue)
        )

    def close(self) -> None:
        self._app.close()


def _pool_init(stop: Any) -> None:
    """In each pool process: stop between frames once the server shuts down."""
    from ontolabel.jobs import runner

    def watch() -> None:
        # Polled, never ``stop.wait()``: a process killed while waiting on a shared Event
        # stays counted as a sleeper, and the server's ``stop.set()`` then blocks forever.
        while not stop.is_set():
            time.sleep(0.5)
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
        self._jobs: dict[Future[str], int] = {}

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
        pool = self._ensure_pool()
        try:
            future = pool.submit(_drive, self._settings, job_id)
        except BrokenProcessPool:  # a pool process died (OOM, a crashing chunk): start anew
            self._drop_pool(pool)
            future = self._ensure_pool().submit(_drive, self._settings, job_id)
        with self._lock:
            self.running.add(future)
            self._jobs[future] = job_id
        future.add_done_callback(lambda f: self._done(job_id, f, pool))

    def in_flight(self) -> set[int]:
        """Jobs a process of this pool is driving now."""
        with self._lock:
            return set(self._jobs.values())

    def _done(self, job_id: int, future: Future[str], pool: ProcessPoolExecutor) -> None:
        with self._lock:
            self.running.discard(future)
            self._jobs.pop(future, None)
        if not future.cancelled() and isinstance(future.exception(), BrokenProcessPool):
            # Every job of the broken pool stopped; ``JobPickup`` resumes them once their
            # leases expire (and the delivery cap stops a chunk that keeps killing it).
            self._drop_pool(pool)
        _report(job_id, future)

    def _drop_pool(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

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


class JobPickup:
    """The server's dispatcher, which also picks up jobs queued by someone else.

    The CLI writes job rows without a dispatcher (``ontolabel jobs run`` runs them there;
    queued ones it leaves for a server). Every ``every_s`` a thread looks for jobs still
    queued ``grace_s`` after creation that no process has started (a command running its
    own job claims it within milliseconds) and sends each; one still queued a minute after
    it was sent (a lost message) is sent again. Sending twice is harmless: planning takes
    a lease. Jobs this server sends itself go through ``enqueue_job`` and count as sent.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        dispatcher: Dispatcher,
        *,
        every_s: float = 2.0,
        grace_s: float = 2.0,
        resend_s: float = 60.0,
    ) -> None:
        self._factory = session_factory
        self._dispatcher = dispatcher
        self._every_s, self._grace_s, self._resend_s = every_s, grace_s, resend_s
        self._sent: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="job-pickup")

    def start(self) -> JobPickup:
        self._thread.start()
        return self

    def enqueue_job(self, job_id: int) -> None:
        self._sent[job_id] = time.monotonic()
        self._dispatcher.enqueue_job(job_id)

    def poll_once(self) -> list[int]:
        """Send the waiting jobs not sent lately; returns their ids.

        Embedded, also resume the jobs whose process died (an expired chunk, plan or
        finish lease) that no process of this server drives now; under Celery the
        workers' sweep does that (``jobs/sweep.py``).
        """
        from ontolabel.jobs import repository

        cutoff = datetime.now(UTC) - timedelta(seconds=self._grace_s)
        with self._factory() as session:
            waiting = repository.waiting_job_ids(session, cutoff)
            abandoned = repository.abandoned_job_ids(session)
        resumed = []
        if isinstance(self._dispatcher, InProcessDispatcher):
            busy = self._dispatcher.in_flight()
            for job_id in (j for j in abandoned if j not in busy):
                log.warning("job %s: its process died; resuming it", job_id)
                self._dispatcher.enqueue_job(job_id)
                resumed.append(job_id)
        now = time.monotonic()
        self._sent = {j: t for j, t in self._sent.items() if j in waiting}
        due = [j for j in waiting if now - self._sent.get(j, -self._resend_s) >= self._resend_s]
        for job_id in due:
            self._dispatcher.enqueue_job(job_id)
            self._sent[job_id] = now
        return [*due, *resumed]

    def _loop(self) -> None:
        while not self._stop.wait(self._every_s):
            try:
                self.poll_once()
            except Exception:  # a database or broker outage: try again next round
                log.warning("job pick-up failed; retrying", exc_info=True)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._dispatcher.close()


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
