"""Every query of the jobs domain.

The execution steps (leases, progress, final transitions) are single conditional
UPDATEs so two workers racing on one row cannot both win.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from ontolabel.core.clock import utcnow
from ontolabel.jobs.tables import (
    FINAL_CHUNK_STATUSES,
    FINAL_JOB_STATUSES,
    Job,
    JobChunk,
    JobEvent,
    JobFrameError,
    JobIdempotencyKey,
    TrainEpoch,
)

ACTIVE_JOB_STATUSES = ("queued", "planning", "running")


def _update(session: Session, statement: Any) -> Any:
    """Run a bulk UPDATE; callers re-read rows, so no in-session synchronisation."""
    return session.execute(statement, execution_options={"synchronize_session": False})


# -- reading -------------------------------------------------------------------------


def get_job(session: Session, job_id: int) -> Job | None:
    return session.get(Job, job_id)


def list_jobs(
    session: Session, *, kind: str | None, status: str | None, offset: int, limit: int
) -> tuple[list[Job], int]:
    query = select(Job)
    if kind:
        query = query.where(Job.kind == kind)
    if status:
        query = query.where(Job.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Job.id.desc()).offset(offset).limit(limit)).all()
    return list(rows), total


def active_job_ids(session: Session) -> list[int]:
    """Jobs a runner should (re)start: not final yet."""
    query = select(Job.id).where(Job.status.in_(ACTIVE_JOB_STATUSES)).order_by(Job.id)
    return list(session.scalars(query).all())


def waiting_job_ids(session: Session, created_before: datetime) -> list[int]:
    """Queued jobs nobody has started since ``created_before`` (e.g. queued by the CLI)."""
    query = (
        select(Job.id)
        .where(
            Job.status == "queued",
            Job.cancel_requested.is_(False),
            Job.created_at < created_before,
        )
        .order_by(Job.id)
        .limit(100)
    )
    return list(session.scalars(query).all())


def events_after(session: Session, job_id: int, after_seq: int, limit: int) -> list[JobEvent]:
    query = (
        select(JobEvent)
        .where(JobEvent.job_id == job_id, JobEvent.seq > after_seq)
        .order_by(JobEvent.seq)
        .limit(limit)
    )
    return list(session.scalars(query).all())


def frame_errors(
    session: Session, job_id: int, *, offset: int, limit: int
) -> tuple[list[JobFrameError], int]:
    where = JobFrameError.job_id == job_id
    total = session.scalar(select(func.count()).where(where)) or 0
    query = select(JobFrameError).where(where).order_by(JobFrameError.id)
    return list(session.scalars(query.offset(offset).limit(limit)).all()), total


def chunks_of(session: Session, job_id: int) -> list[JobChunk]:
    query = select(JobChunk).where(JobChunk.job_id == job_id).order_by(JobChunk.index)
    return list(session.scalars(query).all())


def unfinished_chunk_ids(session: Session, job_id: int) -> list[int]:
    query = (
        select(JobChunk.id)
        .where(JobChunk.job_id == job_id, JobChunk.status.not_in(FINAL_CHUNK_STATUSES))
        .order_by(JobChunk.index)
    )
    return list(session.scalars(query).all())


# -- writing: jobs, log, frame errors ---------------------------------------------------


def idempotency_key(session: Session, user_name: str, key: str) -> JobIdempotencyKey | None:
    return session.scalar(
        select(JobIdempotencyKey).where(
            JobIdempotencyKey.user_name == user_name, JobIdempotencyKey.key == key
        )
    )


def add_job(session: Session, kind: str, params: dict[str, Any], created_by: str) -> Job:
    job = Job(kind=kind, params=params, outputs={}, created_by=created_by)
    session.add(job)
    session.flush()
    return job


def append_event(session: Session, job_id: int, level: str, message: str) -> int:
    """Add a log line; the per-job counter on the job row hands out ``seq`` atomically."""
    seq = _update(
        session,
        update(Job)
        .where(Job.id == job_id)
        .values(last_event_seq=Job.last_event_seq + 1)
        .returning(Job.last_event_seq),
    ).scalar_one()
    session.add(JobEvent(job_id=job_id, seq=seq, level=level, message=message, time=utcnow()))
    session.flush()
    return int(seq)


def record_frame_error(session: Session, job_id: int, frame: str, message: str) -> None:
    """Keep one error per frame: a redelivered chunk overwrites, never duplicates."""
    existing = session.scalar(
        select(JobFrameError).where(JobFrameError.job_id == job_id, JobFrameError.frame == frame)
    )
    if existing is None:
        session.add(JobFrameError(job_id=job_id, frame=frame, message=message, time=utcnow()))
    else:
        existing.message = message
        existing.time = utcnow()
    session.flush()


def request_cancel(session: Session, job_id: int) -> None:
    """Cancel a job no worker has picked up at once; flag the others for the worker."""
    now = utcnow()
    _update(
        session,
        update(Job)
        .where(Job.id == job_id, Job.status == "queued")
        .values(status="cancelled", cancel_requested=True, finished_at=now, updated_at=now),
    )
    _update(
        session,
        update(Job)
        .where(Job.id == job_id, Job.status.not_in(FINAL_JOB_STATUSES))
        .values(cancel_requested=True, updated_at=now),
    )


def finalize_job(
    session: Session,
    job_id: int,
    status: str,
    *,
    error: str | None = None,
    outputs: dict[str, Any] | None = None,
    owner: str | None = None,
) -> bool:
    """Move a job to a final status once; False if it already was final (or not ours)."""
    now = utcnow()
    values: dict[str, Any] = {
        "status": status,
        "finished_at": now,
        "updated_at": now,
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if error is not None:
        values["error"] = error
    if outputs is not None:
        values["outputs"] = outputs
    query = update(Job).where(Job.id == job_id, Job.status.not_in(FINAL_JOB_STATUSES))
    if owner is not None:
        query = query.where(Job.lease_owner == owner)
    return _update(session, query.values(**values)).rowcount == 1


# -- leases ----------------------------------------------------------------------------


def _lease_free(column_owner: Any, column_expires: Any, now: datetime) -> Any:
    return or_(column_owner.is_(None), column_expires < now)


def claim_planning(session: Session, job_id: int, owner: str, lease_s: int) -> bool:
    """Take the job's plan step: a queued job, or one whose planner died."""
    now = utcnow()
    result = _update(
        session,
        update(Job)
        .where(
            Job.id == job_id,
            Job.cancel_requested.is_(False),
            or_(
                Job.status == "queued",
                and_(
                    Job.status == "planning",
                    _lease_free(Job.lease_owner, Job.lease_expires_at, now),
                ),
            ),
        )
        .values(
            status="planning",
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_s),
            started_at=func.coalesce(Job.started_at, now),
            updated_at=now,
        ),
    )
    return result.rowcount == 1


