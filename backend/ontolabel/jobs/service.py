"""Jobs as the API and other domains see them: create, read, cancel, follow.

Creating a job writes the row only; the dispatcher hears about it after the
transaction commits, so a rolled-back request never starts work.
"""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from ontolabel.core.audit import add_audit_event
from ontolabel.core.config import Settings
from ontolabel.core.db import after_commit
from ontolabel.core.users import User
from ontolabel.core.writes import begin_write
from ontolabel.errors import Conflict, Forbidden, InvalidInput, NotFound
from ontolabel.jobs import dispatch, kinds, references, repository
from ontolabel.jobs.params import JobParams
from ontolabel.jobs.schemas import SuggestionsRead
from ontolabel.jobs.tables import (
    FINAL_JOB_STATUSES,
    JOB_STATUSES,
    Job,
    JobEvent,
    JobFrameError,
    TrainEpoch,
)

log = logging.getLogger(__name__)


class Author(Protocol):
    @property
    def name(self) -> str: ...


def known_kind_names() -> list[str]:
    """The product's kinds plus any registered in this process (plugins, tests)."""
    return sorted(m.kind for m in kinds.params_models())


def create_job(
    session: Session,
    settings: Settings,
    params: JobParams,
    user: Author | str,
    *,
    dispatcher: dispatch.Dispatcher | None = None,
    local_models: bool = False,
) -> Job:
    """Add a queued job of ``params``' kind; it is dispatched only once the caller's
    transaction commits.

    What the parameters name is checked first (``references.prepare``) and the stored
    parameters are the validated model's dump, defaults and pinned revision included.
    ``dispatcher`` defaults to the one the app registered for this database; with none
    (CLI), the row waits for ``run_job_inline`` or a server's pick-up. ``local_models``:
    the operator's CLI may name models by path; every other caller only by registry id.
    """
    prepared = references.prepare(session, settings, params, local_models=local_models)
    author = user if isinstance(user, str) else user.name
    job = repository.add_job(session, params.kind, prepared.model_dump(mode="json"), author)
    repository.append_event(session, job.id, "info", f"{params.kind} job queued by {author}")
    _audit(session, author, "create", job)
    target = dispatcher or dispatch.dispatcher_for(session)
    if target is not None:
        job_id, bind = job.id, session.get_bind()
        after_commit(session, lambda: _enqueue(target, bind, job_id))
    return job


def _enqueue(target: dispatch.Dispatcher, bind: Engine | Connection, job_id: int) -> None:
    """Send a committed job and stamp it sent; an unreachable broker leaves it queued,
    unsent, and says so: the workers' sweep sends it once the broker is back."""
    try:
        target.enqueue_job(job_id)
    except Exception as exc:
        log.exception("could not dispatch job %s", job_id)
        message = (
            f"could not send the job to the workers ({exc}); it stays queued and the "
            f"workers' sweep sends it once the broker is back (or `ontolabel jobs resume {job_id}`)"
        )
        with Session(bind) as session:
            repository.append_event(session, job_id, "warning", message)
            session.commit()
        return
    with Session(bind) as session:
        repository.mark_job_sent(session, job_id)
        session.commit()


def get_job(session: Session, job_id: int) -> Job:
    job = repository.get_job(session, job_id)
    if job is None:
        raise NotFound(f"job {job_id} does not exist", field="job_id")
    return job


def list_jobs(
    session: Session,
    *,
    kind: str | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Job], int]:
    if status is not None and status not in JOB_STATUSES:
        raise InvalidInput(
            f"unknown status {status!r}; use one of {', '.join(JOB_STATUSES)}", field="status"
        )
    return repository.list_jobs(session, kind=kind, status=status, offset=offset, limit=limit)


def cancel_job(session: Session, job_id: int, user: Author | str) -> Job:
    """Ask a job to stop: a queued one is cancelled now, a running one between frames."""
    begin_write(session)  # read-then-write: take SQLite's write lock before the read
    job = get_job(session, job_id)
    if job.status in FINAL_JOB_STATUSES:
        raise Conflict(f"job {job_id} already {job.status}", status=job.status)
    if isinstance(user, User) and not user.is_admin and job.created_by != user.name:
        raise Forbidden(
            f"job {job_id} belongs to {job.created_by}; only they or an admin may cancel it"
        )
    author = user if isinstance(user, str) else user.name
    repository.request_cancel(session, job_id)
    repository.append_event(session, job_id, "info", f"cancel requested by {author}")
    session.refresh(job)
    _audit(session, author, "cancel", job)
    return job


def _audit(session: Session, author: str, action: str, job: Job) -> None:
    add_audit_event(
        session,
        user=User(name=author),
        action=action,
        entity="job",
        entity_id=job.id,
        detail={"kind": job.kind},
    )


def events_since(
    session: Session, job_id: int, after_seq: int = 0, limit: int = 500
) -> list[JobEvent]:
    get_job(session, job_id)
    return repository.events_after(session, job_id, after_seq, limit)


def frame_errors(
    session: Session, job_id: int, *, offset: int = 0, limit: int = 100
) -> tuple[list[JobFrameError], int]:
    get_job(session, job_id)
    return repository.frame_errors(session, job_id, offset=offset, limit=limit)


def train_epochs(
    session: Session, job_id: int, *, offset: int = 0, limit: int = 1000
) -> tuple[list[TrainEpoch], int]:
    """A job's per-epoch training figures (none for other kinds, or before an epoch ends)."""
    get_job(session, job_id)
    return repository.train_epochs(session, job_id, offset=offset, limit=limit)


def suggestions(session: Session, job_id: int) -> SuggestionsRead:
    """The result of a succeeded ``suggest`` job; 404 for another kind or an unfinished one."""
    job = get_job(session, job_id)
    if job.kind != "suggest":
        raise NotFound(f"job {job_id} is a {job.kind} job, not suggest", field="job_id")
    if job.status != "succeeded":
        raise NotFound(f"job {job_id} has no suggestions: it is {job.status}", field="job_id")
    pinned = job.outputs.get("mapping") or {}
    return SuggestionsRead.model_validate(
        {
            **job.outputs,
            "job_id": job.id,
            "mapping_id": pinned.get("mapping_id"),
            "revision": pinned.get("revision"),
        }
    )
