"""A small job kind for the job-system tests: a real kind, not a mock.

``test_writer`` writes one file per unit (atomically: temp file + ``os.replace``),
skips units already written, sleeps a little per unit, honours cancel between units,
and appends one line per completed write to ``writes.log`` so tests can prove no
unit was written twice. Params: ``units``, ``per_chunk``, ``sleep_s``,
``bad_units`` (per-frame errors), ``raise_in_chunks`` (chunks that always raise),
``die_in_chunks`` (chunks that SIGKILL their own process: real workers only),
``invalid_in_chunks`` (chunks that raise a domain error: no retry).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from ontolabel.errors import InvalidInput
from ontolabel.jobs.kinds import JobContext, JobKind, Plan, register
from ontolabel.jobs.params import JobParams
from pydantic import BaseModel, Field

KIND = "test_writer"


class WriterParams(JobParams):
    kind = KIND

    units: int = Field(ge=0)
    per_chunk: int = Field(default=4, ge=1)
    sleep_s: float = 0.0
    bad_units: list[int] = []
    raise_in_chunks: list[int] = []
    die_in_chunks: list[int] = []
    invalid_in_chunks: list[int] = []


class WriterChunk(BaseModel):
    start: int
    stop: int
    sleep_s: float
    bad_units: list[int]
    raises: bool
    dies: bool
    invalid: bool


def unit_path(output_dir: Path, unit: int) -> Path:
    return output_dir / f"unit_{unit:04d}.txt"


def unit_body(unit: int) -> str:
    """Deterministic, large enough that a torn write would show."""
    payload = f"unit {unit}\n" * 2000
    return f"{payload}sha256 {hashlib.sha256(payload.encode()).hexdigest()}\n"


def unit_is_valid(path: Path, unit: int) -> bool:
    return path.is_file() and path.read_text() == unit_body(unit)


def _plan(ctx: JobContext, params: WriterParams) -> Plan[WriterChunk]:
    units, per_chunk = params.units, params.per_chunk
    chunks = [
        WriterChunk(
            start=start,
            stop=min(start + per_chunk, units),
            sleep_s=params.sleep_s,
            bad_units=params.bad_units,
            raises=i in params.raise_in_chunks,
            dies=i in params.die_in_chunks,
            invalid=i in params.invalid_in_chunks,
        )
        for i, start in enumerate(range(0, units, per_chunk))
    ]
    ctx.log(f"writing {units} units in {len(chunks)} chunks")
    return Plan(chunks=chunks, total=units)


def _run_chunk(ctx: JobContext, chunk: WriterChunk) -> None:
    if chunk.dies:  # the process dies as if OOM-killed (only under a real worker)
        os.kill(os.getpid(), signal.SIGKILL)
    if chunk.invalid:
        raise InvalidInput("frame folder is gone (test)", field="images_dir")
    if chunk.raises:
        raise RuntimeError(f"chunk starting at unit {chunk.start} always fails")
    out = ctx.output_dir
    for unit in range(chunk.start, chunk.stop):
        if ctx.is_cancelled():
            return
        path = unit_path(out, unit)
        if unit in chunk.bad_units:
            ctx.frame_error(f"frame_{unit:04d}", "unreadable image (test)")
        elif not unit_is_valid(path, unit):
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(unit_body(unit))
            time.sleep(chunk.sleep_s)
            os.replace(tmp, path)
            with open(out / "writes.log", "a") as log:
                log.write(f"{unit} {os.getpid()}\n")
        ctx.advance(1)


def _finish(ctx: JobContext, params: WriterParams) -> dict[str, Any]:
    units = sorted(p.name for p in ctx.output_dir.glob("unit_*.txt"))
    manifest = ctx.output_dir / "manifest.json"
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps({"units": units}))
    os.replace(tmp, manifest)
    ctx.log(f"manifest lists {len(units)} units")
    return {"manifest": str(manifest), "units": len(units)}


WRITER = register(
    JobKind(
        queue="cpu",
        params=WriterParams,
        chunk=WriterChunk,
        plan=_plan,
        run_chunk=_run_chunk,
        finish=_finish,
    )
)
