"""Executing jobs: the plain functions Celery tasks and the in-process runner share.

``plan_job`` turns a queued job into chunk rows; ``run_chunk`` runs one chunk under a
lease and, if it was the last one, ``finish``; ``run_job_inline`` drives a whole job
in this process (CLI, tests, the embedded server's pool). Messages and pool calls
carry ids only; everything else is read from the job rows.
"""

from __future__ import annotations

import enum
import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from ontolabel.core.config import Settings
from ontolabel.core.db import make_engine, make_session_factory, session_scope
from ontolabel.core.writes import begin_write
from ontolabel.errors import OntolabelError
from ontolabel.jobs import repository
from ontolabel.jobs.kinds import JobEnding, JobKind, get_kind, import_kind_modules
from ontolabel.jobs.tables import FINAL_CHUNK_STATUSES, FINAL_JOB_STATUSES, JobChunk

log = logging.getLogger(__name__)

# Set by the embedded runner's pool when the server shuts down: chunks stop between
# frames and hand their lease back instead of being counted as cancelled or failed.
_stop_requested = threading.Event()


def request_stop() -> None:
    _stop_requested.set()


def new_owner() -> str:
    """A lease owner id: which host, process and attempt holds a lease."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def load_kind(settings: Settings, name: str) -> JobKind[Any, Any]:
    """The kind ``name``, after importing the extra kind modules named in the settings."""
    import_kind_modules(settings.extra_kind_modules)
    return get_kind(name)


@lru_cache(maxsize=8)
def _factory_for(url: str) -> sessionmaker[Session]:
    return make_session_factory(make_engine(url))


def session_factory_for(settings: Settings) -> sessionmaker[Session]:
    """One engine per database per process (created lazily, so after a fork)."""
    return _factory_for(settings.sqlalchemy_url)


def _write(factory: sessionmaker[Session], work: Callable[[Session], Any]) -> Any:
    """A short write transaction of its own (visible to pollers at once)."""
    with session_scope(factory) as session:
        begin_write(session)
        return work(session)


class ChunkOutcome(enum.Enum):
    DONE = "done"  # this copy ran it (or it already was final)
    BUSY = "busy"  # another live copy holds the lease: try again later
    RETRY = "retry"  # it raised; deliveries are left: send it again
    STOPPED = "stopped"  # the job ended, was cancelled or this process is stopping


class JobRunContext:
    """The ``JobContext`` kinds see; bookkeeping goes to SQL in short transactions."""

    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        job_id: int,
        owner: str,
        chunk_id: int | None = None,
        next_chunk_id: int | None = None,
        inline: bool = False,
    ) -> None:
        self.job_id = job_id
        self.settings = settings
        self.session_factory = session_factory
        self.owner = owner
        self.chunk_id = chunk_id
        self.next_chunk_id = next_chunk_id
        self.inline = inline
        self.lease_lost = threading.Event()
        self._checked_at = 0.0
        self._cancelled = False

    @property
    def output_dir(self) -> Path:
        path = self.settings.outputs / str(self.job_id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def log(self, message: str, level: str = "info") -> None:
        _write(
            self.session_factory,
            lambda s: repository.append_event(s, self.job_id, level, message),
        )

    def advance(self, done: int = 1) -> None:
        def work(session: Session) -> None:
            if self.chunk_id is None:
                repository.advance_job(session, self.job_id, done)
            else:
                repository.advance_chunk(session, self.chunk_id, self.owner, done)
                repository.sync_progress(session, self.job_id)

        _write(self.session_factory, work)

    def frame_error(self, frame: str, message: str) -> None:
        def work(session: Session) -> None:
            repository.record_frame_error(session, self.job_id, frame, message)
            repository.append_event(session, self.job_id, "warning", f"{frame}: {message}")

        _write(self.session_factory, work)

    def next_chunk(self) -> dict[str, Any] | None:
        """The next chunk's parameters, while it is still to run (the inline runner's)."""
        if self.next_chunk_id is None:
            return None
        with self.session_factory() as session:
            chunk = session.get(JobChunk, self.next_chunk_id)
        if chunk is None or chunk.status in FINAL_CHUNK_STATUSES:
            return None
        return dict(chunk.params)

    def is_cancelled(self) -> bool:
        """Cancel flag, final job, lost lease or stopping process (read 4 times a second)."""
        if self._cancelled or self.lease_lost.is_set() or _stop_requested.is_set():
            return True
        now = time.monotonic()
        if now - self._checked_at >= 0.25:
            self._checked_at = now
            with self.session_factory() as session:
                state = repository.job_state(session, self.job_id)
            self._cancelled = state is None or state[1] or state[0] in FINAL_JOB_STATUSES
        return self._cancelled


class _Heartbeat:
    """Renews a lease every third of its length while a step runs.

    A chunk's lease (``ctx.chunk_id``) or, for plan and finish, the job's. Losing it
    sets ``ctx.lease_lost``, which the kind sees as ``is_cancelled()``.
    """

    def __init__(self, ctx: JobRunContext, lease_s: int) -> None:
        self._ctx = ctx
        self._lease_s = lease_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name="lease-heartbeat")

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _renew(self, session: Session) -> bool:
        ctx = self._ctx
        if ctx.chunk_id is None:
            return repository.renew_job_lease(session, ctx.job_id, ctx.owner, self._lease_s)
        return repository.renew_chunk_lease(session, ctx.chunk_id, ctx.owner, self._lease_s)

    def _beat(self) -> None:
        down_since: float | None = None
        error = ""
        while not self._stop.wait(self._lease_s / 3):
            try:
                renewed = _write(self._ctx.session_factory, self._renew)
            except Exception as exc:  # a database outage: try again next beat
                log.exception("lease renewal failed for job %s", self._ctx.job_id)
                down_since = down_since if down_since is not None else time.monotonic()
                error = _error_text(exc)
                continue
            if down_since is not None:
                self._note_outage(time.monotonic() - down_since, error)
                down_since = None
            if not renewed:
                self._ctx.lease_lost.set()
                return

    def _note_outage(self, seconds: float, error: str) -> None:
        where = "plan/finish" if self._ctx.chunk_id is None else f"chunk id {self._ctx.chunk_id}"
        message = (
            f"{self._ctx.owner}: the database was unreachable for about {seconds:.0f} s "
            f"while running {where} ({error[:200]})"
        )
        log.warning("job %s: %s", self._ctx.job_id, message)
        try:
            self._ctx.log(message, "warning")
        except Exception:
            log.exception("could not log the outage of job %s", self._ctx.job_id)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):  # stored parameters that no longer fit the contract
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or e['type']}: {e['msg']}" for e in exc.errors()
        )
        return f"invalid {exc.title} parameters: {problems}"[:2000]
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last[:2000]


def log_job_event(settings: Settings, job_id: int, level: str, message: str) -> None:
    """A line in the job's log, from a caller without a session (the worker's tasks)."""
    _job_log(session_factory_for(settings), job_id, level, message)


def _job_log(factory: sessionmaker[Session], job_id: int, level: str, message: str) -> None:
    _write(factory, lambda s: repository.append_event(s, job_id, level, message))


def _settle_cancelled(settings: Settings, factory: sessionmaker[Session], job_id: int) -> None:
    def work(session: Session) -> bool:
        if repository.finalize_job(session, job_id, "cancelled"):
            repository.append_event(session, job_id, "info", "job cancelled")
            return True
        return False

    if _write(factory, work):
        _ended(settings, factory, job_id)


def _fail_job(settings: Settings, factory: sessionmaker[Session], job_id: int, error: str) -> None:
    def work(session: Session) -> bool:
        if repository.finalize_job(session, job_id, "failed", error=error):
            repository.append_event(session, job_id, "error", f"job failed: {error}")
            return True
        return False

    if _write(factory, work):
        _ended(settings, factory, job_id)


def _ended(settings: Settings, factory: sessionmaker[Session], job_id: int) -> None:
    """Let the kind mark what a cancelled or failed job leaves (``JobKind.on_end``)."""
    with factory() as session:
        job = repository.get_job(session, job_id)
        if job is None:
            return
        ending = JobEnding(status=job.status, error=job.error, done=job.done, total=job.total)
        kind_name, params = job.kind, dict(job.params)
    try:
        kind = load_kind(settings, kind_name)
        if kind.on_end is not None:
            ctx = JobRunContext(settings, factory, job_id, new_owner())
            kind.on_end(ctx, kind.params.model_validate(params), ending)
    except Exception:  # the job has ended either way; its folder just says less
        log.exception("job %s: could not record its %s end", job_id, ending.status)


def _kind_or_fail(
    settings: Settings, factory: sessionmaker[Session], job_id: int, name: str
) -> JobKind[Any, Any] | None:
    """The job's kind; a worker that cannot load it fails the job instead of crashing."""
    try:
        return load_kind(settings, name)
    except (KeyError, ImportError) as exc:
        error = f"this worker cannot run {name!r} jobs: {_error_text(exc)}"
        log.exception("job %s: %s", job_id, error)
        _fail_job(settings, factory, job_id, error)
        return None


