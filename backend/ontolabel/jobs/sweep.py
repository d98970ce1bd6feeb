"""The recovery sweep: the job table, not the queue, decides what still has to run.

Every ``Settings.sweep_interval_s`` each worker's sweep thread re-sends what the broker
lost or never got, within a minute whatever the broker's visibility timeout:

- a chunk of a running job that no live copy holds (its lease expired: the worker died;
  or it is pending and no message for it waits in its queue: Redis lost it, or the
  planner died before sending) and that was last sent over a grace period ago;
- a job still queued and never sent (created while the broker was unreachable) or whose
  plan message is gone, one whose planner's lease expired, and one whose chunks all
  ended with nobody finishing it (its finisher died).

Several workers sweep at once; the database decides who re-sends: each re-send first
wins a conditional UPDATE that stamps ``dispatched_at``/``sent_at``, which the losers'
identical UPDATE then no longer matches. A duplicate message is harmless anyway (leases).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from ontolabel.core.clock import utcnow
from ontolabel.core.config import Settings
from ontolabel.core.db import make_engine, make_session_factory, session_scope
from ontolabel.core.writes import begin_write
from ontolabel.jobs import repository
from ontolabel.jobs.dispatch import CHUNK_TASK, PLAN_TASK, queue_name

log = logging.getLogger(__name__)

# kombu's Redis transport keeps a queue's prioritised messages under these suffixes.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


class Sender(Protocol):
    def send_plan(self, job_id: int) -> None: ...

    def send_chunk(self, job_id: int, chunk_id: int, queue: str) -> None: ...


@dataclass
class QueuedMessages:
    """Which plan and chunk messages wait in the queues right now."""

    plans: set[int] = field(default_factory=set)
    chunks: set[int] = field(default_factory=set)

    def add(self, raw: bytes) -> None:
        try:
            message = json.loads(raw)
            task = message["headers"]["task"]
            args = json.loads(base64.b64decode(message["body"]))[0]
        except (ValueError, KeyError, IndexError, TypeError):
            return  # not a message of ours
        if task == PLAN_TASK:
            self.plans.add(int(args[0]))
        elif task == CHUNK_TASK:
            self.chunks.add(int(args[1]))


def queued_messages(settings: Settings, client: Any) -> QueuedMessages:
    """Read the waiting messages of this deployment's queues (``client``: redis-py).

    Messages a worker reserved are not listed: a dead worker's stay reserved until the
    visibility timeout, and the chunk lease tells whether a live worker runs them.
    """
    found = QueuedMessages()
    for queue in ("cpu", "gpu"):
        for suffix in _PRIORITY_SUFFIXES:
            for raw in client.lrange(queue_name(settings, queue) + suffix, 0, -1):
                found.add(raw)
    return found


@dataclass
class SweepReport:
    chunks: list[int] = field(default_factory=list)
    jobs: list[int] = field(default_factory=list)


def sweep_once(
    settings: Settings,
    factory: sessionmaker[Session],
    sender: Sender,
    queued: QueuedMessages,
    *,
    grace_s: float,
) -> SweepReport:
    """Re-send every stranded chunk and job once; returns what was sent."""
    report = SweepReport()
    cutoff = utcnow() - timedelta(seconds=grace_s)
    with factory() as session:
        chunks = [
            (c.id, c.job_id, c.index, c.queue, c.status, c.lease_owner)
            for c in repository.stranded_chunks(session, cutoff)
            if c.id not in queued.chunks
        ]
        jobs = [
            (j.id, j.kind, j.status, j.sent_at)
            for j in repository.stranded_jobs(session, cutoff, cutoff)
            if not (j.status in ("queued", "planning") and j.id in queued.plans)
        ]
    for chunk_id, job_id, index, queue, status, held_by in chunks:
        if not _take(factory, repository.take_chunk_redispatch, chunk_id, cutoff):
            continue  # another sweeper re-sent it
        why = (
            f"the lease of {held_by} expired"
            if status == "running"
            else "no message for it waits in the queue (lost, or never sent)"
        )
        _event(factory, job_id, f"sweep: chunk {index} re-sent: {why}")
        sender.send_chunk(job_id, chunk_id, queue or _queue_of(settings, factory, job_id))
        report.chunks.append(chunk_id)
    for job_id, _kind, status, sent_at in jobs:
        if not _take(factory, repository.take_job_redispatch, job_id, cutoff, cutoff):
            continue
        if status == "running":  # every chunk ended, nobody finished: a chunk message finishes
            with factory() as session:
                last = repository.last_chunk_id(session, job_id)
            if last is None:
                continue
            _event(factory, job_id, "sweep: finish re-sent: nobody is finishing the job")
            sender.send_chunk(job_id, last, _queue_of(settings, factory, job_id))
        else:
            why = {
                "planning": "its planner's lease expired",
                "queued": (
                    "it was never sent (the broker was unreachable)"
                    if sent_at is None
                    else "no plan message for it waits in the queue (lost)"
                ),
            }[status]
            _event(factory, job_id, f"sweep: job sent: {why}")
            sender.send_plan(job_id)
        report.jobs.append(job_id)
    return report


def _take(factory: sessionmaker[Session], claim: Callable[..., bool], *args: Any) -> bool:
    """Run one of the repository's conditional re-send claims in its own transaction."""
    with session_scope(factory) as session:
        begin_write(session)
        return claim(session, *args)


