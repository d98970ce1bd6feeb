"""Latency of ``GET /api/mappings/{id}`` under 50 concurrent clients, SQLite and PostgreSQL.

Starts a real uvicorn server (subprocess, 127.0.0.1, a free port) on a temporary SQLite
file and then on a fresh PostgreSQL database (created and dropped here), loads a
66-row mapping through the API, fires a bounded number of reads from 50 threads and
prints p50/p95. Figures go to ``docs/performance.md`` under ``## Mapping reads``.

    .venv/bin/python -m bench.bench_mapping_reads [--requests 2000] [--clients 50]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from ontolabel.core.db import upgrade_database
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
PERFORMANCE_MD = ROOT / "docs" / "performance.md"
SECTION = "## Mapping reads"
PG_ADMIN_URL = os.environ.get(
    "ONTOLABEL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SOURCE_CLASSES = 65  # + the void row = 66 rows, the size of a Mapillary Vistas mapping
EXTRA_LABELS = 40
BASELINE_REQUESTS = 200


@dataclass(frozen=True)
class Figures:
    database: str
    requests: int
    clients: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    throughput_rps: float
    errors: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _server(database_url: str, home: Path) -> Iterator[str]:
    """A uvicorn subprocess serving the app on ``database_url``; yields its base URL."""
    upgrade_database(database_url)
    port = _free_port()
    env = {
        **os.environ,
        "ONTOLABEL_HOME": str(home),
        "ONTOLABEL_DATABASE_URL": database_url,
    }
    env.pop("ONTOLABEL_REDIS_URL", None)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "ontolabel.api.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {process.returncode}")
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not answer /api/health within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _load_mapping(base: str) -> int:
    """Create an extra and a source taxonomy and a 66-row mapping between them."""
    with httpx.Client(base_url=base, timeout=30) as client:
        extra = [{"id": i, "name": f"extra-{i}"} for i in range(EXTRA_LABELS)]
        source = [{"id": i, "name": f"source-{i}", "train_id": i} for i in range(SOURCE_CLASSES)]
        for name, kind, classes in (
            ("bench-extra", "extra", extra),
            ("bench-source", "source", source),
        ):
            response = client.post(
                "/api/taxonomies", json={"name": name, "kind": kind, "classes": classes}
            )
            response.raise_for_status()
        rows: list[dict[str, Any]] = [
            {
                "source_id": i,
                "source_name": f"source-{i}",
                "extra_labels": [f"extra-{(i * 7 + k) % EXTRA_LABELS}" for k in range(i % 5)],
            }
            for i in range(SOURCE_CLASSES)
        ]
        rows.append({"source_id": 255, "source_name": "void", "extra_labels": ["extra-0"]})
        response = client.post(
            "/api/mappings",
            json={
                "name": "bench",
                "extra_taxonomy": "bench-extra",
                "source_taxonomy": "bench-source",
                "message": "bench",
                "rows": rows,
            },
        )
        response.raise_for_status()
        mapping_id: int = response.json()["id"]
        assert len(response.json()["head"]["rows"]) == SOURCE_CLASSES + 1
        return mapping_id


def _measure(base: str, mapping_id: int, *, requests: int, clients: int, database: str) -> Figures:
    """``requests`` reads shared by ``clients`` threads, each with its own connection."""
    remaining = iter(range(requests))
    take = threading.Lock()
    ready = threading.Barrier(clients + 1, timeout=120)
    latencies: list[float] = []
    errors = 0

    def client_loop() -> tuple[list[float], int]:
        mine: list[float] = []
        failed = 0
        with httpx.Client(base_url=base, timeout=30) as client:
            client.get("/api/health")  # connect before the clock starts
            ready.wait()
            while True:
                with take:
                    if next(remaining, None) is None:
                        return mine, failed
                start = time.perf_counter()
                response = client.get(f"/api/mappings/{mapping_id}")
                mine.append(time.perf_counter() - start)
                failed += response.status_code != 200

    with ThreadPoolExecutor(max_workers=clients) as pool:
        loops = [pool.submit(client_loop) for _ in range(clients)]
        ready.wait()  # every client connected: start the clock
        started = time.perf_counter()
        for loop in loops:
            mine, failed = loop.result()
            latencies.extend(mine)
            errors += failed
        elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return Figures(
        database=database,
        requests=len(latencies),
        clients=clients,
        p50_ms=cuts[49] * 1000,
        p95_ms=cuts[94] * 1000,
        max_ms=max(latencies) * 1000,
        throughput_rps=len(latencies) / elapsed,
        errors=errors,
    )


@contextmanager
def fresh_postgres(admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    """A new database on the server of ``admin_url``, dropped afterwards."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"ontolabel_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _run_one(database: str, url: str, home: Path, *, requests: int, clients: int) -> list[Figures]:
    """The concurrent figures, then a one-client baseline (the cost without queueing)."""
    with _server(url, home) as base:
        mapping_id = _load_mapping(base)
        loaded = _measure(base, mapping_id, requests=requests, clients=clients, database=database)
        alone = _measure(base, mapping_id, requests=BASELINE_REQUESTS, clients=1, database=database)
        return [loaded, alone]


