"""Mixed reads and writes from 200 concurrent clients, on SQLite and PostgreSQL.

The server is started as ``make run`` starts it: ``ontolabel demo`` into a fresh
``ONTOLABEL_HOME``, then ``ontolabel serve`` (a subprocess on a free loopback port). Each
client (an asyncio task with its own keep-alive connection) then loops for ``--seconds``
over mapping reads, taxonomy lists, frame queries and job lists, and writes: cell edits
of its own mapping (each on the revision it read), sample-set creates, and for every
tenth client one job posted twice with one ``Idempotency-Key`` (a double click).

Every answer must be the one the request calls for (zero errors, else the exit status is
1), every write must be stored, and a double post must give one job. Then every client
reads the mapping alone, against the app and against a bare uvicorn endpoint serving the
same bytes from memory (same client code, same run): their throughput ratio is what the
app costs over HTTP itself. Figures go to ``docs/performance.md`` under ``## Load``.

    .venv/bin/python -m bench.bench_load [--clients 200] [--seconds 60] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine

from bench.bench_mapping_reads import PG_ADMIN_URL, _free_port, fresh_postgres

ROOT = Path(__file__).resolve().parents[1]
PERFORMANCE_MD = ROOT / "docs" / "performance.md"
SECTION = "## Load"
NOTES_MARK = "<!-- generated above; notes below are kept when the bench rewrites it -->"
READ_PHASE_S = 15.0
REQUEST_TIMEOUT_S = 120.0
JOB_CLIENT_EVERY = 10  # every tenth client double-posts one job

# What each client draws its next request from (weights).
MIX = {
    "mapping read": 35,
    "taxonomy list": 10,
    "frames query": 15,
    "job list": 10,
    "mapping edit": 15,
    "sample-set create": 10,
}


@dataclass
class Tally:
    """What one phase measured, over all clients."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    def add(self, op: str, seconds: float) -> None:
        self.latencies.setdefault(op, []).append(seconds)

    def fail(self, op: str, what: str) -> None:
        self.errors[op] += 1
        if len(self.examples) < 10:
            self.examples.append(f"{op}: {what}")

    @property
    def all_latencies(self) -> list[float]:
        return [s for values in self.latencies.values() for s in values]

    def rate(self, op: str | None = None) -> float:
        n = len(self.all_latencies) if op is None else len(self.latencies.get(op, []))
        return n / self.elapsed_s if self.elapsed_s else 0.0


@dataclass(frozen=True)
class Figures:
    database: str
    clients: int
    seconds: float
    requests: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rps: float
    errors: int
    writes: int
    jobs_created: int
    app_read_rps: float
    bare_read_rps: float
    examples: tuple[str, ...]

    @property
    def ratio(self) -> float:
        return self.app_read_rps / self.bare_read_rps if self.bare_read_rps else 0.0


@dataclass
class World:
    """What the clients work on: ids read from the demo, one mapping per client."""

    mapping_id: int
    dataset_ids: list[int]
    own_mappings: list[int]
    rows: list[dict[str, Any]]
    extra_labels: list[str]


@dataclass
class ClientState:
    mapping_id: int
    revision: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    edits: int = 0
    sample_sets: list[str] = field(default_factory=list)
    jobs: list[int] = field(default_factory=list)


def _ontolabel() -> list[str]:
    """The ``ontolabel`` command of this interpreter's environment (what ``make run`` runs)."""
    script = Path(sys.executable).parent / "ontolabel"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ontolabel.cli.main"]


def _env(home: Path, database_url: str | None) -> dict[str, str]:
    env = {**os.environ, "ONTOLABEL_HOME": str(home)}
    env.pop("ONTOLABEL_REDIS_URL", None)
    env.pop("ONTOLABEL_DATABASE_URL", None)
    if database_url:
        env["ONTOLABEL_DATABASE_URL"] = database_url
    return env