def store_plan(
    session: Session,
    job_id: int,
    owner: str,
    chunks: list[dict[str, Any]],
    total: int,
    queue: str | None = None,
) -> bool:
    """Save the chunks and start the job in the planner's transaction.

    The chunks count as dispatched now: the planner sends them right after this commits
    (and if it dies first, the sweep sees no message for them and sends them).
    """
    now = utcnow()
    started = _update(
        session,
        update(Job)
        .where(Job.id == job_id, Job.status == "planning", Job.lease_owner == owner)
        .values(
            status="running",
            total=total,
            done=0,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        ),
    )
    if started.rowcount != 1:
        return False
    session.add_all(
        JobChunk(job_id=job_id, index=i, params=params, queue=queue, dispatched_at=now)
        for i, params in enumerate(chunks)
    )
    session.flush()
    return True


def claim_finish(session: Session, job_id: int, owner: str, lease_s: int) -> bool:
    """Take the job's finish step: running, every chunk done, nobody finishing it now."""
    now = utcnow()
    not_done = (
        select(JobChunk.id).where(JobChunk.job_id == job_id, JobChunk.status != "done").exists()
    )
    result = _update(
        session,
        update(Job)
        .where(
            Job.id == job_id,
            Job.status == "running",
            Job.cancel_requested.is_(False),
            _lease_free(Job.lease_owner, Job.lease_expires_at, now),
            ~not_done,
        )
        .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_s)),
    )
    return result.rowcount == 1


def claim_chunk(session: Session, chunk_id: int, owner: str, lease_s: int) -> JobChunk | None:
    """Take a chunk's lease if free or expired; count the delivery; reset its progress.

    The chunk's earlier progress is dropped because the new copy counts every unit
    again (kinds call ``advance`` for skipped, already-written frames too).
    """
    now = utcnow()
    result = _update(
        session,
        update(JobChunk)
        .where(
            JobChunk.id == chunk_id,
            JobChunk.status.in_(("pending", "running")),
            _lease_free(JobChunk.lease_owner, JobChunk.lease_expires_at, now),
        )
        .values(
            status="running",
            deliveries=JobChunk.deliveries + 1,
            done=0,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_s),
            started_at=now,
        ),
    )
    if result.rowcount != 1:
        return None
    chunk = session.get(JobChunk, chunk_id, populate_existing=True)
    assert chunk is not None
    sync_progress(session, chunk.job_id)
    return chunk


