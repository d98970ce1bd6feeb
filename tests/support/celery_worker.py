"""Real Celery workers for tests: subprocesses on real Redis and a real PostgreSQL.

Usage (re-export the fixture in a ``conftest.py``: ``from support.celery_worker import
celery_stack  # noqa: F401``)::

    def test_x(celery_stack):
        stack = celery_stack(kind_modules=["jobs.kinds_for_tests"])
        worker = stack.start_worker("a")
        job_id = stack.create_job("test_writer", {"units": 8})
        stack.wait_for_status(job_id, {"succeeded"})
        stack.kill(worker)  # SIGKILL the whole worker (main and pool processes)

Each stack gets a unique queue prefix (concurrent runs on one Redis don't collide),
a short visibility timeout and lease so redelivery happens within seconds, and the
session's PostgreSQL test database with the job tables emptied.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import REDIS_URL, service_missing
from ontolabel.core.config import Settings
from ontolabel.core.db import make_engine, make_session_factory, session_scope
from ontolabel.jobs import repository, service
from ontolabel.jobs.tables import Job
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

TESTS_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = TESTS_DIR.parent


def redis_or_skip(url: str = REDIS_URL) -> Any:
    """A client for the test Redis; skip (fail under CI) when it is not there."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as exc:
        service_missing("Redis", str(exc).splitlines()[0])
    return client


@dataclass
class WorkerProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class CeleryStack:
    settings: Settings
    env: dict[str, str]
    log_dir: Path
    engine: Engine
    session_factory: sessionmaker[Session]
    workers: list[WorkerProcess] = field(default_factory=list)

    def start_worker(
        self, name: str, concurrency: int = 1, timeout_s: float = 90, *, via_cli: bool = False
    ) -> WorkerProcess:
        """Start ``celery worker`` (or ``ontolabel worker``) and wait until it is ready."""
        prefix = self.settings.queue_prefix
        log_path = self.log_dir / f"worker-{name}-{len(self.workers)}.log"
        cli = [sys.executable, "-m", "ontolabel.cli.main", "worker", "-c", str(concurrency)]
        cmd = cli if via_cli else [
            sys.executable, "-m", "celery", "-A", "ontolabel_worker.celery_app", "worker",
            "-Q", f"{prefix}.gpu,{prefix}.cpu", "-c", str(concurrency), "-P", "prefork",
            "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h", "-l", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        with open(log_path, "wb") as out:
            process = subprocess.Popen(
                cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = WorkerProcess(name, process, log_path)
        self.workers.append(worker)
        deadline = time.monotonic() + timeout_s
        while "ready." not in worker.log():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker {name} did not start:\n{worker.log()[-4000:]}")
            time.sleep(0.1)
        return worker

    def kill(self, worker: WorkerProcess) -> None:
        """SIGKILL the worker and its pool processes: a machine dying mid-chunk."""
        if worker.process.poll() is None:
            os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)

    def stop_all(self) -> None:
        for worker in self.workers:
            if worker.process.poll() is None:
                os.killpg(worker.process.pid, signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill(worker)

    def create_job(self, kind: str, params: dict[str, Any]) -> int:
        """Create and send a job exactly as the API does (row first, send after commit)."""
        from ontolabel.jobs.dispatch import CeleryDispatcher
        from ontolabel.jobs.kinds import import_kind_modules, params_model

        import_kind_modules(self.settings.extra_kind_modules)
        contract = params_model(kind)
        assert contract is not None, f"no job kind {kind!r} here"
        dispatcher = CeleryDispatcher(self.settings)
        try:
            with session_scope(self.session_factory) as session:
                job = service.create_job(
                    session,
                    self.settings,
                    contract.model_validate(params),
                    "test",
                    dispatcher=dispatcher,
                )
                job_id = job.id
        finally:
            dispatcher.close()
        return job_id

    def resume(self, job_id: int) -> None:
        """Send the job's plan message again (what ``ontolabel jobs resume`` does)."""
        from ontolabel.jobs.dispatch import CeleryDispatcher

        dispatcher = CeleryDispatcher(self.settings)
        try:
            dispatcher.enqueue_job(job_id)
        finally:
            dispatcher.close()

    def job(self, job_id: int) -> Job:
        with self.session_factory() as session:
            job = repository.get_job(session, job_id)
            assert job is not None
            return job

    def wait_until(
        self, job_id: int, predicate: Callable[[Job], bool], timeout_s: float = 60
    ) -> Job:
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.job(job_id)
            if predicate(job):
                return job
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {w.name}\n{w.log()[-3000:]}" for w in self.workers)
                raise AssertionError(
                    f"job {job_id} stuck at {job.status} {job.done}/{job.total}\n{logs}"
                )
            time.sleep(0.1)

    def wait_for_status(self, job_id: int, statuses: set[str], timeout_s: float = 60) -> Job:
        return self.wait_until(job_id, lambda j: j.status in statuses, timeout_s)


@pytest.fixture
def celery_stack(pg_database: str, tmp_path: Path) -> Iterator[Callable[..., CeleryStack]]:
    """Factory: ``celery_stack(kind_modules=[...], **settings)`` -> a CeleryStack."""
    redis_client = redis_or_skip()
    stacks: list[CeleryStack] = []
    prefix = f"ontolabel-test-{uuid.uuid4().hex[:10]}"

    def make(kind_modules: list[str] | None = None, **overrides: Any) -> CeleryStack:
        home = tmp_path / f"celery-home-{len(stacks)}"
        home.mkdir()
        values: dict[str, Any] = {
            "home": home,
            "database_url": pg_database,
            "redis_url": REDIS_URL,
            "queue_prefix": prefix,
            "visibility_timeout_s": 5,
            "job_lease_s": 2,
            "max_deliveries": 3,
            "extra_kind_modules": ",".join(kind_modules or []),
            **overrides,
        }
        settings = Settings(**values)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONTOLABEL_")}
        env.update({f"ONTOLABEL_{k.upper()}": str(v) for k, v in values.items()})
        paths = [str(TESTS_DIR), str(REPO_ROOT / "backend"), str(REPO_ROOT / "worker")]
        env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")])
        engine = make_engine(pg_database)
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE jobs RESTART IDENTITY CASCADE"))
        stack = CeleryStack(settings, env, tmp_path, engine, make_session_factory(engine))
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.stop_all()
        stack.engine.dispose()
    for queue in ("cpu", "gpu"):
        redis_client.delete(f"{prefix}.{queue}", f"_kombu.binding.{prefix}.{queue}")
    redis_client.close()