# -- the steps ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanResult:
    """Chunks to send (all unfinished ones, so a re-sent plan also heals lost sends).

    ``busy``: another live copy is planning; ask again once its lease could lapse.
    """

    chunk_ids: list[int]
    queue: str
    busy: bool = False


def plan_job(
    settings: Settings,
    factory: sessionmaker[Session],
    job_id: int,
    owner: str,
    inline: bool = False,
) -> PlanResult:
    """Plan a queued job into chunk rows; idempotent for a redelivered plan message.

    ``inline``: this caller runs the chunks itself next (``ctx.inline``).
    """
    with factory() as session:
        job = repository.get_job(session, job_id)
        if job is None:
            log.warning("plan for job %s: no such job (rolled back?)", job_id)
            return PlanResult([], "cpu")
        kind_name, params = job.kind, dict(job.params)
    kind = _kind_or_fail(settings, factory, job_id, kind_name)
    if kind is None:
        return PlanResult([], "cpu")
    claimed = _write(
        factory, lambda s: repository.claim_planning(s, job_id, owner, settings.job_lease_s)
    )
    if not claimed:
        with factory() as session:
            state = repository.job_state(session, job_id)
            pending = repository.unfinished_chunk_ids(session, job_id)
        if state and state[1] and state[0] not in FINAL_JOB_STATUSES:
            _settle_cancelled(settings, factory, job_id)
            return PlanResult([], kind.queue)
        running = state is not None and state[0] == "running"
        planning = state is not None and state[0] == "planning"
        return PlanResult(pending if running else [], kind.queue, busy=planning)

    ctx = JobRunContext(settings, factory, job_id, owner, inline=inline)
    try:
        with _Heartbeat(ctx, settings.job_lease_s):
            plan = kind.plan(ctx, kind.params.model_validate(params))
    except Exception as exc:
        error = f"planning failed: {_error_text(exc)}"
        log.exception("job %s: %s", job_id, error)
        _fail_job(settings, factory, job_id, error)
        return PlanResult([], kind.queue)

    def store(session: Session) -> list[int]:
        chunks = [chunk.model_dump(mode="json") for chunk in plan.chunks]
        if not repository.store_plan(session, job_id, owner, chunks, plan.total, kind.queue):
            return []
        repository.append_event(
            session, job_id, "info", f"planned {len(plan.chunks)} chunk(s), {plan.total} unit(s)"
        )
        return repository.unfinished_chunk_ids(session, job_id)

    chunk_ids: list[int] = _write(factory, store)
    if not plan.chunks:
        finish_job(settings, factory, job_id, owner)  # nothing to do: finish right away
    return PlanResult(chunk_ids, kind.queue)


