"""The schedule stepped every optimiser step, and the step budget."""

from __future__ import annotations

import pytest
from ontolabel.jobs.train_params import OptimSettings
from ontolabel_worker.ml.training.optim import plan_steps, schedule_factor

from .conftest import params


def test_warm_up_then_multistep_at_fractions_of_all_steps() -> None:
    # given the paper's schedule over 100 steps, 10 of them warm-up
    factor = schedule_factor(OptimSettings(), total_steps=100, warmup_steps=10, base_lr=1e-4)
    # then the rate climbs linearly to the full rate, then drops by 10x at 90 % and 95 %
    assert [factor(s) for s in (0, 4, 9)] == pytest.approx([0.1, 0.5, 1.0])
    assert [factor(s) for s in (10, 89, 90, 94, 95, 99)] == pytest.approx(
        [1, 1, 0.1, 0.1, 0.01, 0.01]
    )


@pytest.mark.parametrize(
    ("schedule", "middle", "end"),
    [("poly", 0.5**0.9, 0.0), ("cosine", 0.5 + 0.5 * 0.01, 0.01), ("constant", 1.0, 1.0)],
)
def test_poly_cosine_and_constant_run_from_the_warm_up_to_the_end(
    schedule: str, middle: float, end: float
) -> None:
    # given a schedule over 110 steps after 10 of warm-up (cosine ends at min_lr = 1 % of lr)
    settings = OptimSettings(schedule=schedule, min_lr=1e-6)  # type: ignore[arg-type]
    factor = schedule_factor(settings, total_steps=110, warmup_steps=10, base_lr=1e-4)
    # then half-way through the rest and at its end the rate is the schedule's
    assert factor(60) == pytest.approx(middle)
    assert factor(110) == pytest.approx(end, abs=1e-12)


def test_an_epoch_is_every_sources_frames_rounded_up_to_whole_steps() -> None:
    # given 10 + 3 frames, batch 2 on 2 processes with 2 batches accumulated (8 per step)
    run = params(epochs=5, fine_tune_epochs=3, batch_size=2, optim={"accumulation": 2})
    # when the steps are planned
    plan = plan_steps(run, [10, 3], num_processes=2)
    # then an epoch is 2 steps, the fine-tune's (source alone) 2, and all of it 10 + 6
    assert (plan.frames_per_step, plan.steps_per_epoch) == (8, 2)
    assert (plan.fine_tune_steps_per_epoch, plan.fine_tune_steps) == (2, 6)
    assert (plan.train_steps, plan.total) == (10, 16)
    # and a budget in steps is kept as given
    assert plan_steps(params(epochs=None, steps=7), [10, 3], 1).train_steps == 7
