"""Engine, sessions and migrations; the one place that knows SQLite from PostgreSQL."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, SAWarning
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


SQLITE_IMMEDIATE = "sqlite_immediate"
"""Execution option that makes a SQLite transaction begin as the writer (``core.writes``)."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


RETRY_DELAYS_S = (0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2)
"""Waits before each retry of a unit of work that met a transient conflict (6.4 s in all).

SQLite's busy timeout queues a writer that asks for the lock, but a transaction that read
first and then writes fails at once ("database is locked", SQLITE_BUSY_SNAPSHOT) when
another writer committed after its read: waiting cannot help, only starting again can."""

_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_PG_RETRYABLE = {"40001", "40P01"}  # serialization failure, deadlock detected


def is_transient(exc: BaseException) -> bool:
    """True for a conflict that the same unit of work, started again, will get past:
    SQLite's busy or locked database, PostgreSQL's serialization failure or deadlock."""
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated:
        return False
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    if getattr(orig, "sqlstate", None) in _PG_RETRYABLE:
        return True
    return "database is locked" in str(orig) or "database table is locked" in str(orig)


def make_engine(
    url: str,
    *,
    pool_size: int = 20,
    max_overflow: int = 20,
    pool_timeout: float = 30.0,
    **kwargs: Any,
) -> Engine:
    """An engine with the pragmas SQLite needs to behave under concurrent readers/writers.

    ``pool_size + max_overflow`` connections at most (``Settings.db_*`` in the API, which
    sizes its threads to match); a checkout that waits ``pool_timeout`` seconds raises
    ``sqlalchemy.exc.TimeoutError``, which the API answers 503.
    """
    pool: dict[str, Any] = {}
    if "poolclass" not in kwargs:  # a NullPool (a short-lived process) takes no sizes
        pool = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": pool_timeout}
    if url.startswith("sqlite"):
        path = make_url(url).database
        in_memory = not path or path == ":memory:"  # "sqlite://" too
        if path and not in_memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **({} if in_memory else pool),  # an in-memory database has one connection
            **kwargs,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, decide when a transaction begins so
            # BEGIN IMMEDIATE below takes the write lock up front (``core.writes``).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            # A 64 MiB page cache (the default is 2 MiB; allocated as used): the index job's
            # histogram rows land all over a 1M-row label index, and with 2 MiB each write
            # re-reads and spills its pages, a quarter more CPU per row at 140k frames.
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            immediate = conn.get_execution_options().get(SQLITE_IMMEDIATE, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, **pool, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session], *, writer: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error.

    ``writer`` begins its transaction as the writer on SQLite (``BEGIN IMMEDIATE`` when
    it first needs the database), so it queues for the lock instead of failing on it.
    """
    session = factory(execution_options={SQLITE_IMMEDIATE: True}) if writer else factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's transaction commits; drop it on rollback.

    Jobs are enqueued this way so a message never names a row that was rolled back.
    """
    pending: list[Callable[[], None]] = session.info.setdefault("after_commit", [])
    if not pending:

        def _run(sess: Session) -> None:
            callbacks = sess.info.pop("after_commit", [])
            for cb in callbacks:
                cb()

        def _drop(sess: Session) -> None:
            sess.info.pop("after_commit", None)

        event.listen(session, "after_commit", _run, once=True)
        event.listen(session, "after_rollback", _drop, once=True)
    pending.append(callback)


def alembic_config(url: str) -> Config:
    """The Alembic configuration of our migrations, aimed at ``url``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent.parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands against the migrations this code ships."""

    current: str | None
    """Its Alembic revision; None for a database without our tables."""
    head: str
    """The newest revision this code knows."""
    known: bool
    """False for a revision this code has never heard of (a newer ontolabel migrated it)."""

    @property
    def is_current(self) -> bool:
        return self.current == self.head


def schema_state(url: str) -> SchemaState:
    """Read the database's revision: one small query, no reflection, nothing changed."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(url))
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    known = current is None or current in {r.revision for r in script.walk_revisions()}
    return SchemaState(current=current, head=script.get_current_head() or "", known=known)


REFLECTION_WARNING = "Skipped unsupported reflection of expression-based index"
"""SQLAlchemy's note when it reflects ``frames`` on SQLite, which cannot reflect the
expression index ``ix_frames_dataset_shuffle``. Batch migrations (0006, 0007) reflect
``frames`` only to resolve ``frame_labels``' foreign keys and rebuild ``frame_labels``
alone, so the skipped index is kept; the note would only alarm whoever ran the command."""


def upgrade_database(url: str) -> None:
    """Apply every pending Alembic migration to the database at ``url``."""
    from alembic import command

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=REFLECTION_WARNING, category=SAWarning)
        command.upgrade(alembic_config(url), "head")