def _wait_healthy(base: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer /api/health within 120 s")
        time.sleep(0.2)


@contextmanager
def _running(command: list[str], env: dict[str, str], what: str) -> Iterator[str]:
    """A server subprocess on a free port (``{port}`` in ``command``); yields its base URL."""
    port = _free_port()
    process = subprocess.Popen(
        [part.replace("{port}", str(port)) for part in command],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process, what)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _install_demo(env: dict[str, str]) -> None:
    """``ontolabel db upgrade`` (a new PostgreSQL database needs it), then ``ontolabel demo``."""
    for step in (["db", "upgrade"], ["demo"]):
        subprocess.run([*_ontolabel(), *step], env=env, cwd=ROOT, check=True, capture_output=True)


def _prepare(base: str, clients: int) -> World:
    """Read the demo's mapping and datasets; give each client a mapping of its own."""
    with httpx.Client(base_url=base, timeout=60) as client:
        mappings = client.get("/api/mappings").json()["items"]
        mapping = next(m for m in mappings if m["name"].startswith("demo-citylike"))
        detail = client.get(f"/api/mappings/{mapping['id']}").json()
        rows = detail["head"]["rows"]
        extra = client.get(f"/api/taxonomies/{mapping['extra_taxonomy_id']}").json()
        source = client.get(f"/api/taxonomies/{mapping['source_taxonomy_id']}").json()
        datasets = [d["id"] for d in client.get("/api/datasets").json()["items"]]
        own = []
        for i in range(clients):
            response = client.post(
                "/api/mappings",
                json={
                    "name": f"load-{i}",
                    "extra_taxonomy": extra["name"],
                    "source_taxonomy": source["name"],
                    "message": "load bench",
                    "rows": rows,
                },
            )
            response.raise_for_status()
            own.append(response.json()["id"])
    labels = [c["name"] for c in extra["classes"]]
    return World(mapping["id"], datasets, own, rows, labels)


async def _timed(
    tally: Tally, op: str, request: Awaitable[httpx.Response], *expected: int
) -> httpx.Response | None:
    """Send ``request``; record its latency, or an error if the status is not ``expected``."""
    start = time.perf_counter()
    try:
        response = await request
    except httpx.HTTPError as exc:
        tally.fail(op, f"{type(exc).__name__}: {exc}")
        return None
    tally.add(op, time.perf_counter() - start)
    if response.status_code not in expected:
        tally.fail(op, f"{response.status_code} {response.text[:160]}")
        return None
    return response


async def _edit(client: httpx.AsyncClient, tally: Tally, state: ClientState, world: World) -> None:
    """Change one cell of the client's own mapping on the revision it holds."""
    rows = state.rows or [dict(r) for r in world.rows]
    row = rows[state.edits % len(rows)]
    choices = [label for label in world.extra_labels if label not in row["extra_labels"]]
    row["extra_labels"] = [random.choice(choices)]
    body = {"base_revision": state.revision, "message": f"edit {state.edits}", "rows": rows}
    url = f"/api/mappings/{state.mapping_id}"
    response = await _timed(tally, "mapping edit", client.put(url, json=body), 200)
    if response is not None:
        state.revision = response.json()["head_revision"]
        state.rows = rows
        state.edits += 1


async def _double_post_job(
    client: httpx.AsyncClient, tally: Tally, state: ClientState, world: World, n: int
) -> None:
    """One index job posted twice at once under one key: both answers name one job."""
    key = f"load-{n}-{uuid.uuid4().hex}"
    dataset_id = world.dataset_ids[n % len(world.dataset_ids)]
    body = {"kind": "index", "params": {"dataset_id": dataset_id}}

    def post() -> Awaitable[httpx.Response]:
        return client.post("/api/jobs", json=body, headers={"Idempotency-Key": key})

    answers = await asyncio.gather(
        _timed(tally, "job create", post(), 200, 201), _timed(tally, "job create", post(), 200, 201)
    )
    ids = {a.json()["id"] for a in answers if a is not None}
    if len(ids) > 1:
        tally.fail("job create", f"one Idempotency-Key made jobs {sorted(ids)}")
    state.jobs.extend(ids)


async def _client_loop(
    base: str, n: int, world: World, tally: Tally, deadline: float, states: list[ClientState]
) -> None:
    state = ClientState(mapping_id=world.own_mappings[n], revision=1)
    states.append(state)
    rng = random.Random(n)
    ops, weights = list(MIX), list(MIX.values())
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S, limits=limits) as c:
        if n % JOB_CLIENT_EVERY == 0:
            await _double_post_job(c, tally, state, world, n)
        while time.monotonic() < deadline:
            op = rng.choices(ops, weights)[0]
            dataset = world.dataset_ids[rng.randrange(len(world.dataset_ids))]
            if op == "mapping read":
                await _timed(tally, op, c.get(f"/api/mappings/{world.mapping_id}"), 200)
            elif op == "taxonomy list":
                await _timed(tally, op, c.get("/api/taxonomies"), 200)
            elif op == "frames query":
                params = {"every": rng.randint(1, 5), "limit": 50, "offset": rng.randint(0, 20)}
                url = f"/api/datasets/{dataset}/frames"
                await _timed(tally, op, c.get(url, params=params), 200)
            elif op == "job list":
                await _timed(tally, op, c.get("/api/jobs", params={"limit": 20}), 200)
            elif op == "mapping edit":
                await _edit(c, tally, state, world)
            else:
                name = f"load-{n}-{len(state.sample_sets)}"
                body = {"name": name, "rule": {"every": rng.randint(1, 9), "seed": n}}
                url = f"/api/datasets/{dataset}/sample-sets"
                if await _timed(tally, op, c.post(url, json=body), 201) is not None:
                    state.sample_sets.append(f"{dataset}/{name}")


