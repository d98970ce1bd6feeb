"""Training in several processes, started by the worker and watched from it.

The parent (the job, in the worker) writes the run to ``out_dir/run.json`` and starts
``torchrun --nproc_per_node N -m ontolabel_worker.ml.training.launch RUN.json`` as a child
process group (``run_in_processes``); ``accelerate launch`` runs the same module across
machines (``docs/training.md``). Every process rebuilds the ``TrainRun`` from
the JSON and calls ``train``; the main process appends its progress to
``out_dir/progress.jsonl``, one JSON object a line, which the parent tails into its own
hooks. To cancel, the parent creates ``out_dir/cancel``: the processes save a resume
checkpoint and exit; they do the same when the parent's process disappears (a killed
worker), and the launcher dies with the parent, so no process is left holding a GPU.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ontolabel.jobs.train_params import AugmentOverrides, TrainParams

from ontolabel_worker.ml.data import FramePair
from ontolabel_worker.ml.training.data import TrainSource
from ontolabel_worker.ml.training.loop import train
from ontolabel_worker.ml.training.run import EpochMetrics, TrainHooks, TrainResult, TrainRun

PROGRESS_FILE = "progress.jsonl"
CANCEL_FILE = "cancel"
RUN_FILE = "run.json"
LOG_FILE = "launch.log"
"""The processes' stdout and stderr (a pipe could fill and block them)."""
POLL_SECONDS = 0.5
CANCEL_GRACE_SECONDS = 120.0
"""How long cancelled processes may take to save their checkpoint before they are killed."""


# --- the run as JSON --------------------------------------------------------------------


def run_to_json(run: TrainRun) -> dict[str, Any]:
    return {
        "params": run.params.model_dump(mode="json"),
        "class_names": run.class_names,
        "class_ids": run.class_ids,
        "sources": [
            {
                "name": source.name,
                "weight": source.weight,
                "augment": None if source.augment is None else source.augment.model_dump(),
                "pairs": [dataclasses.asdict(pair) for pair in source.pairs],
            }
            for source in run.sources
        ],
        "val": [
            {"name": name, "pairs": [dataclasses.asdict(pair) for pair in pairs]}
            for name, pairs in run.val
        ],
        "init_path": run.init_path,
        "out_dir": str(run.out_dir),
    }


def run_from_json(data: dict[str, Any]) -> TrainRun:
    return TrainRun(
        params=TrainParams.model_validate(data["params"]),
        class_names=list(data["class_names"]),
        class_ids=[int(i) for i in data["class_ids"]],
        sources=[
            TrainSource(
                name=source["name"],
                pairs=[FramePair(**pair) for pair in source["pairs"]],
                weight=float(source["weight"]),
                augment=None
                if source["augment"] is None
                else AugmentOverrides.model_validate(source["augment"]),
            )
            for source in data["sources"]
        ],
        val=[(v["name"], [FramePair(**pair) for pair in v["pairs"]]) for v in data["val"]],
        init_path=data["init_path"],
        out_dir=Path(data["out_dir"]),
    )


def result_to_json(result: TrainResult) -> dict[str, Any]:
    return {
        "status": result.status,
        "best_dir": None if result.best_dir is None else str(result.best_dir),
        "best_fitness": result.best_fitness,
        "epochs": result.epochs,
        "steps": result.steps,
        "history": [metrics.to_dict() for metrics in result.history],
    }


def result_from_json(data: dict[str, Any]) -> TrainResult:
    return TrainResult(
        status=data["status"],
        best_dir=None if data["best_dir"] is None else Path(data["best_dir"]),
        best_fitness=data["best_fitness"],
        epochs=data["epochs"],
        steps=data["steps"],
        history=[EpochMetrics.from_dict(m) for m in data["history"]],
    )


# --- inside each process ------------------------------------------------------------------


class ProgressFile(TrainHooks):
    """Hooks of a launched process: the main one appends its events to ``progress.jsonl``;
    every one stops when the cancel file appears or the parent process is gone."""

    def __init__(self, out_dir: Path, parent_pid: int | None) -> None:
        self.path = out_dir / PROGRESS_FILE
        self.cancel = out_dir / CANCEL_FILE
        self.parent_pid = parent_pid
        super().__init__(
            on_step=lambda step, total, loss, lr: self.write(
                {"event": "step", "step": step, "total": total, "loss": loss, "lr": lr}
            ),
            on_epoch=lambda metrics: self.write({"event": "epoch", "metrics": metrics.to_dict()}),
            log=lambda message: self.write({"event": "log", "message": message}),
            is_cancelled=self.stopped,
        )

    def write(self, event: dict[str, Any]) -> None:
        event["rank"] = int(os.environ.get("RANK", "0"))
        with self.path.open("a") as out:
            out.write(json.dumps(event) + "\n")

    def stopped(self) -> bool:
        return self.cancel.exists() or not _alive(self.parent_pid)


