"""A run's steps become the job's progress: held back between flushes, never past the plan."""

from __future__ import annotations

from pathlib import Path

from datasets.factories import create_taxonomy
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass
from ontolabel.jobs import service as job_service
from ontolabel.jobs.runner import JobRunContext, new_owner
from ontolabel.jobs.train_params import TrainParams
from ontolabel_worker.kinds.train_progress import JobTrainHooks
from sqlalchemy.orm import Session, sessionmaker


def _context(settings: Settings, factory: sessionmaker[Session]) -> JobRunContext:
    folder = Path(settings.data_roots)
    taxonomy_id = create_taxonomy(factory, Taxonomy("t", (TaxonomyClass(0, "road"),)))
    with session_scope(factory) as session:
        params = TrainParams.model_validate(
            {"taxonomy_id": taxonomy_id, "steps": 10, "model": {"preset": "segformer-nano"},
             "data": [{"images_dir": str(folder), "labels_dir": str(folder)}]}
        )  # fmt: skip
        job_id = job_service.create_job(session, settings, params, "t").id
    return JobRunContext(settings, factory, job_id, new_owner())


def _done(ctx: JobRunContext) -> int:
    with ctx.session_factory() as session:
        return job_service.get_job(session, ctx.job_id).done


def test_steps_are_counted_in_batches_and_never_past_the_planned_total(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given a run's hooks on a job of 10 planned steps
    ctx = _context(settings, session_factory)
    hooks = JobTrainHooks(ctx, total_steps=10)
    # when steps come faster than the flush interval
    for step in range(1, 5):
        hooks.on_step(step, 10, 0.5, 1e-4)
    # then the first is counted at once and the rest wait for a flush
    assert _done(ctx) == 1
    hooks.close()
    assert _done(ctx) == 4
    # and a run that goes past the plan (an estimate) stops the count at its total
    hooks.reached(14)
    assert _done(ctx) == 10 and hooks.eta(hooks.started + 1) == 0