async def _mixed(base: str, clients: int, seconds: float, world: World) -> tuple[Tally, list[Any]]:
    tally, states = Tally(), []
    deadline = time.monotonic() + seconds
    started = time.perf_counter()
    await asyncio.gather(
        *(_client_loop(base, n, world, tally, deadline, states) for n in range(clients))
    )
    tally.elapsed_s = time.perf_counter() - started
    return tally, states


async def _reads(base: str, path: str, clients: int, seconds: float) -> Tally:
    """Every client reads ``path`` in a loop: the same client code for app and bare server."""
    tally = Tally()
    deadline = time.monotonic() + seconds

    async def loop() -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S, limits=limits) as c:
            while time.monotonic() < deadline:
                await _timed(tally, "mapping read", c.get(path), 200)

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(clients)))
    tally.elapsed_s = time.perf_counter() - started
    return tally


def _verify(base: str, world: World, states: list[ClientState], tally: Tally) -> None:
    """Every write that answered 2xx is stored: revisions, sample sets, one job per key."""
    # The server may still be answering requests of clients that gave up: wait for it.
    with httpx.Client(base_url=base, timeout=600) as client:
        for state in states:
            head = client.get(f"/api/mappings/{state.mapping_id}").json()["head_revision"]
            if head != 1 + state.edits:
                tally.fail("verify", f"mapping {state.mapping_id} at {head}, {state.edits} edits")
        stored = set()
        for dataset in world.dataset_ids:
            items = client.get(f"/api/datasets/{dataset}/sample-sets").json()["items"]
            stored |= {f"{dataset}/{s['name']}" for s in items}
        missing = {s for state in states for s in state.sample_sets} - stored
        if missing:
            tally.fail("verify", f"{len(missing)} sample sets answered 201 but are not stored")


def _bare_server_command(payload: Path) -> list[str]:
    return [sys.executable, "-m", "bench.bench_load", "--bare", str(payload), "--port", "{port}"]


def serve_bare(payload: Path, port: int) -> None:
    """A bare ASGI app: ``/api/health`` and every other path answer ``payload``'s bytes."""
    import uvicorn

    body = payload.read_bytes()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _quantile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def run_database(
    name: str, database_url: str | None, clients: int, seconds: float, home: Path
) -> Figures:
    """Demo, server, mixed load, check, then the read phase against app and bare server."""
    env = _env(home, database_url)
    _install_demo(env)
    command = [*_ontolabel(), "serve", "--host", "127.0.0.1", "--port", "{port}"]
    with _running(command, env, "ontolabel serve") as base:
        world = _prepare(base, clients)
        print(f"[{name}] {clients} clients, {seconds:.0f} s of mixed load ...", flush=True)
        tally, states = asyncio.run(_mixed(base, clients, seconds, world))
        _verify(base, world, states, tally)
        path = f"/api/mappings/{world.mapping_id}"
        payload = home / "mapping.json"
        payload.write_bytes(httpx.get(base + path, timeout=30).content)
        app_reads = asyncio.run(_reads(base, path, clients, READ_PHASE_S))
    with _running(_bare_server_command(payload), os.environ.copy(), "bare server") as bare:
        bare_reads = asyncio.run(_reads(bare, path, clients, READ_PHASE_S))
    latencies = tally.all_latencies
    writes = sum(len(tally.latencies.get(op, [])) for op in ("mapping edit", "sample-set create"))
    errors = sum(tally.errors.values()) + sum(app_reads.errors.values())
    return Figures(
        database=name,
        clients=clients,
        seconds=tally.elapsed_s,
        requests=len(latencies),
        p50_ms=_quantile(latencies, 50),
        p95_ms=_quantile(latencies, 95),
        p99_ms=_quantile(latencies, 99),
        max_ms=max(latencies, default=0) * 1000,
        rps=tally.rate(),
        errors=errors,
        writes=writes,
        jobs_created=len({j for s in states for j in s.jobs}),
        app_read_rps=app_reads.rate(),
        bare_read_rps=bare_reads.rate(),
        examples=tuple(tally.examples + app_reads.examples),
    )