def run_chunk(
    settings: Settings,
    factory: sessionmaker[Session],
    job_id: int,
    chunk_id: int,
    owner: str,
    next_chunk_id: int | None = None,
    inline: bool = False,
) -> ChunkOutcome:
    """Run one chunk under its lease; the copy that completes the last chunk finishes.

    ``next_chunk_id``: the chunk this caller runs next, if it knows (``ctx.next_chunk``);
    ``inline``: this caller runs the whole job (``ctx.inline``).
    """
    with factory() as session:
        job = repository.get_job(session, job_id)
        if job is None or job.status in FINAL_JOB_STATUSES:
            return ChunkOutcome.STOPPED
        kind_name, cancel = job.kind, job.cancel_requested
    if cancel:
        _settle_cancelled(settings, factory, job_id)
        return ChunkOutcome.STOPPED
    kind = _kind_or_fail(settings, factory, job_id, kind_name)
    if kind is None:
        return ChunkOutcome.STOPPED

    def claim(session: Session) -> tuple[JobChunk | None, str | None]:
        held_by, _until = repository.chunk_lease_holder(session, chunk_id)
        taken = repository.claim_chunk(session, chunk_id, owner, settings.job_lease_s)
        if taken is not None:
            _note_delivery(session, taken, held_by, owner)
        return taken, held_by

    chunk, _held_by = _write(factory, claim)
    if chunk is None:
        with factory() as session:
            current = session.get(JobChunk, chunk_id)
        if current is None or current.status in FINAL_CHUNK_STATUSES:
            # Already ended: redelivered after the last chunk, maybe because the
            # finisher died; finish here, or come back once its lease could lapse.
            if finish_job(settings, factory, job_id, owner):
                return ChunkOutcome.BUSY
            return ChunkOutcome.DONE
        return ChunkOutcome.BUSY

    if chunk.deliveries > settings.max_deliveries:
        error = (
            f"chunk {chunk.index} was delivered {chunk.deliveries} times "
            f"(limit {settings.max_deliveries}); its worker keeps dying or timing out"
        )
        _write(factory, lambda s: repository.end_chunk(s, chunk_id, owner, "failed", error=error))
        _fail_job(settings, factory, job_id, error)
        return ChunkOutcome.DONE

    ctx = JobRunContext(
        settings,
        factory,
        job_id,
        owner,
        chunk_id=chunk_id,
        next_chunk_id=next_chunk_id,
        inline=inline,
    )
    try:
        with _Heartbeat(ctx, settings.job_lease_s):
            kind.run_chunk(ctx, kind.chunk.model_validate(chunk.params))
    except Exception as exc:
        return _chunk_raised(settings, factory, job_id, chunk, owner, exc)

    if ctx.lease_lost.is_set():
        _job_log(factory, job_id, "warning", f"chunk {chunk.index}: lease lost to another copy")
        return ChunkOutcome.STOPPED
    if _stop_requested.is_set():
        _write(
            factory,
            lambda s: repository.end_chunk(s, chunk_id, owner, "pending", uncount_delivery=True),
        )
        return ChunkOutcome.STOPPED
    if ctx.is_cancelled():
        _write(factory, lambda s: repository.end_chunk(s, chunk_id, owner, "cancelled"))
        _settle_cancelled(settings, factory, job_id)
        return ChunkOutcome.STOPPED

    def mark_done(session: Session) -> bool:
        ended = repository.end_chunk(session, chunk_id, owner, "done")
        repository.sync_progress(session, job_id)
        return ended

    if not _write(factory, mark_done):
        return ChunkOutcome.STOPPED
    if finish_job(settings, factory, job_id, owner):
        return ChunkOutcome.BUSY  # another copy is finishing; look again later
    return ChunkOutcome.DONE


