"""``Idempotency-Key``: the same key from the same user within a day starts one job.

A double click, or a client retrying a post whose answer it lost, sends the same key; the
first post makes the job and every later one answers that job. The key's row is written
before the job, in a savepoint: of two posts racing with one key the database's unique
(user, key) pair lets one insert through, and the other, having waited for it to commit
(PostgreSQL) or for its write lock (SQLite), reads the winner's job instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ontolabel.core.clock import utcnow
from ontolabel.core.timestamps import as_utc
from ontolabel.core.writes import start_write
from ontolabel.errors import InvalidInput
from ontolabel.jobs import repository
from ontolabel.jobs.tables import Job, JobIdempotencyKey

KEY_TTL = timedelta(hours=24)
"""How long a key names its job; after that the same key starts a new one."""
KEY_FIELD = "Idempotency-Key"


def request_hash(body: Any) -> str:
    """SHA-256 of a JSON-able body in canonical form (sorted keys, no spaces)."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def create_once(
    session: Session, user_name: str, key: str, body_hash: str, create: Callable[[], Job]
) -> tuple[Job, bool]:
    """The job ``key`` made for ``user_name``, or ``create()``'s; True if it is new.

    The same key with another body is refused (422): the client reused a key by mistake.
    """
    start_write(session)  # SQLite: the second post waits here and then finds the key
    claim = _claim(session, user_name, key, body_hash)
    if not isinstance(claim, JobIdempotencyKey):
        return claim, False
    job = create()
    claim.job_id = job.id
    session.flush()
    return job, True


def _claim(session: Session, user_name: str, key: str, body_hash: str) -> JobIdempotencyKey | Job:
    """A new key row for this request, or the job an earlier request with the key made."""
    for _ in range(2):  # once more if the row we saw expired and was replaced meanwhile
        existing = repository.idempotency_key(session, user_name, key)
        if existing is not None:
            if as_utc(existing.created_at) + KEY_TTL > utcnow():
                return _earlier_job(session, existing, key, body_hash)
            session.delete(existing)  # expired: the key is free again
            session.flush()
        claim = JobIdempotencyKey(user_name=user_name, key=key, request_hash=body_hash)
        try:
            with session.begin_nested():
                session.add(claim)
                session.flush()
        except IntegrityError:
            continue  # another request with this key committed first: answer its job
        return claim
    raise InvalidInput(f"{KEY_FIELD} {key!r} is in use by another request", field=KEY_FIELD)


def _earlier_job(session: Session, existing: JobIdempotencyKey, key: str, body_hash: str) -> Job:
    if existing.request_hash != body_hash:
        raise InvalidInput(
            f"{KEY_FIELD} {key!r} was used with a different request body at "
            f"{as_utc(existing.created_at):%Y-%m-%d %H:%M:%S} UTC; "
            "send a new key for a new job",
            field=KEY_FIELD,
        )
    job = repository.get_job(session, existing.job_id) if existing.job_id is not None else None
    if job is None:  # its job was deleted: nothing to answer with
        raise InvalidInput(
            f"the job {KEY_FIELD} {key!r} made no longer exists; send a new key", field=KEY_FIELD
        )
    return job
