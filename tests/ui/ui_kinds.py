"""A small job kind for the jobs screens: a real kind on the real in-process runner.

``ui_demo`` logs one line per unit, sleeps ``sleep_s`` per unit (so a test can watch it
run and cancel it), and records a per-frame error for each of ``bad_units``.
"""

from __future__ import annotations

import time
from typing import Any

from ontolabel.jobs.kinds import JobContext, JobKind, Plan, register

KIND = "ui_demo"


def _plan(ctx: JobContext, params: dict[str, Any]) -> Plan:
    units = int(params.get("units", 5))
    ctx.log(f"planning {units} frames")
    chunk = {"units": units, "sleep_s": float(params.get("sleep_s", 0.0)),
             "bad_units": list(params.get("bad_units", []))}  # fmt: skip
    return Plan(chunks=[chunk], total=units)


def _run_chunk(ctx: JobContext, chunk: dict[str, Any]) -> None:
    for unit in range(chunk["units"]):
        if ctx.is_cancelled():
            return
        time.sleep(chunk["sleep_s"])
        if unit in chunk["bad_units"]:
            ctx.frame_error(f"seq01/frame_{unit:04d}.png", "label PNG is truncated")
        else:
            ctx.log(f"frame {unit} done")
        ctx.advance(1)


def _finish(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    ctx.log("all frames done")
    return {"frames": int(params.get("units", 5))}


register(JobKind(name=KIND, queue="cpu", plan=_plan, run_chunk=_run_chunk, finish=_finish))