def _note_delivery(session: Session, chunk: JobChunk, held_by: str | None, owner: str) -> None:
    """Log a chunk delivered again: its earlier copy's lease expired (that worker died or
    lost the database) and this copy takes over, or a re-sent message arrived."""
    if chunk.deliveries <= 1:
        return
    if held_by is not None:
        message = (
            f"chunk {chunk.index}: the lease of {held_by} expired; {owner} takes it over "
            f"(delivery {chunk.deliveries})"
        )
    else:
        message = f"chunk {chunk.index} delivered again (delivery {chunk.deliveries}) to {owner}"
    log.warning("job %s: %s", chunk.job_id, message)
    repository.append_event(session, chunk.job_id, "warning", message)


def note_dispatched(factory: sessionmaker[Session], chunk_ids: list[int]) -> None:
    """Stamp chunks as just sent, so the sweep does not send them again too soon."""
    _write(factory, lambda s: repository.mark_chunks_dispatched(s, chunk_ids))


def _chunk_raised(
    settings: Settings,
    factory: sessionmaker[Session],
    job_id: int,
    chunk: Any,
    owner: str,
    exc: Exception,
) -> ChunkOutcome:
    error = _error_text(exc)
    log.exception("job %s chunk %s failed", job_id, chunk.index)
    # A domain error (bad input, missing row, a chunk that does not fit its contract) fails
    # the same way every time: no retry.
    final = (
        isinstance(exc, OntolabelError | ValidationError)
        or chunk.deliveries >= settings.max_deliveries
    )
    status = "failed" if final else "pending"

    def work(session: Session) -> None:
        repository.end_chunk(session, chunk.id, owner, status, error=error)
        attempt = f"attempt {chunk.deliveries}/{settings.max_deliveries}"
        repository.append_event(
            session, job_id, "error", f"chunk {chunk.index} failed ({attempt}): {error}"
        )

    _write(factory, work)
    if final:
        _fail_job(settings, factory, job_id, f"chunk {chunk.index} failed: {error}")
        return ChunkOutcome.DONE
    return ChunkOutcome.RETRY


