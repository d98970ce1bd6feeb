"""A small job kind for the jobs screens: a real kind on the real in-process runner.

``ui_demo`` logs one line per unit, sleeps ``sleep_s`` per unit (so a test can watch it
run and cancel it), and records a per-frame error for each of ``bad_units``.
"""

from __future__ import annotations

import time
from typing import Any

from ontolabel.jobs.kinds import JobContext, JobKind, Plan, register
from ontolabel.jobs.params import JobParams

KIND = "ui_demo"


class UiDemoParams(JobParams):
    kind = KIND

    units: int = 5
    sleep_s: float = 0.0
    bad_units: list[int] = []


def _plan(ctx: JobContext, params: UiDemoParams) -> Plan[UiDemoParams]:
    ctx.log(f"planning {params.units} frames")
    return Plan(chunks=[params], total=params.units)


def _run_chunk(ctx: JobContext, chunk: UiDemoParams) -> None:
    for unit in range(chunk.units):
        if ctx.is_cancelled():
            return
        time.sleep(chunk.sleep_s)
        if unit in chunk.bad_units:
            ctx.frame_error(f"seq01/frame_{unit:04d}.png", "label PNG is truncated")
        else:
            ctx.log(f"frame {unit} done")
        ctx.advance(1)


def _finish(ctx: JobContext, params: UiDemoParams) -> dict[str, Any]:
    ctx.log("all frames done")
    return {"frames": params.units}


register(
    JobKind(
        queue="cpu",
        params=UiDemoParams,
        chunk=UiDemoParams,
        plan=_plan,
        run_chunk=_run_chunk,
        finish=_finish,
    )
)