def _event(factory: sessionmaker[Session], job_id: int, message: str) -> None:
    log.warning("job %s: %s", job_id, message)
    with session_scope(factory) as session:
        begin_write(session)
        repository.append_event(session, job_id, "warning", message)


def _queue_of(settings: Settings, factory: sessionmaker[Session], job_id: int) -> str:
    """A chunk planned before chunks stored their queue: ask the kind."""
    from ontolabel.jobs.runner import load_kind

    with factory() as session:
        job = repository.get_job(session, job_id)
    return load_kind(settings, job.kind).queue if job is not None else "cpu"


def note_outage(
    factory: sessionmaker[Session], what: str, seconds: float, error: str, job_ids: Iterable[int]
) -> None:
    """Say in each active job's log that this worker could not reach ``what`` for a while."""
    message = (
        f"worker {os.uname().nodename}:{os.getpid()}: the {what} was unreachable for about "
        f"{seconds:.0f} s ({error[:200]}); the sweep caught up"
    )
    with session_scope(factory) as session:
        begin_write(session)
        for job_id in job_ids:
            repository.append_event(session, job_id, "warning", message)


class SweepThread:
    """A worker's own timer: sweeps every ``sweep_interval_s`` (no extra process to run).

    It owns a database engine of its own, disposed in forked children (the prefork pool
    replaces dead processes by forking this one), and a Redis client to read the queues.
    """

    def __init__(self, settings: Settings, sender: Sender) -> None:
        self._settings = settings
        self._sender = sender
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="job-sweep")
        self._down: dict[str, tuple[float, str]] = {}  # what → (since, error)

    @property
    def grace_s(self) -> float:
        """How long a sent message may go unseen before it counts as lost."""
        return 2 * self._settings.sweep_interval_s

    def start(self) -> SweepThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        import redis

        engine = make_engine(self._settings.sqlalchemy_url)
        os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
        factory = make_session_factory(engine)
        client = redis.Redis.from_url(self._settings.redis_url or "", socket_timeout=10)
        try:
            while not self._stop.wait(self._settings.sweep_interval_s):
                self.round(factory, client)
        finally:
            client.close()
            engine.dispose()

    def round(self, factory: sessionmaker[Session], client: Any) -> SweepReport | None:
        """One sweep; an outage of the broker or the database is logged, then retried."""
        try:
            queued = queued_messages(self._settings, client)
        except Exception as exc:
            self._outage("broker", exc)
            return None
        try:
            report = sweep_once(self._settings, factory, self._sender, queued, grace_s=self.grace_s)
        except Exception as exc:
            from sqlalchemy.exc import DBAPIError

            self._outage("database" if isinstance(exc, DBAPIError) else "broker", exc)
            return None
        self._recovered(factory)
        return report

    def _outage(self, what: str, exc: Exception) -> None:
        error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if what not in self._down:
            log.warning("job sweep: the %s is unreachable (%s); retrying", what, error)
            self._down[what] = (time.monotonic(), error)

    def _recovered(self, factory: sessionmaker[Session]) -> None:
        for what, (since, error) in list(self._down.items()):
            seconds = time.monotonic() - since
            log.warning("job sweep: the %s is back after %.0f s", what, seconds)
            with factory() as session:
                active = repository.active_job_ids(session)
            note_outage(factory, what, seconds, error, active)
            del self._down[what]