def chunk_lease_holder(session: Session, chunk_id: int) -> tuple[str | None, datetime | None]:
    """Who holds (or last held) a chunk's lease and until when: read before taking it over."""
    row = session.execute(
        select(JobChunk.lease_owner, JobChunk.lease_expires_at).where(JobChunk.id == chunk_id)
    ).one_or_none()
    return (None, None) if row is None else (row[0], row[1])


def renew_job_lease(session: Session, job_id: int, owner: str, lease_s: int) -> bool:
    """Heartbeat of a plan or finish step."""
    result = _update(
        session,
        update(Job)
        .where(Job.id == job_id, Job.lease_owner == owner)
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_s)),
    )
    return result.rowcount == 1


def renew_chunk_lease(session: Session, chunk_id: int, owner: str, lease_s: int) -> bool:
    """Heartbeat; False means another copy took the chunk over."""
    result = _update(
        session,
        update(JobChunk)
        .where(JobChunk.id == chunk_id, JobChunk.lease_owner == owner)
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_s)),
    )
    return result.rowcount == 1


def end_chunk(
    session: Session,
    chunk_id: int,
    owner: str,
    status: str,
    *,
    error: str | None = None,
    uncount_delivery: bool = False,
) -> bool:
    """Release the lease with ``status`` (done/failed/cancelled, or pending to retry)."""
    values: dict[str, Any] = {"status": status, "lease_owner": None, "lease_expires_at": None}
    if status in FINAL_CHUNK_STATUSES:
        values["finished_at"] = utcnow()
    if error is not None:
        values["error"] = error
    if uncount_delivery:
        values["deliveries"] = JobChunk.deliveries - 1
    result = _update(
        session,
        update(JobChunk)
        .where(JobChunk.id == chunk_id, JobChunk.lease_owner == owner)
        .values(**values),
    )
    return result.rowcount == 1


def advance_chunk(session: Session, chunk_id: int, owner: str, done: int) -> None:
    _update(
        session,
        update(JobChunk)
        .where(JobChunk.id == chunk_id, JobChunk.lease_owner == owner)
        .values(done=JobChunk.done + done),
    )


def advance_job(session: Session, job_id: int, done: int) -> None:
    _update(session, update(Job).where(Job.id == job_id).values(done=Job.done + done))


def sync_progress(session: Session, job_id: int) -> None:
    """Job progress = sum of its chunks' progress (self-healing after redelivery)."""
    chunk_sum = (
        select(func.coalesce(func.sum(JobChunk.done), 0))
        .where(JobChunk.job_id == job_id)
        .scalar_subquery()
    )
    _update(
        session, update(Job).where(Job.id == job_id).values(done=chunk_sum, updated_at=utcnow())
    )


def running_chunk_count(session: Session, job_id: int) -> int:
    query = select(func.count()).where(JobChunk.job_id == job_id, JobChunk.status == "running")
    return session.scalar(query) or 0


def job_state(session: Session, job_id: int) -> tuple[str, bool] | None:
    """(status, cancel_requested), read fresh."""
    row = session.execute(
        select(Job.status, Job.cancel_requested).where(Job.id == job_id)
    ).one_or_none()
    return None if row is None else (row[0], bool(row[1]))


# -- train epochs --------------------------------------------------------------------


def record_train_epoch(session: Session, epoch: TrainEpoch) -> None:
    """Store an epoch's figures; a resumed run that repeats the epoch replaces them."""
    session.merge(epoch)
    session.flush()


def train_epochs(
    session: Session, job_id: int, *, offset: int, limit: int
) -> tuple[list[TrainEpoch], int]:
    """A train job's epochs in the order they ran (the fine-tune's follow the training's)."""
    where = TrainEpoch.job_id == job_id
    total = session.scalar(select(func.count()).select_from(TrainEpoch).where(where)) or 0
    query = select(TrainEpoch).where(where).order_by(TrainEpoch.epoch)
    return list(session.scalars(query.offset(offset).limit(limit)).all()), total


# -- dispatch stamps and the recovery sweep ----------------------------------------------


def mark_job_sent(session: Session, job_id: int) -> None:
    _update(session, update(Job).where(Job.id == job_id).values(sent_at=utcnow()))


def mark_chunks_dispatched(session: Session, chunk_ids: list[int]) -> None:
    if chunk_ids:
        query = update(JobChunk).where(JobChunk.id.in_(chunk_ids))
        _update(session, query.values(dispatched_at=utcnow()))


def _stale(column: Any, cutoff: datetime) -> Any:
    return or_(column.is_(None), column < cutoff)


