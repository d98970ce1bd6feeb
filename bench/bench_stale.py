"""The stale-frame query at 140,000 frames: which frames a mapping edit leaves to relabel.

Indexes ``bench_index``'s ApolloScape-shaped tree (at a small label size: the query reads
the index, not the pixels) with the real ``index` job into this bench's own databases,
adds a source taxonomy and a mapping onto it (revision 1), writes a pseudo-label folder as
a ``pseudo_label`` job on revision 1 leaves it (manifest of every frame, provenance
description, constraint rows), then saves revision 2 (one label moved to another row, or a
whole row of three labels emptied) and times, each 20 times after two warm-up calls:

- the baselines: a plain ``count(*)`` over the dataset's frame rows, and reading the
  folder's ``manifest.json`` (every frame's provenance; the count needs it);
- the stale query itself (``frames_with_any_label``: the frames holding a changed label);
- ``GET /api/datasets/{id}/stale`` through the app (manifest read, rows compared, query,
  JSON), what the UI and ``ontolabel dataset stale`` ask.

Figures go to ``docs/performance.md``, ``## Datasets``, ``### Stale frames at 140k frames``.

    .venv/bin/python -m bench.bench_stale [--frames 140000] [--repeat 20] [--no-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from ontolabel.api.app import create_app
from ontolabel.core.config import Settings
from ontolabel.core.db import make_engine, make_session_factory, session_scope
from ontolabel.core.users import User
from ontolabel.datasets import repository
from ontolabel.datasets.tables import Frame
from ontolabel.domain.mapping import MappingRow
from ontolabel.domain.staleness import ConstraintRows, constraint_rows
from ontolabel.jobs import label_folders
from ontolabel.mappings import service as mapping_service
from ontolabel.taxonomies import repository as taxonomy_repository
from ontolabel.taxonomies import service as taxonomy_service
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bench import bench_index, bench_queries

HEADING = "### Stale frames at 140k frames"
PG_DB = "ontolabel_bench_stale"
LABEL_SIZE = (64, 32)
MAPPING = "bench-stale-apollo-to-source"
DIGEST = "0123456789abcdef"


@dataclass(frozen=True)
class Figures:
    database: str
    query: str
    p50_ms: float
    p95_ms: float
    result: int


@dataclass(frozen=True)
class Bench:
    client: TestClient
    sessions: sessionmaker[Session]
    dataset_id: int
    mapping_id: int
    folder: Path


def _rows(revision: int) -> list[MappingRow]:
    """Each source class s stands for class{s}, class{s+12}, class{s+24}; revision 2
    moves class5 to row 6, revision 3 also empties row 7."""
    rows = []
    for s in bench_queries.SOURCE.classes:
        labels = [f"class{j}" for j in range(s.id, 36, 12)]
        if revision >= 2 and s.id in (5, 6):
            labels = [x for x in labels if x != "class5"] + (["class5"] if s.id == 6 else [])
        if revision >= 3 and s.id == 7:
            labels = []
        rows.append(MappingRow(s.id, s.name, tuple(labels)))
    return rows


def prepare(url: str, frames: int, home: Path) -> tuple[Settings, int, int, Path]:
    """Index the tree into ``url``, add the mapping at revision 1 and a labelled folder."""
    root = bench_index.generate(frames, LABEL_SIZE)
    settings, dataset_id = bench_index.setup_dataset(url, home, root)
    started = time.perf_counter()
    bench_index.run_index(settings, dataset_id, os.cpu_count() or 1)
    print(f"indexed {frames} frames into {url} in {time.perf_counter() - started:.0f} s")
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        source = bench_queries.SOURCE
        if taxonomy_repository.get_taxonomy_by_name(session, source.name) is None:
            taxonomy_service.create_taxonomy(session, source, kind="source", user=User("bench"))
    with session_scope(factory) as session:
        mapping_id = mapping_service.create_mapping(
            session,
            name=MAPPING,
            extra_taxonomy=bench_index.TAXONOMY.name,
            source_taxonomy=bench_queries.SOURCE.name,
            rows=_rows(1),
            message="bench",
            user=User("bench"),
        ).id
    with factory() as session:
        _, mapping, _ = mapping_service.load_domain_mapping(session, mapping_id, 1)
        ids = list(session.scalars(select(Frame.id).where(Frame.dataset_id == dataset_id)))
    folder = settings.outputs / "labels"
    rows = constraint_rows(mapping, bench_index.TAXONOMY, bench_queries.SOURCE)
    _write_folder(folder, mapping_id, rows, ids)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return settings, dataset_id, mapping_id, folder


def _write_folder(
    folder: Path, mapping_id: int, rows: ConstraintRows, frame_ids: list[int]
) -> None:
    """What a ``pseudo_label`` job on revision 1 leaves (its reports and PNGs aside)."""
    description = {
        "mapping": {"mapping_id": mapping_id, "mapping": MAPPING, "revision": 1},
        "model": {"id": 1, "name": "teacher", "kind": "hf_dir", "fingerprint": "f"},
        "tta": {"scales": [1.0], "flip": True},
        "constraint": {"void_threshold": 0.5, "confidence_floor": 0.0},
        "priors": True,
        "outputs": {"save_prediction": False, "soft_top_k": 0},
    }
    report = {"provenance": DIGEST, "changed_by_priors": 0.1234, "ignored": 0.0567}
    manifest = {
        "provenance": DIGEST,
        "provenances": {DIGEST: description},
        "frames": {str(i): {**report, "seconds": 0.21, "precision": "bf16"} for i in frame_ids},
        "errors": {},
    }
    (folder / label_folders.PROVENANCE_DIR).mkdir(parents=True, exist_ok=True)
    label_folders.description_path(folder, DIGEST).write_text(json.dumps(description))
    label_folders.rows_path(folder, DIGEST).write_text(json.dumps(rows.to_json()))
    (folder / label_folders.MANIFEST).write_text(json.dumps(manifest))


def _save(b: Bench, revision: int) -> None:
    with session_scope(b.sessions) as session:
        mapping_service.save_mapping(
            session, b.mapping_id, base_revision=revision - 1, rows=_rows(revision),
            message=f"revision {revision}", user=User("bench"),
        )  # fmt: skip


def _count_frames(b: Bench) -> int:
    with b.sessions() as session:
        q = select(func.count()).select_from(Frame).where(Frame.dataset_id == b.dataset_id)
        return int(session.scalar(q) or 0)


def _holding(b: Bench, labels: list[int]) -> int:
    with b.sessions() as session:
        return len(repository.frames_with_any_label(session, b.dataset_id, labels))


def _read_manifest(b: Bench) -> int:
    found = label_folders.manifest_frames(b.folder)
    assert found is not None
    return len(found[1])


def _endpoint(b: Bench, revision: int) -> int:
    response = b.client.get(
        f"/api/datasets/{b.dataset_id}/stale",
        params={"folder": str(b.folder), "mapping_id": b.mapping_id, "revision": revision},
    )
    assert response.status_code == 200, response.text
    return int(response.json()["stale"])


def _time(database: str, name: str, call: Callable[[], int], repeat: int) -> Figures:
    times, result = [], 0
    for i in range(repeat + 2):
        started = time.perf_counter()
        result = call()
        if i >= 2:  # two warm-up calls: connection and page cache
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    figures = Figures(
        database, name, statistics.median(times), times[max(0, round(0.95 * len(times)) - 1)],
        result,
    )  # fmt: skip
    print(
        f"{database:<10} {name:<52} p50 {figures.p50_ms:7.1f} ms  p95 {figures.p95_ms:7.1f} ms"
        f"  ({result})",
        flush=True,
    )
    return figures


def measure(database: str, b: Bench, repeat: int) -> list[Figures]:
    # extra ids: class{j} has id j in bench_index's taxonomy
    _save(b, 2)
    _save(b, 3)
    cases: list[tuple[str, Callable[[], int]]] = [
        ("baseline: count(*) of the dataset's frames", lambda: _count_frames(b)),
        ("baseline: read the folder's manifest.json", lambda: _read_manifest(b)),
        ("frames holding 1 changed label (class5)", lambda: _holding(b, [5])),
        ("frames holding 3 changed labels (row 7)", lambda: _holding(b, [7, 19, 31])),
        ("GET /stale, 1 label changed (revision 2)", lambda: _endpoint(b, 2)),
        ("GET /stale, 4 labels changed (revision 3)", lambda: _endpoint(b, 3)),
        ("GET /stale, nothing changed (revision 1)", lambda: _endpoint(b, 1)),
    ]
    return [_time(database, name, call, repeat) for name, call in cases]


def sqlite_url(frames: int) -> str:
    return f"sqlite:///{Path(tempfile.gettempdir()) / f'ontolabel-bench-stale-{frames}.sqlite'}"


def postgres_url() -> str | None:
    """A fresh PostgreSQL database for this bench, or None if unreachable."""
    try:
        admin = create_engine(bench_index.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
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


def run(database: str, url: str, frames: int, repeat: int) -> list[Figures]:
    home = Path(tempfile.mkdtemp(prefix="ontolabel-bench-stale-"))
    settings, dataset_id, mapping_id, folder = prepare(url, frames, home)
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            b = Bench(client, app.state.session_factory, dataset_id, mapping_id, folder)
            return measure(database, b, repeat)
    finally:
        app.state.engine.dispose()


def write_section(figures: list[Figures], frames: int, repeat: int, load: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        HEADING,
        "",
        f"`bench/bench_stale.py` on {stamp}, {os.cpu_count()} CPUs ({load}): the "
        f"{frames:,}-frame tree of `bench_index` ({LABEL_SIZE[0]}x{LABEL_SIZE[1]} labels, 36 "
        "labels, 3-9 per frame) indexed by the real `index` job; a pseudo-label folder of "
        "every frame made with revision 1 (its manifest, description and constraint rows); "
        "revision 2 moves one label (class5) to another row, revision 3 also empties a row of "
        f"three labels. Each call {repeat} times after two warm-up calls. The count is the "
        "number of frames (stale frames for `GET /stale`).",
    ]
    for database in dict.fromkeys(f.database for f in figures):
        lines += [
            "",
            f"{database}:",
            "",
            "| query | p50 ms | p95 ms | frames |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {f.query} | {f.p50_ms:.1f} | {f.p95_ms:.1f} | {f.result:,} |"
            for f in figures
            if f.database == database
        ]
    bench_index._replace_block(HEADING, "\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=bench_index.FRAMES)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="Do not touch performance.md.")
    args = parser.parse_args(argv)
    urls = {"SQLite": sqlite_url(args.frames)}
    pg = None if args.no_postgres else postgres_url()
    if pg is not None:
        urls["PostgreSQL"] = pg
    figures: list[Figures] = []
    try:
        for database, url in urls.items():
            if database == "SQLite":
                bench_queries.remove_sqlite(url)
            figures += run(database, url, args.frames, args.repeat)
    finally:
        bench_queries.remove_sqlite(urls["SQLite"])
        if pg is not None:
            drop_postgres()
    load = "load average {:.1f} / {:.1f} / {:.1f} after the run".format(*os.getloadavg())
    print(load)
    if not args.no_write:
        write_section(figures, args.frames, args.repeat, load)


if __name__ == "__main__":
    main()
