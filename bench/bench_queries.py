"""Listing, sampling and occurrence latency through the HTTP API at 140,000 frames.

Target (the issue): p95 < 100 ms per query on SQLite and on PostgreSQL. Indexes the
ApolloScape-shaped tree ``bench_index`` generates with the real ``index`` job into this
bench's own databases (reused when already indexed; ``--keep`` leaves them for the next
run), adds a source taxonomy and a mapping onto it, then sends each request through the
real app (``TestClient``: routing, SQL, validation and JSON serialisation count) 40 times
with varying parameters after two warm-up calls, and prints p50/p95 and the target check.
The CLI's "every 20th, all paths" is timed as the service call the CLI makes.
Figures go to ``docs/performance.md``, ``## Datasets``, ``### Queries at 140k frames``.

    .venv/bin/python -m bench.bench_queries [--frames 140000] [--repeat 40] [--no-postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from ontolabel.api.app import create_app
from ontolabel.core.config import Settings
from ontolabel.core.db import make_engine, make_session_factory, session_scope, upgrade_database
from ontolabel.core.users import User
from ontolabel.datasets import service
from ontolabel.datasets.tables import Dataset
from ontolabel.domain.mapping import MappingRow
from ontolabel.domain.sampling import SamplingRule
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass
from ontolabel.mappings import repository as mapping_repository
from ontolabel.mappings import service as mapping_service
from ontolabel.taxonomies import repository as taxonomy_repository
from ontolabel.taxonomies import service as taxonomy_service
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from bench import bench_index

TARGET_MS = 100.0
HEADING = "### Queries at 140k frames"
PG_DB = "ontolabel_bench_queries"
SOURCE = Taxonomy(
    name="bench-source",
    classes=tuple(TaxonomyClass(id=i, name=f"source{i}") for i in range(12)),
)
MAPPING = "bench-apollo-to-source"


@dataclass(frozen=True)
class QueryFigures:
    database: str
    query: str
    p50_ms: float
    p95_ms: float
    rows: int

    @property
    def met(self) -> bool:
        return self.p95_ms < TARGET_MS


@dataclass(frozen=True)
class Bench:
    """What a query needs: the client, the app's sessions (for the CLI call), ids, sizes."""

    client: TestClient
    sessions: sessionmaker[Session]
    dataset_id: int
    mapping_id: int
    frames: int
    streams: int  # (sequence, camera) pairs


Query = Callable[[Bench, random.Random], int]