def finish_job(settings: Settings, factory: sessionmaker[Session], job_id: int, owner: str) -> bool:
    """Run the kind's ``finish`` once, when every chunk is done, and mark success.

    Returns True when the job is ready to finish but another live copy holds the
    finish lease: the caller should look again later (that copy may yet die).
    """
    if not _write(
        factory, lambda s: repository.claim_finish(s, job_id, owner, settings.job_lease_s)
    ):
        with factory() as session:
            state = repository.job_state(session, job_id)
            busy = repository.running_chunk_count(session, job_id)
            unfinished = repository.unfinished_chunk_ids(session, job_id)
        if not state or state[0] in FINAL_JOB_STATUSES:
            return False
        if state[1]:
            if not busy:
                _settle_cancelled(settings, factory, job_id)  # cancelled after its last chunk ended
            return False
        return state[0] == "running" and not unfinished
    with factory() as session:
        job = repository.get_job(session, job_id)
        assert job is not None
        kind_name, params = job.kind, dict(job.params)
    kind = load_kind(settings, kind_name)
    ctx = JobRunContext(settings, factory, job_id, owner)
    try:
        with _Heartbeat(ctx, settings.job_lease_s):
            finish = kind.finish
            outputs = finish(ctx, kind.params.model_validate(params)) if finish else {}
    except Exception as exc:
        error = f"finishing failed: {_error_text(exc)}"
        log.exception("job %s: %s", job_id, error)
        _fail_job(settings, factory, job_id, error)
        return False

    def work(session: Session) -> None:
        if repository.finalize_job(session, job_id, "succeeded", outputs=outputs, owner=owner):
            repository.append_event(session, job_id, "info", "job succeeded")

    _write(factory, work)
    return False


def _others_busy(factory: sessionmaker[Session], job_id: int) -> bool:
    """True while the job is not final and another copy still runs a chunk or, every chunk
    done, is finishing it (its chunk may end between a caller's two reads, so both count)."""
    with factory() as session:
        state = repository.job_state(session, job_id)
        running = repository.running_chunk_count(session, job_id)
        unfinished = repository.unfinished_chunk_ids(session, job_id)
    if state is None or state[0] in FINAL_JOB_STATUSES or state[1]:
        return False
    return running > 0 or not unfinished


def _status(factory: sessionmaker[Session], job_id: int) -> str | None:
    with factory() as session:
        state = repository.job_state(session, job_id)
    return state[0] if state else None


def run_job_inline(settings: Settings, job_id: int) -> str:
    """Drive a job to a final status in this process; returns that status.

    The same steps Celery runs, in order: plan, each unfinished chunk (waiting out a
    live lease held elsewhere, retrying a raising chunk until its delivery cap), finish.
    Safe to call again for a job left half-done by a dead process (resume).
    """
    factory = session_factory_for(settings)
    owner = new_owner()
    plan = plan_job(settings, factory, job_id, owner, inline=True)
    while _status(factory, job_id) in ("queued", "planning") and not _stop_requested.is_set():
        time.sleep(min(1.0, settings.job_lease_s / 3))  # another planner holds the lease
        plan = plan_job(settings, factory, job_id, owner, inline=True)
    pending = list(plan.chunk_ids)
    stopped = False
    while pending and not stopped and not _stop_requested.is_set():
        busy = 0
        queue = list(pending)
        for chunk_id, next_id in zip(queue, [*queue[1:], None], strict=True):
            outcome = run_chunk(settings, factory, job_id, chunk_id, owner, next_id, inline=True)
            if outcome is ChunkOutcome.STOPPED:
                stopped = True
                break
            if outcome is ChunkOutcome.DONE:
                pending.remove(chunk_id)
            busy += outcome is ChunkOutcome.BUSY  # RETRY stays pending, runs next round
        if busy and busy == len(pending):
            time.sleep(min(1.0, settings.job_lease_s / 3))  # all held by live copies elsewhere
    while not pending and not _stop_requested.is_set():
        if not finish_job(settings, factory, job_id, owner) and not _others_busy(factory, job_id):
            break
        # Another copy is finishing, or still runs a chunk whose end will finish the job.
        time.sleep(min(1.0, settings.job_lease_s / 3))
    with factory() as session:
        state = repository.job_state(session, job_id)
    if state and state[1] and state[0] not in FINAL_JOB_STATUSES and not _stop_requested.is_set():
        _settle_cancelled(settings, factory, job_id)
        return "cancelled"
    return state[0] if state else "missing"
