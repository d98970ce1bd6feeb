"""The training loop: early stopping, the fine-tune, resume, the best model on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from ontolabel_worker.ml.models import ModelSpec, load_model
from ontolabel_worker.ml.training.data import TrainSource
from ontolabel_worker.ml.training.loop import train
from ontolabel_worker.ml.training.run import EpochMetrics, TrainHooks, TrainResult
from safetensors.torch import load_file

from .conftest import NAMES, colour_frames, run_of


class Recorder(TrainHooks):
    """Hooks that keep what they hear; cancels once ``cancel_after`` steps are done."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.steps: list[tuple[int, int, float, float]] = []
        self.epochs: list[EpochMetrics] = []
        self.messages: list[str] = []
        super().__init__(
            on_step=lambda *args: self.steps.append(args),
            on_epoch=self.epochs.append,
            log=self.messages.append,
            is_cancelled=lambda: cancel_after is not None and len(self.steps) >= cancel_after,
        )


def test_no_gain_for_patience_epochs_stops_then_the_source_alone_is_fine_tuned(
    tmp_path: Path,
) -> None:
    # given a source and an extra dataset, and a validation set of per-pixel noise that a
    # model training at a negligible rate does not get better on
    source = TrainSource("src", colour_frames(tmp_path / "src", 4))
    extra = TrainSource("extra", colour_frames(tmp_path / "extra", 4, seed=1))
    noise = colour_frames(tmp_path / "val", 2, seed=2, noise=True)
    run = run_of(
        tmp_path / "out", [source, extra], [("src-val", noise)],
        epochs=30, patience=2, fine_tune_epochs=2,
        optim={"lr": 1e-9, "weight_decay": 0.0},
    )  # fmt: skip
    hooks = Recorder()
    # when it trains
    result = train(run, hooks)
    # then the training phase ends at the first epoch that follows `patience` epochs
    # without a gain, long before its 30 epochs
    trained = [m for m in result.history if m.phase == "train"]
    gains = [m.improved for m in trained]
    assert gains[0] and gains[-2:] == [False, False] and len(trained) < 30
    assert not any(gains[i : i + 2] == [False, False] for i in range(len(gains) - 2))
    # and then two fine-tune epochs follow, at a tenth of the rate, on source frames only
    tuned = [m for m in result.history if m.phase == "fine_tune"]
    assert [m.epoch for m in tuned] == [len(trained) + 1, len(trained) + 2]
    assert [m.lrs["decoder"] for m in trained] == pytest.approx([1e-9] * len(trained))
    assert [m.lrs["decoder"] for m in tuned] == pytest.approx([1e-10, 1e-10])
    assert all(m.draws == {"src": 4, "extra": 0} for m in tuned)
    assert all(m.draws["extra"] > 0 for m in trained)
    # and the caller heard every epoch and step, and the result adds them up
    assert hooks.epochs == result.history
    assert result.status == "finished" and result.epochs == len(trained) + 2
    assert [s[0] for s in hooks.steps] == list(range(1, result.steps + 1))
    assert result.best_fitness == max(m.fitness for m in result.history if m.fitness is not None)


def _weights(result: TrainResult) -> dict[str, torch.Tensor]:
    assert result.best_dir is not None
    return load_file(result.best_dir / "model.safetensors")