def _get(b: Bench, path: str, **params: str | int) -> int:
    """GET ``/api/datasets/{id}{path}``; the number of items (or frames for the summary)."""
    response = b.client.get(f"/api/datasets/{b.dataset_id}{path}", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    return len(body["items"]) if "items" in body else int(body["frames"])


def _sequence(rng: random.Random) -> str:
    return f"Record{rng.randrange(bench_index.RECORDS) + 1:03d}"


def _camera(rng: random.Random) -> str:
    return str(rng.choice(bench_index.CAMERAS))


def _label(rng: random.Random) -> int:
    return rng.randrange(bench_index.CLASSES)


def _every_20_paths(b: Bench, rng: random.Random) -> int:
    with b.sessions() as session:
        return len(service.sample_paths(session, b.dataset_id, SamplingRule(every=20)))


QUERIES: dict[str, Query] = {
    "list page of 100, random offset": lambda b, rng: _get(
        b, "/frames", offset=rng.randrange(b.frames - 100), limit=100
    ),
    "list page of 100, sequence + camera filter": lambda b, rng: _get(
        b,
        "/frames",
        sequence=_sequence(rng),
        camera=_camera(rng),
        offset=rng.randrange(b.frames // b.streams - 100),
        limit=100,
    ),
    "list page of 100, label filter": lambda b, rng: _get(
        b, "/frames", label=_label(rng), offset=rng.randrange(5000), limit=100
    ),
    "every 20th of one camera, page of 100": lambda b, rng: _get(
        b,
        "/frames",
        every=20,
        camera=_camera(rng),
        offset=rng.randrange(b.frames // 40 - 100),
        limit=100,
    ),
    "every 20th of one sequence + camera": lambda b, rng: _get(
        b, "/frames", every=20, sequence=_sequence(rng), camera=_camera(rng), limit=1000
    ),
    "every 20th, all image paths (CLI)": _every_20_paths,
    "seeded random 100": lambda b, rng: _get(
        b, "/frames", random=100, seed=rng.randrange(10**6), limit=100
    ),
    "stratified >= 5 per label": lambda b, rng: _get(
        b, "/frames", per_label=5, seed=rng.randrange(10**6), limit=1000
    ),
    "stratified >= 5 per label, every 20th": lambda b, rng: _get(
        b, "/frames", every=20, per_label=5, seed=rng.randrange(10**6), limit=1000
    ),
    "label occurrence table": lambda b, rng: _get(b, "/occurrence"),
    "frames with label X by pixels, page of 50": lambda b, rng: _get(
        b, "/occurrence/frames", label=_label(rng), offset=rng.randrange(1000), limit=50
    ),
    "frames mapped to source class s, page of 50": lambda b, rng: _get(
        b,
        "/occurrence/frames",
        mapping_id=b.mapping_id,
        source_id=rng.randrange(len(SOURCE.classes)),
        offset=rng.randrange(1000),
        limit=50,
    ),
    "dataset summary": lambda b, rng: _get(b, "/summary"),
}


def measure(database: str, bench: Bench, repeat: int) -> list[QueryFigures]:
    out = []
    rng = random.Random(0)
    for name, query in QUERIES.items():
        times, rows = [], 0
        for i in range(repeat + 2):
            started = time.perf_counter()
            rows = query(bench, rng)
            elapsed = (time.perf_counter() - started) * 1000
            if i >= 2:  # two warm-up calls: connection and page cache
                times.append(elapsed)
        times.sort()
        figures = QueryFigures(
            database,
            name,
            statistics.median(times),
            times[max(0, round(0.95 * len(times)) - 1)],
            rows,
        )
        print(
            f"{database:<10} {name:<44} p50 {figures.p50_ms:7.1f} ms  "
            f"p95 {figures.p95_ms:7.1f} ms  {'met' if figures.met else 'NOT MET'}  "
            f"({rows} rows)",
            flush=True,
        )
        out.append(figures)
    return out


# --- databases --------------------------------------------------------------------------


def sqlite_url(frames: int) -> str:
    return f"sqlite:///{Path(tempfile.gettempdir()) / f'ontolabel-bench-queries-{frames}.sqlite'}"


def remove_sqlite(url: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{url.split(':///', 1)[1]}{suffix}").unlink(missing_ok=True)


def postgres_url(fresh: bool) -> str | None:
    """This bench's PostgreSQL database (created if missing), or None if unreachable."""
    try:
        admin = create_engine(bench_index.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": PG_DB})
            if exists and fresh:
                conn.execute(text(f'DROP DATABASE "{PG_DB}" WITH (FORCE)'))
            if not exists or fresh:
                conn.execute(text(f'CREATE DATABASE "{PG_DB}"'))
        admin.dispose()
    except Exception as exc:
        print(f"PostgreSQL unavailable ({str(exc).splitlines()[0]}); skipping it")
        return None
    return bench_index.PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DB}"


def drop_postgres() -> None:
    admin = create_engine(bench_index.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
    admin.dispose()


def indexed_dataset(url: str, frames: int) -> int | None:
    """The bench dataset's id if ``url`` holds it fully indexed."""
    try:
        upgrade_database(url)  # a kept database gets the newest migrations (indexes)
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            dataset = session.scalars(select(Dataset)).one_or_none()
        engine.dispose()
    except Exception:
        return None
    if dataset is None or dataset.indexed_at is None or dataset.frame_count != frames:
        return None
    return dataset.id


def prepare(url: str, frames: int, home: Path) -> tuple[Settings, int, int]:
    """Index the tree into ``url`` unless it already holds it; add the source and mapping."""
    root = bench_index.generate(frames)
    dataset_id = indexed_dataset(url, frames)
    if dataset_id is None:
        if url.startswith("sqlite"):
            remove_sqlite(url)
        else:
            url = postgres_url(fresh=True) or url
        settings, dataset_id = bench_index.setup_dataset(url, home, root)
        started = time.perf_counter()
        bench_index.run_index(settings, dataset_id, os.cpu_count() or 1)
        print(f"indexed {frames} frames into {url} in {time.perf_counter() - started:.0f} s")
    settings = Settings(home=home, database_url=url, data_roots=str(root))
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        if taxonomy_repository.get_taxonomy_by_name(session, SOURCE.name) is None:
            taxonomy_service.create_taxonomy(session, SOURCE, kind="source", user=User("bench"))
    with session_scope(make_session_factory(engine)) as session:
        existing = mapping_repository.get_mapping_by_name(session, MAPPING)
        if existing is not None:
            mapping_id = existing.id
        else:
            # Each source class stands for three extra labels: class{s}, class{s+12}, class{s+24}.
            rows = [
                MappingRow(s.id, s.name, tuple(f"class{j}" for j in range(s.id, 36, 12)))
                for s in SOURCE.classes
            ]
            mapping_id = mapping_service.create_mapping(
                session,
                name=MAPPING,
                extra_taxonomy=bench_index.TAXONOMY.name,
                source_taxonomy=SOURCE.name,
                rows=rows,
                message="bench",
                user=User("bench"),
            ).id
    if engine.dialect.name == "postgresql":
        # What autovacuum does within a minute of the index job's inserts and updates
        # (statistics, and the visibility map that index-only scans need).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return settings, dataset_id, mapping_id


def run(database: str, url: str, frames: int, repeat: int) -> list[QueryFigures]:
    home = Path(tempfile.mkdtemp(prefix="ontolabel-bench-queries-"))
    settings, dataset_id, mapping_id = prepare(url, frames, home)
    app = create_app(settings)
    streams = bench_index.RECORDS * len(bench_index.CAMERAS)
    try:
        with TestClient(app) as client:
            sessions = app.state.session_factory
            bench = Bench(client, sessions, dataset_id, mapping_id, frames, streams)
            return measure(database, bench, repeat)
    finally:
        app.state.engine.dispose()


def write_section(figures: list[QueryFigures], frames: int, repeat: int, load: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        HEADING,
        "",
        f"`bench/bench_queries.py` on {stamp}, {os.cpu_count()} CPUs ({load}): the "
        f"{frames:,}-frame tree of `bench_index` indexed by the real `index` job (20 sequences "
        "x 2 cameras, 36 labels, 3-9 per frame); each request through the app "
        f"(`TestClient`: routing, SQL, JSON) {repeat} times with varying parameters after two "
        f"warm-up calls. Target: p95 < {TARGET_MS:.0f} ms. PostgreSQL after `VACUUM ANALYZE` "
        "(what autovacuum does after the index job's writes; index-only scans need it); "
        "SQLite without `ANALYZE`.",
    ]
    for database in dict.fromkeys(f.database for f in figures):
        lines += [
            "",
            f"{database}:",
            "",
            "| query | p50 ms | p95 ms | target met |",
            "|---|---:|---:|---|",
        ]
        lines += [
            f"| {f.query} | {f.p50_ms:.1f} | {f.p95_ms:.1f} | {'yes' if f.met else '**no**'} |"
            for f in figures
            if f.database == database
        ]
    bench_index._replace_block(HEADING, "\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=bench_index.FRAMES)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--keep", action="store_true", help="Keep the databases for a rerun.")
    parser.add_argument("--no-write", action="store_true", help="Do not touch performance.md.")
    parser.add_argument("--only", help="Run only the queries whose name contains this text.")
    args = parser.parse_args(argv)
    if args.only:
        for name in [n for n in QUERIES if args.only not in n]:
            del QUERIES[name]
    urls = {"SQLite": sqlite_url(args.frames)}
    pg = None if args.no_postgres else postgres_url(fresh=False)
    if pg is not None:
        urls["PostgreSQL"] = pg
    figures: list[QueryFigures] = []
    try:
        for database, url in urls.items():
            figures += run(database, url, args.frames, args.repeat)
    finally:
        if not args.keep:
            remove_sqlite(urls["SQLite"])
            if pg is not None:
                drop_postgres()
    load = "load average {:.1f} / {:.1f} / {:.1f} after the run".format(*os.getloadavg())
    print(f"{load}; target p95 < {TARGET_MS:.0f} ms met by {sum(f.met for f in figures)} of "
          f"{len(figures)}")  # fmt: skip
    if not args.no_write and not args.only:
        write_section(figures, args.frames, args.repeat, load)


if __name__ == "__main__":
    main()