def _write_section(figures: list[Figures], skipped: list[str]) -> None:
    """Replace this bench's own section of docs/performance.md (others' stay as they are)."""
    lines = [
        SECTION,
        "",
        "`GET /api/mappings/{id}` (66-row mapping with its head revision), one uvicorn "
        "process, concurrent clients as threads with their own keep-alive httpx connection "
        "(the 1-client rows are the unqueued baseline), measured by "
        "`bench/bench_mapping_reads.py` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs shared by server "
        f"and clients (load average {os.getloadavg()[0]:.1f} when done).",
        "",
        "| database | clients | requests | p50 ms | p95 ms | max ms | req/s | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {f.database} | {f.clients} | {f.requests} | {f.p50_ms:.1f} | {f.p95_ms:.1f} "
            f"| {f.max_ms:.1f} "
            f"| {f.throughput_rps:.0f} | {f.errors} |"
            for f in figures
        ),
        *(f"\n{reason}" for reason in skipped),
        "",
    ]
    section = "\n".join(lines)
    existing = PERFORMANCE_MD.read_text() if PERFORMANCE_MD.exists() else "# Performance\n"
    if SECTION in existing:
        head, _, rest = existing.partition(SECTION)
        following = rest.find("\n## ")
        tail = rest[following + 1 :] if following >= 0 else ""
        updated = head + section + ("\n" + tail if tail else "")
    else:
        updated = existing.rstrip("\n") + "\n\n" + section
    PERFORMANCE_MD.parent.mkdir(parents=True, exist_ok=True)
    PERFORMANCE_MD.write_text(updated)


def main(argv: list[str] | None = None) -> None:
    """Run the read benchmark on SQLite and PostgreSQL; print and record the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--no-write", action="store_true", help="Do not touch docs/performance.md.")
    args = parser.parse_args([] if argv is None else argv)
    figures: list[Figures] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ontolabel-bench-") as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'bench.db'}"
        figures += _run_one("SQLite", url, home, requests=args.requests, clients=args.clients)
        try:
            with fresh_postgres() as pg_url:
                figures += _run_one(
                    "PostgreSQL", pg_url, home, requests=args.requests, clients=args.clients
                )
        except Exception as exc:  # PostgreSQL absent: report it, keep the SQLite figures
            skipped.append(f"PostgreSQL skipped: {str(exc).splitlines()[0]}")
    for f in figures:
        print(
            f"mapping reads [{f.database}]: {f.requests} requests, {f.clients} clients: "
            f"p50 {f.p50_ms:.1f} ms, p95 {f.p95_ms:.1f} ms, max {f.max_ms:.1f} ms, "
            f"{f.throughput_rps:.0f} req/s, {f.errors} errors"
        )
    for reason in skipped:
        print(reason)
    if not args.no_write:
        _write_section(figures, skipped)


if __name__ == "__main__":
    main(sys.argv[1:])