@pytest.mark.parametrize("num_workers", [0, 1])
def test_a_cancelled_run_resumes_where_it_stopped_and_ends_as_an_uninterrupted_one(
    tmp_path: Path, num_workers: int
) -> None:
    # given a run of 3 epochs x 2 steps (no validation: the train loss picks the best)
    sources = [TrainSource("src", colour_frames(tmp_path / "src", 8))]

    def run_in(name: str) -> object:
        return run_of(tmp_path / name, sources, epochs=3, num_workers=num_workers)

    whole = train(run_in("whole"))  # type: ignore[arg-type]
    # when the same run is cancelled after 3 steps (mid-epoch 2), then started again
    first = Recorder(cancel_after=3)
    stopped = train(run_in("resumed"), first)  # type: ignore[arg-type]
    second = Recorder()
    resumed = train(run_in("resumed"), second)  # type: ignore[arg-type]
    # then the first part stopped at step 3 with a checkpoint, and the second went on from
    # step 4 in epoch 2
    assert (stopped.status, stopped.steps, stopped.epochs) == ("cancelled", 3, 1)
    assert "resuming at step 3 (epoch 2, train)" in second.messages[0]
    assert [s[0] for s in second.steps] == [4, 5, 6]
    assert [m.epoch for m in second.epochs] == [2, 3]
    # and it ends with the uninterrupted run's figures and weights, exactly
    assert (resumed.status, resumed.steps, resumed.epochs) == ("finished", 6, 3)
    assert [m.loss for m in resumed.history] == [m.loss for m in whole.history]
    assert [m.improved for m in resumed.history] == [m.improved for m in whole.history]
    mine, theirs = _weights(resumed), _weights(whole)
    assert mine.keys() == theirs.keys()
    assert all(torch.equal(mine[k], theirs[k]) for k in mine)


def test_a_finished_run_started_again_returns_its_result_without_training(tmp_path: Path) -> None:
    # given a finished run
    run = run_of(tmp_path / "out", [TrainSource("src", colour_frames(tmp_path / "src", 4))])
    done = train(run)
    # when it is started again (a redelivered job)
    hooks = Recorder()
    again = train(run, hooks)
    # then nothing trains and the result is the same
    assert hooks.steps == [] and again == done


def test_the_best_model_loads_with_from_pretrained_and_names_the_taxonomys_classes(
    tmp_path: Path,
) -> None:
    # given a finished run with a validation set
    src = colour_frames(tmp_path / "src", 4)
    run = run_of(tmp_path / "out", [TrainSource("src", src)], [("src-val", src[:2])])
    result = train(run)
    # when its best folder is loaded as any Hugging Face model, and as a teacher
    from transformers import AutoModelForSemanticSegmentation

    assert result.best_dir == tmp_path / "out" / "best"
    network = AutoModelForSemanticSegmentation.from_pretrained(result.best_dir)
    teacher = load_model(ModelSpec("ontolabel", str(result.best_dir)), source_names=NAMES)
    # then it names the taxonomy's classes, and records the epoch it was saved at
    assert network.config.id2label == dict(enumerate(NAMES))
    assert teacher.class_names == NAMES
    record = json.loads((result.best_dir / "ontolabel_training.json").read_text())
    best = max((m for m in result.history if m.improved), key=lambda m: m.epoch)
    assert record["epoch"]["epoch"] == best.epoch
    assert record["epoch"]["fitness"] == pytest.approx(result.best_fitness)


def test_max_seconds_ends_the_run_as_finished_with_its_last_epoch_scored(tmp_path: Path) -> None:
    # given a run of 1000 epochs of 8 steps with a budget of two seconds
    src = colour_frames(tmp_path / "src", 16)
    run = run_of(
        tmp_path / "out", [TrainSource("src", src)], [("src-val", src[:1])],
        epochs=1000, batch_size=2, max_seconds=2.0, fine_tune_epochs=3,
    )  # fmt: skip
    # when it trains
    result = train(run)
    # then it finishes early, its last (maybe partial) epoch scored, with no fine-tune
    assert result.status == "finished" and 0 < result.steps < 8000
    assert result.history[-1].steps == result.steps
    assert result.history[-1].fitness is not None and result.best_dir is not None
    assert {m.phase for m in result.history} == {"train"}


def test_tensorboard_gets_the_loss_rates_and_validation_curves(tmp_path: Path) -> None:
    # given a run of 3 epochs x 4 steps with a validation set
    src = colour_frames(tmp_path / "src", 16)
    run = run_of(tmp_path / "out", [TrainSource("src", src)], [("src-val", src[:2])], epochs=3)
    # when it trains
    train(run)
    # then its event file holds the loss every 10 steps and the per-epoch curves
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path / "out" / "tensorboard"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"train/loss", "lr/decoder", "val/src-val/miou", "val/fitness"} <= tags
    assert {f"val/src-val/class_iou/{name}" for name in NAMES} & tags
    assert [e.step for e in events.Scalars("train/loss")] == [10]
    assert [e.step for e in events.Scalars("val/fitness")] == [4, 8, 12]
