"""Training launched as processes: the run as JSON, and a 2-process CPU run (gloo)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from ontolabel.jobs.train_params import AugmentOverrides
from ontolabel_worker.ml.training.data import TrainSource, WeightedSourceSampler
from ontolabel_worker.ml.training.launch import (
    CANCEL_FILE,
    PROGRESS_FILE,
    ProgressFile,
    ProgressTail,
    run_from_json,
    run_in_processes,
    run_to_json,
)
from ontolabel_worker.ml.training.optim import plan_steps

from .conftest import colour_frames, run_of
from .test_loop import Recorder


def test_a_run_survives_its_json(tmp_path: Path) -> None:
    # given a run with two weighted sources, one with its own augmentation, and a val set
    src = colour_frames(tmp_path / "src", 2)
    overrides = AugmentOverrides(max_crop_scale=0.5)
    extra = TrainSource("extra", src[:1], weight=0.5, augment=overrides)
    run = run_of(tmp_path / "out", [TrainSource("src", src), extra], [("val", src[1:])])
    # when it goes through JSON (as each launched process reads it)
    again = run_from_json(json.loads(json.dumps(run_to_json(run))))
    # then it is the same run
    assert again.params == run.params and again.out_dir == run.out_dir
    assert again.sources[0] == run.sources[0] and again.val == run.val
    assert again.sources[1].augment is not None and again.sources[1].augment.max_crop_scale == 0.5


def test_the_tail_reads_only_complete_new_lines(tmp_path: Path) -> None:
    # given a progress file with an old line, tailed from its end
    path = tmp_path / PROGRESS_FILE
    path.write_text('{"event": "old"}\n')
    tail = ProgressTail(path)
    # when a line and half of another are appended, then the rest
    with path.open("a") as out:
        out.write('{"event": "a"}\n{"event": ')
    first = tail.read()
    with path.open("a") as out:
        out.write('"b"}\n')
    # then each read gives the lines completed since the last one
    assert first == [{"event": "a"}] and tail.read() == [{"event": "b"}]


@pytest.mark.slow
def test_two_cpu_processes_train_disjoint_shards_and_only_the_main_one_writes(
    tmp_path: Path,
) -> None:
    # given two weighted sources and a val set, to train in two processes of batch 2
    sources = [
        TrainSource("src", colour_frames(tmp_path / "src", 6)),
        TrainSource("extra", colour_frames(tmp_path / "extra", 6, seed=1), weight=3.0),
    ]
    val = colour_frames(tmp_path / "val", 2, seed=2)
    run = run_of(tmp_path / "out", sources, [("src-val", val)], epochs=2, batch_size=2)
    hooks = Recorder()
    # when it is launched with torchrun (gloo) and watched from here
    result = run_in_processes(run, hooks, num_processes=2)
    # then it finished, and the parent heard every step once, from the main process alone
    plan = plan_steps(run.params, [6, 6], num_processes=2)
    assert result.status == "finished" and result.steps == plan.total == 6
    assert [s[0] for s in hooks.steps] == list(range(1, 7))
    events = [json.loads(line) for line in (run.out_dir / PROGRESS_FILE).read_text().splitlines()]
    assert {e["rank"] for e in events} == {0}
    assert (run.out_dir / "best" / "model.safetensors").is_file()
    assert sorted(p.name for p in run.out_dir.iterdir() if not p.name.startswith(".")) == [
        "best", "launch.log", PROGRESS_FILE, "resume", "run.json", "tensorboard",
    ]  # fmt: skip
    # and the two processes together trained on exactly the epoch's stream: each its own
    # half (had both taken the whole stream, or the same half, the counts would differ)
    for metrics in result.history:
        stream = WeightedSourceSampler([6, 6], [1.0, 3.0], plan.steps_per_epoch * 4, seed=0)
        drawn, _, _ = stream.stream(metrics.epoch)
        assert metrics.draws == {"src": int((drawn == 0).sum()), "extra": int((drawn == 1).sum())}
        halves = [np.bincount(drawn[rank::2], minlength=2) for rank in (0, 1)]
        assert metrics.draws != {"src": 2 * halves[0][0], "extra": 2 * halves[0][1]}
    assert hooks.epochs == result.history


def test_launched_processes_stop_on_the_cancel_file_or_when_the_parent_is_gone(
    tmp_path: Path,
) -> None:
    # given the hooks of a process whose parent lives, and those of one whose parent died
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    alive = ProgressFile(tmp_path, parent_pid=os.getpid())
    orphan = ProgressFile(tmp_path, parent_pid=gone.pid)
    # then only the orphan stops, until the parent creates the cancel file
    assert not alive.is_cancelled() and orphan.is_cancelled()
    (tmp_path / CANCEL_FILE).touch()
    assert alive.is_cancelled()