def _write_section(figures: list[Figures], skipped: list[str]) -> None:
    """Replace the generated part of ``## Load``; notes under its mark are kept."""
    lines = [
        SECTION,
        "",
        "`bench/bench_load.py` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs shared by the server "
        f"and the clients (load average {os.getloadavg()[0]:.1f} when done): `ontolabel demo`, "
        "then `ontolabel serve` as `make run` starts it (one process), then each client "
        "(asyncio, own keep-alive connection) loops over mapping reads, taxonomy lists, "
        "frame queries, job lists, cell edits of its own mapping and sample-set creates; "
        "every tenth posts one index job twice under one `Idempotency-Key`. *read ratio*: "
        f"the same clients reading the mapping alone for {READ_PHASE_S:.0f} s, app against a "
        "bare uvicorn endpoint serving the same bytes from memory.",
        "",
        "| database | clients | s | requests | p50 ms | p95 ms | p99 ms | max ms | req/s "
        "| writes | jobs | errors | read req/s app | bare | read ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {f.database} | {f.clients} | {f.seconds:.0f} | {f.requests} | {f.p50_ms:.0f} "
            f"| {f.p95_ms:.0f} | {f.p99_ms:.0f} | {f.max_ms:.0f} | {f.rps:.0f} | {f.writes} "
            f"| {f.jobs_created} | {f.errors} | {f.app_read_rps:.0f} | {f.bare_read_rps:.0f} "
            f"| {f.ratio:.2f} |"
            for f in figures
        ),
        *(f"\n{reason}" for reason in skipped),
        "",
        NOTES_MARK,
        "",
    ]
    existing = PERFORMANCE_MD.read_text() if PERFORMANCE_MD.exists() else "# Performance\n"
    head, found, rest = existing.partition(SECTION + "\n")
    if not found:
        PERFORMANCE_MD.write_text(existing.rstrip("\n") + "\n\n" + "\n".join(lines))
        return
    following = rest.find("\n## ")
    body, tail = (rest[:following], rest[following + 1 :]) if following >= 0 else (rest, "")
    notes = body.partition(NOTES_MARK)[2].strip()
    section = "\n".join(lines) + (f"{notes}\n" if notes else "")
    PERFORMANCE_MD.write_text(head + section + ("\n" + tail if tail else ""))


def main(argv: list[str] | None = None) -> None:
    """Run the load on each database; print, record, and exit 1 on any error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL server to create a fresh database on (default: the local test server)",
    )
    parser.add_argument("--databases", default="sqlite,postgresql", help="Which to run.")
    parser.add_argument("--no-write", action="store_true", help="Do not touch docs/performance.md.")
    parser.add_argument("--bare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args([] if argv is None else argv)
    if args.bare is not None:
        serve_bare(args.bare, args.port)
        return
    wanted = {d.strip().lower() for d in args.databases.split(",")}
    figures: list[Figures] = []
    skipped: list[str] = []
    if "sqlite" in wanted:
        with tempfile.TemporaryDirectory(prefix="ontolabel-load-") as tmp:
            figures.append(run_database("SQLite", None, args.clients, args.seconds, Path(tmp)))
            _print(figures[-1])
    if "postgresql" in wanted:
        admin_url = args.database_url or PG_ADMIN_URL
        try:
            create_engine(admin_url).connect().close()
        except Exception as exc:  # PostgreSQL absent: say so, keep the SQLite figures
            skipped.append(f"PostgreSQL skipped: {str(exc).splitlines()[0]}")
        else:
            with (
                fresh_postgres(admin_url) as url,
                tempfile.TemporaryDirectory(prefix="ontolabel-load-") as tmp,
            ):
                figures.append(
                    run_database("PostgreSQL", url, args.clients, args.seconds, Path(tmp))
                )
                _print(figures[-1])
    for reason in skipped:
        print(reason)
    if not args.no_write:
        _write_section(figures, skipped)
    if any(f.errors for f in figures):
        raise SystemExit(1)


def _print(f: Figures) -> None:
    print(
        f"load [{f.database}]: {f.clients} clients, {f.seconds:.0f} s, {f.requests} requests "
        f"({f.writes} writes, {f.jobs_created} jobs): p50 {f.p50_ms:.0f} ms, p95 "
        f"{f.p95_ms:.0f} ms, p99 {f.p99_ms:.0f} ms, max {f.max_ms:.0f} ms, {f.rps:.0f} req/s, "
        f"{f.errors} errors; mapping reads {f.app_read_rps:.0f} req/s vs bare "
        f"{f.bare_read_rps:.0f} (ratio {f.ratio:.2f})",
        flush=True,
    )
    for example in f.examples:
        print(f"  error: {example}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
