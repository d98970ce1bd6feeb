"""The contract between the job system and the work it runs.

A *job kind* (``index``, ``preview``, ``pseudo_label``, ``train``, ``evaluate``,
``suggest``) is
plain code over two typed contracts: its parameters (a ``JobParams`` model from
``ontolabel.jobs.params``, ``train_params`` for ``train``, validated when the job is
created and again before each step) and its chunk model. ``plan`` splits the
parameters into chunks (a few minutes of work each), ``run_chunk`` does one chunk
idempotently, and the optional ``finish`` runs once after the last chunk (e.g. to write
a manifest). The job system (Celery on Redis, or the in-process runner) owns delivery, leases,
retries, cancellation and progress bookkeeping; kinds never touch Celery.

A chunk may run more than once (a killed worker's chunk is redelivered), so
``run_chunk`` skips units whose output exists and is complete, writes each file to
a temporary name in the same folder and ``os.replace``s it, and raises only for
errors that should retry the whole chunk (a bad frame is ``ctx.frame_error``; an
``ontolabel.errors`` error, e.g. ``InvalidInput``, fails the job at once, unretried).
The job system's lease ensures two live copies of one chunk never run at once.

Kinds that need torch live in the worker package and register when it is imported,
so the API process, which only creates job rows, never imports torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from ontolabel.core.config import Settings
from ontolabel.jobs.params import (
    EvaluateParams,
    IndexParams,
    JobParams,
    PreviewParams,
    PseudoLabelParams,
    SuggestParams,
)
from ontolabel.jobs.train_params import TrainParams

JSON = dict[str, Any]

PRODUCT_PARAMS: tuple[type[JobParams], ...] = (
    IndexParams,
    PreviewParams,
    PseudoLabelParams,
    EvaluateParams,
    TrainParams,
    SuggestParams,
)
"""The product's kinds, in the order the API documents them."""


class JobContext(Protocol):
    """What a kind's code may use while it runs on a worker."""

    job_id: int
    settings: Settings
    session_factory: sessionmaker[Session]
    inline: bool
    """True when this process runs the whole job itself, one step after another (the inline
    runner: plan, each chunk in turn, finish); False under Celery, where any worker may take
    the next step. Work started early for the next step is only worth it inline."""

    @property
    def output_dir(self) -> Path:
        """``<output root>/<job id>``: where this job's files go (created on demand)."""
        ...

    def log(self, message: str, level: str = "info") -> None:
        """Append a line to the job's log (streamed to clients)."""
        ...

    def advance(self, done: int = 1) -> None:
        """Count ``done`` more units (frames) as finished; drives job progress.

        Count every unit of the chunk, also those skipped because their output
        already exists: a redelivered chunk's count restarts from zero.
        """
        ...

    def frame_error(self, frame: str, message: str) -> None:
        """Record a per-frame error (frame key or relative path); the job goes on."""
        ...

    def next_chunk(self) -> JSON | None:
        """The stored JSON of the chunk this process runs right after this one, if known.

        The inline runner runs a job's chunks one after another and knows; under Celery
        any worker may get the next chunk, so it is None there (and in plan and finish:
        a plan knows its first chunk, and ``inline`` says whether it runs next here).
        Work started for it now is not wasted: e.g. reads queued behind this chunk's keep
        a process pool busy across the change of chunk.
        """
        ...

    def is_cancelled(self) -> bool:
        """True once the job was cancelled or failed, this copy lost its lease, or the
        process is shutting down; check between frames and then just return (no raise):
        the job system decides what becomes of the chunk."""
        ...


@dataclass(frozen=True)
class JobEnding:
    """How a job ended without ``finish``: cancelled or failed, and how far it got."""

    status: str
    error: str | None
    done: int
    total: int


P = TypeVar("P", bound=JobParams)
C = TypeVar("C", bound=BaseModel)


@dataclass(frozen=True)
class Plan(Generic[C]):
    """What ``plan`` returns: the chunks (stored as their JSON) and the total unit count."""

    chunks: Sequence[C]
    total: int


@dataclass(frozen=True)
class JobKind(Generic[P, C]):
    """A kind's code and its two contracts; its name is its parameter model's ``kind``."""

    queue: Literal["cpu", "gpu"]
    params: type[P]
    chunk: type[C]
    plan: Callable[[JobContext, P], Plan[C]]
    run_chunk: Callable[[JobContext, C], None]
    finish: Callable[[JobContext, P], JSON] | None = None
    """Returns the job's outputs (stored on the job row)."""
    on_end: Callable[[JobContext, P, JobEnding], None] | None = None
    """Runs once when the job is cancelled or fails after it started: mark its outputs
    partial (e.g. a manifest saying so), so the folder cannot pass for a finished one."""

    @property
    def name(self) -> str:
        return self.params.kind


_REGISTRY: dict[str, JobKind[Any, Any]] = {}
_PLUGIN_PARAMS: dict[str, type[JobParams]] = {}


def register(kind: JobKind[P, C]) -> JobKind[P, C]:
    _REGISTRY[kind.name] = kind
    if kind.params not in PRODUCT_PARAMS:
        _PLUGIN_PARAMS[kind.name] = kind.params
    return kind


def registered_kind_names() -> list[str]:
    """Kinds registered in this process so far (the API process sees no torch kinds)."""
    return sorted(_REGISTRY)


def params_models() -> list[type[JobParams]]:
    """The parameter models a job may be created with: the product's kinds, whose models
    the API knows without importing their code, plus kinds registered here (plugins)."""
    return [*PRODUCT_PARAMS, *(_PLUGIN_PARAMS[name] for name in sorted(_PLUGIN_PARAMS))]


def params_model(kind: str) -> type[JobParams] | None:
    return next((m for m in params_models() if m.kind == kind), None)


# Where each product kind registers, so a worker imports only what a job needs: an
# ``index`` job must not pay for importing torch.
KIND_MODULES = {
    "index": "ontolabel.datasets.indexing",
    "preview": "ontolabel_worker.kinds.preview",
    "pseudo_label": "ontolabel_worker.kinds.pseudo_label",
    "evaluate": "ontolabel_worker.kinds.evaluate",
    "train": "ontolabel_worker.kinds.train",
    "suggest": "ontolabel_worker.kinds.suggest",
}


def get_kind(name: str) -> JobKind[Any, Any]:
    """The kind named ``name``, importing the module that registers it on first use."""
    if name not in _REGISTRY and name in KIND_MODULES:
        _import_if_present(KIND_MODULES[name])
    if name not in _REGISTRY:
        load_all_kinds()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown job kind {name!r}; known: {sorted(_REGISTRY)}") from None


def import_kind_modules(modules: str) -> None:
    """Import the comma-separated plugin modules (``Settings.extra_kind_modules``)."""
    for module in filter(None, (m.strip() for m in modules.split(","))):
        importlib.import_module(module)


def load_all_kinds() -> None:
    """Import every module that registers kinds (worker side only: pulls in torch)."""
    for module in dict.fromkeys(KIND_MODULES.values()):
        _import_if_present(module)


def _import_if_present(module: str) -> None:
    """Import ``module``; a missing one (no worker package here) is not an error."""
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
