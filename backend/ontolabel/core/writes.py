"""Write locks: a writer takes the database's write lock before its first read.

Services only flush; whoever owns the transaction (request dependency, CLI scope, job
runner) commits. A read-then-write service calls :func:`start_write` first.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ontolabel.core.db import SQLITE_IMMEDIATE


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writer.

    On SQLite this takes the write lock up front (``BEGIN IMMEDIATE``) so two
    read-then-write transactions queue instead of failing with "database is
    locked"; PostgreSQL ignores the option. Call it before the first query.
    """
    session.connection(execution_options={SQLITE_IMMEDIATE: True})


def start_write(session: Session) -> None:
    """:func:`begin_write` once per transaction; nested service calls share the first lock."""
    if not session.in_transaction():
        begin_write(session)
