"""Issue 13: a train job whose ``celery worker`` is SIGKILLed mid-epoch resumes from its
last checkpoint, not from step 0, on another worker, and finishes; the best model loads
with ``from_pretrained``.

Real PostgreSQL, Redis and ``celery worker`` processes, frames on disk and a tiny SegFormer
trained from scratch; nothing is mocked.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import _truncate_all
from ontolabel.core.db import session_scope
from ontolabel.core.users import User
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass
from ontolabel.jobs import repository as job_repository
from ontolabel.jobs import service as job_service
from ontolabel.taxonomies import service as taxonomy_service
from PIL import Image
from support.celery_worker import CeleryStack

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

NAMES = ["road", "building", "sky"]
FRAMES = 80
BATCH = 2
STEPS_PER_EPOCH = FRAMES // BATCH
CHECKPOINT_EVERY = 5
FINAL = ("succeeded", "failed", "cancelled")


def _frames(root: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    images, labels = root / "images", root / "labels"
    images.mkdir(parents=True)
    labels.mkdir()
    for i in range(FRAMES):
        Image.fromarray(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(images / f"{i}.png")
        Image.fromarray(rng.integers(0, 3, (48, 48), dtype=np.uint8)).save(labels / f"{i}.png")
    return images, labels


def test_a_train_job_survives_a_killed_worker_from_its_checkpoint(
    celery_stack: Callable[..., CeleryStack], tmp_path: Path
) -> None:
    # given a taxonomy and frames on PostgreSQL and disk, and a worker
    data = tmp_path / "data"
    stack = celery_stack(data_roots=str(data))
    _truncate_all(stack.engine)
    images, labels = _frames(data / "city")
    classes = tuple(TaxonomyClass(i, n) for i, n in enumerate(NAMES))
    with session_scope(stack.session_factory) as session:
        taxonomy = taxonomy_service.create_taxonomy(
            session, Taxonomy("city", (*classes, TaxonomyClass(255, "void"))), kind="source",
            user=User("test"),
        )  # fmt: skip
        taxonomy_id = taxonomy.id
    first = stack.start_worker("doomed")

    # when a two-epoch train job runs there and the worker is SIGKILLed inside epoch 1,
    # after a few checkpoints
    params = {
        "taxonomy_id": taxonomy_id,
        "data": [{"images_dir": str(images), "labels_dir": str(labels)}],
        "model": {"preset": "segformer-nano"}, "epochs": 2, "batch_size": BATCH,
        "num_workers": 0, "augment": {"crop": 48}, "optim": {"warmup_epochs": 0},
        "checkpoint_every": CHECKPOINT_EVERY, "device": "cpu", "register_as": "survivor",
    }  # fmt: skip
    job_id = stack.create_job("train", params)
    resume = stack.settings.outputs / str(job_id) / "resume"
    started = time.monotonic()
    while not (resume.is_dir() and stack.job(job_id).done >= 3 * CHECKPOINT_EVERY):
        job = stack.job(job_id)
        assert job.status not in FINAL, f"{job.status}: {job.error}"
        assert time.monotonic() - started < 120, f"no checkpoint yet:\n{first.log()[-3000:]}"
        time.sleep(0.05)
    stack.kill(first)
    killed_at, done_at_kill = time.monotonic(), stack.job(job_id).done
    assert done_at_kill < STEPS_PER_EPOCH, "epoch 1 ended before the kill: make it longer"
    with stack.session_factory() as session:
        assert job_service.train_epochs(session, job_id)[1] == 0
    stack.start_worker("rescuer")
    while stack.job(job_id).status not in FINAL:
        assert time.monotonic() - killed_at < 240, _stuck(stack, job_id)
        time.sleep(0.2)

    # then the job succeeded after its chunk was delivered again
    job = stack.job(job_id)
    assert job.status == "succeeded", f"{job.error}\n{_stuck(stack, job_id)}"
    assert (job.done, job.total) == (2 * STEPS_PER_EPOCH, 2 * STEPS_PER_EPOCH)
    with stack.session_factory() as session:
        deliveries = [c.deliveries for c in job_repository.chunks_of(session, job_id)]
        lines = [e.message for e in job_service.events_since(session, job_id, limit=5000)]
        epochs, total = job_service.train_epochs(session, job_id)
    assert deliveries == [2], deliveries
    # and the second delivery went on from a checkpoint of epoch 1, not from step 0
    resumed = [
        int(m.group(1)) for m in map(re.compile(r"resuming at step (\d+)").match, lines) if m
    ]
    assert len(resumed) == 1, lines
    assert CHECKPOINT_EVERY <= resumed[0] <= done_at_kill + CHECKPOINT_EVERY, (
        resumed,
        done_at_kill,
    )
    assert resumed[0] % CHECKPOINT_EVERY == 0 and resumed[0] < STEPS_PER_EPOCH
    # and both epochs are stored once, and the best model loads with from_pretrained
    assert total == 2 and [e.epoch for e in epochs] == [1, 2]
    from transformers import SegformerForSemanticSegmentation

    network = SegformerForSemanticSegmentation.from_pretrained(job.outputs["model_dir"])
    assert [network.config.id2label[i] for i in range(3)] == NAMES
    assert job.outputs["model_id"] is not None


def _stuck(stack: CeleryStack, job_id: int) -> str:
    job = stack.job(job_id)
    with stack.session_factory() as session:
        events = [f"{e.level}: {e.message}" for e in job_service.events_since(session, job_id)]
    logs = "\n".join(f"--- {w.name}\n{w.log()[-3000:]}" for w in stack.workers)
    return f"job {job_id} {job.status} {job.done}/{job.total}\n" + "\n".join(events[-30:]) + logs