def _alive(pid: int | None) -> bool:
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """One training process: ``python -m ontolabel_worker.ml.training.launch RUN.json``."""
    parser = argparse.ArgumentParser(description="One process of a launched training run.")
    parser.add_argument("run", type=Path, help="The run, as run_in_processes writes it.")
    parser.add_argument("--parent", type=int, default=None, help="Stop when this pid is gone.")
    args = parser.parse_args(argv)
    run = run_from_json(json.loads(args.run.read_text()))
    hooks = ProgressFile(run.out_dir, args.parent)
    result = train(run, hooks)
    if int(os.environ.get("RANK", "0")) == 0:
        hooks.write({"event": "result", "result": result_to_json(result)})
    return 0


# --- in the parent ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def launch_command(run_file: Path, num_processes: int) -> list[str]:
    """``torchrun`` (``torch.distributed.run``) of ``num_processes`` processes here.

    ``accelerate launch`` starts several CPU processes only through MPI, and for GPUs it
    runs this same launcher; the ``Accelerator`` in each process reads torchrun's
    environment either way (gloo on CPU, NCCL on CUDA)."""
    command = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1"]
    command += ["--nproc_per_node", str(num_processes), "--master_port", str(_free_port())]
    command += ["-m", "ontolabel_worker.ml.training.launch", str(run_file)]
    return [*command, "--parent", str(os.getpid())]


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when the worker dies (Linux prctl)."""
    if sys.platform == "linux":
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class ProgressTail:
    """Reads the events appended to a progress file since the last read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as progress:
            progress.seek(self.offset)
            data = progress.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line being written waits for next time
        self.offset += len(complete)
        return [json.loads(line) for line in complete.splitlines() if line.strip()]


def _dispatch(events: list[dict[str, Any]], hooks: TrainHooks) -> TrainResult | None:
    result = None
    for event in events:
        kind = event["event"]
        if kind == "step":
            hooks.on_step(event["step"], event["total"], event["loss"], event["lr"])
        elif kind == "epoch":
            hooks.on_epoch(EpochMetrics.from_dict(event["metrics"]))
        elif kind == "log":
            hooks.log(event["message"])
        elif kind == "result":
            result = result_from_json(event["result"])
    return result


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group has already gone
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run_in_processes(
    run: TrainRun, hooks: TrainHooks, num_processes: int | None = None
) -> TrainResult:
    """``train(run)`` in ``num_processes`` processes (default ``params.num_processes``) on
    this machine, their progress fed to ``hooks``; cancelled through ``hooks.is_cancelled``.
    A process that fails is a RuntimeError quoting the end of ``launch.log``."""
    out = run.out_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / CANCEL_FILE).unlink(missing_ok=True)
    run_file = out / RUN_FILE
    run_file.write_text(json.dumps(run_to_json(run)))
    command = launch_command(run_file, num_processes or run.params.num_processes)
    tail = ProgressTail(out / PROGRESS_FILE)
    with (out / LOG_FILE).open("ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent,
        )  # fmt: skip
    result, cancelled_at = None, None
    try:
        while process.poll() is None:
            time.sleep(POLL_SECONDS)
            result = _dispatch(tail.read(), hooks) or result
            if cancelled_at is None and hooks.is_cancelled():
                (out / CANCEL_FILE).touch()
                cancelled_at = time.monotonic()
            if cancelled_at is not None and time.monotonic() - cancelled_at > CANCEL_GRACE_SECONDS:
                _kill(process)
    except BaseException:
        _kill(process)
        raise
    result = _dispatch(tail.read(), hooks) or result
    if result is None and cancelled_at is not None:  # killed after the grace period
        best = out / "best"
        return TrainResult("cancelled", best if best.is_dir() else None, None, 0, 0, [])
    if result is None:
        log_tail = (out / LOG_FILE).read_text(errors="replace")[-4000:]
        raise RuntimeError(
            f"training processes exited with {process.returncode} and no result:\n{log_tail}"
        )
    return result


if __name__ == "__main__":
    raise SystemExit(main())
