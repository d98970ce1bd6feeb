"""The optimiser in two learning-rate groups and its schedule, stepped every optimiser step;
and the step budget that both need."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from ontolabel.jobs.train_params import OptimSettings, TrainParams
from torch import nn
from torch.optim.lr_scheduler import LambdaLR

from ontolabel_worker.ml.training.student import encoder_parameters

FINE_TUNE_FACTOR = 0.1
"""The paper fine-tunes the best checkpoint on the source at a tenth of the rates."""


@dataclass(frozen=True)
class StepPlan:
    """Optimiser steps: per epoch, and planned in all (early stopping may end sooner)."""

    frames_per_step: int
    """batch size x processes x accumulation."""
    steps_per_epoch: int
    """An epoch draws as many frames as all sources hold, rounded up to whole steps."""
    train_steps: int
    fine_tune_steps_per_epoch: int
    fine_tune_steps: int

    @property
    def total(self) -> int:
        return self.train_steps + self.fine_tune_steps


def plan_steps(params: TrainParams, source_sizes: Sequence[int], num_processes: int) -> StepPlan:
    """The step budget of ``params`` over sources of ``source_sizes`` frames (the first is
    the source the fine-tune uses)."""
    per_step = params.batch_size * num_processes * params.optim.accumulation
    per_epoch = max(1, math.ceil(sum(source_sizes) / per_step))
    fine_tune_per_epoch = max(1, math.ceil(source_sizes[0] / per_step))
    train = params.steps if params.steps is not None else (params.epochs or 0) * per_epoch
    return StepPlan(
        frames_per_step=per_step,
        steps_per_epoch=per_epoch,
        train_steps=train,
        fine_tune_steps_per_epoch=fine_tune_per_epoch,
        fine_tune_steps=params.fine_tune_epochs * fine_tune_per_epoch,
    )


def build_optimizer(
    settings: OptimSettings, network: nn.Module, family: str, scale: float = 1.0
) -> torch.optim.Optimizer:
    """``settings.optimizer`` over the groups ``encoder`` (at ``encoder_lr``) and
    ``decoder`` (everything else, at ``lr``), both rates times ``scale``; an empty group
    (a model without a separate backbone) is left out."""
    encoder, rest = encoder_parameters(network, family)
    encoder_lr = settings.lr if settings.encoder_lr is None else settings.encoder_lr
    groups = [
        {"name": name, "params": params, "lr": lr * scale}
        for name, params, lr in (("encoder", encoder, encoder_lr), ("decoder", rest, settings.lr))
        if params
    ]
    decay = settings.weight_decay
    if settings.optimizer == "adamw":
        return torch.optim.AdamW(groups, weight_decay=decay)
    if settings.optimizer == "adam":
        return torch.optim.Adam(groups, weight_decay=decay)
    return torch.optim.SGD(groups, momentum=settings.momentum, weight_decay=decay)


def schedule_factor(
    settings: OptimSettings, total_steps: int, warmup_steps: int, base_lr: float
) -> Callable[[int], float]:
    """Multiplier of ``base_lr`` after ``step`` optimiser steps: linear warm-up to 1 over
    ``warmup_steps``, then the schedule over the remaining steps (multistep milestones are
    fractions of ``total_steps``)."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        if settings.schedule == "multistep":
            passed = sum(step >= m * total_steps for m in settings.milestones)
            return float(settings.gamma**passed)
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        if settings.schedule == "poly":
            return float((1 - progress) ** settings.poly_power)
        if settings.schedule == "cosine":
            floor = min(1.0, settings.min_lr / base_lr)
            return floor + (1 - floor) * (1 + math.cos(math.pi * progress)) / 2
        return 1.0

    return factor


def build_schedule(
    settings: OptimSettings,
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    warmup_steps: int,
) -> LambdaLR:
    """One ``LambdaLR`` over every group (cosine's floor is per group's rate)."""
    return LambdaLR(
        optimizer,
        [
            schedule_factor(settings, total_steps, warmup_steps, group["lr"])
            for group in optimizer.param_groups
        ],
    )


def constant_schedule(optimizer: torch.optim.Optimizer) -> LambdaLR:
    """The fine-tune's: its fresh optimiser's rates throughout."""
    return LambdaLR(optimizer, lambda step: 1.0)


def group_rates(optimizer: torch.optim.Optimizer) -> dict[str, float]:
    """The current rate of each named group."""
    return {str(group["name"]): float(group["lr"]) for group in optimizer.param_groups}
