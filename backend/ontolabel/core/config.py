"""Settings, read once from ``ONTOLABEL_*`` environment variables."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SQLITE_THREADS = 8
"""Route threads on SQLite. It has one writer, and the thread holding its lock shares the
GIL with every other route thread: with 40 of them (AnyIO's default) a write held the
lock 40 times its CPU time while the rest waited on it, each holding a thread and a
connection, until reads too found none (bench/bench_load.py). More requests queue
without a thread instead, and the writer keeps most of the interpreter."""


class Settings(BaseSettings):
    """Every knob of a deployment; the embedded default needs none of them set."""

    model_config = SettingsConfigDict(env_prefix="ONTOLABEL_", extra="ignore")

    home: Path = Field(
        default_factory=lambda: Path.home() / ".ontolabel",
        description="Data directory: SQLite file, caches, default output root.",
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; unset = SQLite file in the home."
    )
    auth: Literal["local", "accounts"] = Field(
        default="local",
        description="local: every request acts as a local admin, no sign-in (the embedded "
        "default on 127.0.0.1); accounts: users sign in, roles apply. `serve` on any other "
        "address forces accounts.",
    )
    token: str | None = Field(
        default=None,
        description="An API token (ONTOLABEL_TOKEN): the CLI's writes are authored by its user.",
    )
    redis_url: str | None = Field(
        default=None, description="Celery broker; unset = jobs run in-process."
    )
    data_roots: str = Field(
        default="",
        description="Allowed dataset roots (os.pathsep-separated); the demo is always allowed.",
    )
    output_root: Path | None = Field(
        default=None, description="Where jobs write pseudo-labels; unset = <home>/outputs."
    )
    cache_dir: Path = Field(
        default_factory=lambda data: data["home"] / "cache",
        description="Preview and thumbnail caches; unset = <home>/cache. Put it on storage "
        "the API and the workers share, or an API on another host misses the previews.",
    )
    max_upload_bytes: int = Field(default=5 * 1024 * 1024, description="Largest accepted upload.")
    max_json_bytes: int = Field(
        default=4 * 1024 * 1024,
        description="Largest accepted request body other than an upload (JSON): 413 beyond.",
    )
    db_pool_size: int = Field(
        default=20,
        ge=1,
        le=1000,
        description="Database connections an API process keeps open; also how many requests "
        "use the database at once (the rest wait their turn without holding a thread).",
    )
    db_max_overflow: int = Field(
        default=20,
        ge=0,
        le=1000,
        description="Connections opened beyond the pool for work outside a request's turn "
        "(event streams, in-process jobs); closed again when idle.",
    )
    db_pool_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How long a request waits for a connection before it is answered 503 "
        "with Retry-After.",
    )
    api_threads: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="Threads that run the API's synchronous routes; 0 = pool size + overflow "
        f"on PostgreSQL (every thread can have a connection), {SQLITE_THREADS} on SQLite.",
    )
    max_connections: int = Field(
        default=2048,
        ge=1,
        description="Open HTTP connections the server accepts at once (uvicorn's "
        "limit_concurrency); beyond it a client is answered 503 at once.",
    )
    cors_origins: str = Field(
        default="",
        description="Comma-separated origins whose pages may call the API (CORS); "
        "unset = none: the API answers only its own origin's pages.",
    )
    queue_prefix: str = Field(
        default="ontolabel", description="Prefix of Celery queue names (cpu, gpu)."
    )
    visibility_timeout_s: int = Field(
        default=3 * 3600, description="Redis redelivery timeout; keep well above a chunk's runtime."
    )
    max_deliveries: int = Field(default=3, description="A chunk delivered more often fails.")
    job_lease_s: int = Field(
        default=30,
        description="A running chunk's lease; renewed every third of it, taken over once expired.",
    )
    sweep_interval_s: float = Field(
        default=15.0,
        description="How often each worker's recovery sweep re-sends chunks whose lease "
        "expired or whose message was lost, and jobs never sent (docs/jobs.md, Recovery).",
    )
    trusted_pickles: str = Field(
        default="",
        description="Checkpoint files whose pickles this process may load (os.pathsep-"
        "separated). Never part of a job's parameters: a job cannot turn pickles on.",
    )
    extra_kind_modules: str = Field(
        default="",
        description="Comma-separated modules that register extra job kinds (plugins, tests).",
    )

    @field_validator("home", "output_root", "cache_dir")
    @classmethod
    def _expand_user(cls, value: Path | None) -> Path | None:
        """``~`` in a quoted variable (``ONTOLABEL_HOME='~/x'``) means the home folder too."""
        return value.expanduser() if value is not None else None

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'ontolabel.db'}"

    @property
    def thread_count(self) -> int:
        """Threads for synchronous routes: ``api_threads``, else what the database serves."""
        if self.api_threads:
            return self.api_threads
        if self.sqlalchemy_url.startswith("sqlite"):
            return min(SQLITE_THREADS, self.db_pool_size + self.db_max_overflow)
        return self.db_pool_size + self.db_max_overflow

    @property
    def admitted_requests(self) -> int:
        """API requests served at once (``api.admission``): no more than there are threads
        for them, nor connections; the rest queue."""
        return min(self.thread_count, self.db_pool_size + self.db_max_overflow)

    @property
    def allowed_origins(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def is_embedded(self) -> bool:
        """True when running the single-process default (SQLite, no broker)."""
        return self.redis_url is None

    @property
    def allowed_data_roots(self) -> list[Path]:
        roots = [Path(p).expanduser() for p in self.data_roots.split(os.pathsep) if p.strip()]
        return [*roots, self.demo_root]

    @property
    def demo_root(self) -> Path:
        return self.home / "demo"

    @property
    def outputs(self) -> Path:
        return self.output_root or self.home / "outputs"

    @property
    def job_roots(self) -> list[Path]:
        """Where a job may read and write folders: the output root and the data roots.

        The one list the API, the CLI and the workers check job folders against.
        """
        return [self.outputs, *self.allowed_data_roots]

    def trusts_pickle(self, path: str | Path) -> bool:
        """True when ``path`` is one of ``trusted_pickles`` (both resolved)."""
        wanted = Path(path).expanduser().resolve()
        listed = [p for p in self.trusted_pickles.split(os.pathsep) if p.strip()]
        return any(Path(p).expanduser().resolve() == wanted for p in listed)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests build their own ``Settings`` instead."""
    return Settings()