def stranded_chunks(session: Session, cutoff: datetime, limit: int = 500) -> list[JobChunk]:
    """Unfinished chunks of running jobs that no live copy holds (lease free or expired)
    and that were last sent before ``cutoff``: their message may be gone."""
    now = utcnow()
    query = (
        select(JobChunk)
        .join(Job, Job.id == JobChunk.job_id)
        .where(
            Job.status == "running",
            JobChunk.status.in_(("pending", "running")),
            _lease_free(JobChunk.lease_owner, JobChunk.lease_expires_at, now),
            _stale(JobChunk.dispatched_at, cutoff),
        )
        .order_by(JobChunk.job_id, JobChunk.index)
        .limit(limit)
    )
    return list(session.scalars(query).all())


def take_chunk_redispatch(session: Session, chunk_id: int, cutoff: datetime) -> bool:
    """Claim the re-send of a stranded chunk: of several sweepers, exactly one wins (the
    others' conditional UPDATE finds ``dispatched_at`` fresh)."""
    now = utcnow()
    result = _update(
        session,
        update(JobChunk)
        .where(
            JobChunk.id == chunk_id,
            JobChunk.status.in_(("pending", "running")),
            _lease_free(JobChunk.lease_owner, JobChunk.lease_expires_at, now),
            _stale(JobChunk.dispatched_at, cutoff),
        )
        .values(dispatched_at=now),
    )
    return bool(result.rowcount == 1)


def _job_stranded(created_before: datetime, cutoff: datetime, now: datetime) -> Any:
    """Queued and never sent (or sent before ``cutoff``); planning or finishing with the
    job lease expired; or running with every chunk ended and nobody finishing it."""
    unfinished = (
        select(JobChunk.id)
        .where(JobChunk.job_id == Job.id, JobChunk.status.not_in(FINAL_CHUNK_STATUSES))
        .exists()
    )
    any_chunk = select(JobChunk.id).where(JobChunk.job_id == Job.id).exists()
    lease_free = _lease_free(Job.lease_owner, Job.lease_expires_at, now)
    return and_(
        Job.created_at < created_before,
        _stale(Job.sent_at, cutoff),
        or_(
            and_(Job.status == "queued", Job.cancel_requested.is_(False)),
            and_(Job.status == "planning", lease_free),
            and_(Job.status == "running", lease_free, any_chunk, ~unfinished),
        ),
    )


def stranded_jobs(
    session: Session, created_before: datetime, cutoff: datetime, limit: int = 100
) -> list[Job]:
    query = (
        select(Job)
        .where(_job_stranded(created_before, cutoff, utcnow()))
        .order_by(Job.id)
        .limit(limit)
    )
    return list(session.scalars(query).all())


def take_job_redispatch(
    session: Session, job_id: int, created_before: datetime, cutoff: datetime
) -> bool:
    """Claim the (re-)send of a stranded job's next step; one sweeper wins."""
    now = utcnow()
    query = update(Job).where(Job.id == job_id, _job_stranded(created_before, cutoff, now))
    return bool(_update(session, query.values(sent_at=now)).rowcount == 1)


def last_chunk_id(session: Session, job_id: int) -> int | None:
    query = select(JobChunk.id).where(JobChunk.job_id == job_id).order_by(JobChunk.index.desc())
    return session.scalars(query.limit(1)).first()


def abandoned_job_ids(session: Session, limit: int = 100) -> list[int]:
    """Started jobs whose driving process died: planning or finishing with the job lease
    expired, a chunk still running with its lease expired, or every chunk done with
    nobody finishing (what the embedded runner resumes; Celery's sweep re-sends these)."""
    now = utcnow()
    expired_chunk = (
        select(JobChunk.id)
        .where(
            JobChunk.job_id == Job.id,
            JobChunk.status == "running",
            JobChunk.lease_expires_at < now,
        )
        .exists()
    )
    unfinished = (
        select(JobChunk.id)
        .where(JobChunk.job_id == Job.id, JobChunk.status.not_in(FINAL_CHUNK_STATUSES))
        .exists()
    )
    any_chunk = select(JobChunk.id).where(JobChunk.job_id == Job.id).exists()
    job_lease_expired = and_(Job.lease_owner.is_not(None), Job.lease_expires_at < now)
    lease_free = _lease_free(Job.lease_owner, Job.lease_expires_at, now)
    query = (
        select(Job.id)
        .where(
            or_(
                and_(Job.status == "planning", job_lease_expired),
                and_(Job.status == "running", expired_chunk),
                and_(Job.status == "running", lease_free, any_chunk, ~unfinished),
            )
        )
        .order_by(Job.id)
        .limit(limit)
    )
    return list(session.scalars(query).all())
