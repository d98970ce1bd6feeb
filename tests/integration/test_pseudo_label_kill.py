"""Issue 5 end to end: pseudo-label the demo world on a real Celery worker, SIGKILL it
mid-job, start another, and check every frame got exactly one complete, unchanging PNG.

Real PostgreSQL, Redis, ``celery worker`` processes, demo files and a tiny random SegFormer
saved with ``save_pretrained``; nothing is mocked.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import _truncate_all
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.core.users import User
from ontolabel.datasets import service as dataset_service
from ontolabel.datasets.schemas import DatasetCreate
from ontolabel.datasets.tables import Frame
from ontolabel.demo import world
from ontolabel.domain.taxonomy import VOID_ID
from ontolabel.jobs import repository as job_repository
from ontolabel.jobs import service as job_service
from ontolabel.jobs.runner import run_job_inline, session_factory_for
from ontolabel.mappings.tables import MappingRecord
from ontolabel.models.schemas import ModelCreate
from ontolabel.models.service import create_model
from ontolabel.taxonomies.repository import get_taxonomy_by_name, load_domain_taxonomy
from PIL import Image
from sqlalchemy import select
from support.celery_worker import CeleryStack

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

SPEC = next(d for d in world.DATASETS if d.name == "demo-citylike")  # colour label PNGs
FRAMES = 24  # 4 per sequence and camera
SIZE = (192, 96)  # width, height
CHUNK_FRAMES = 4
# Enough views that a frame takes a visible fraction of a second on CPU.
TTA = {"scales": [1.0, 2.0], "flip": True, "precision": "fp32"}
FINAL = ("succeeded", "failed", "cancelled")
OPTIONS = {"chunk_frames": CHUNK_FRAMES, "device": "cpu", "batch_size": 1}


@dataclass(frozen=True)
class DemoInputs:
    dataset_id: int
    mapping_id: int
    revision: int
    model_id: int
    source_ids: set[int]
    label_paths: list[str]  # frames' label paths relative to the dataset root


def _install_extra_dataset(settings: Settings) -> DemoInputs:
    """What ``ontolabel demo`` does, for one small extra dataset, plus a registered teacher."""
    world.write_dataset(settings.demo_root / SPEC.name, SPEC, FRAMES, SIZE)
    world.write_catalog(settings.demo_root / "ontologies")
    factory = session_factory_for(settings)
    with session_scope(factory) as session:
        world._load_ontologies(settings, session)
        dataset = dataset_service.register_dataset(
            session,
            settings,
            DatasetCreate(
                name=SPEC.name,
                root=str(settings.demo_root / SPEC.name),
                taxonomy=SPEC.taxonomy.name,
                preset="generic",
                image_glob="images/**/*.png",
                image_regex=world.FRAME_REGEX,
                label_regex=world.FRAME_REGEX,
                label_encoding=SPEC.encoding,
            ),
            world.DEMO_USER,
        )
        dataset_id, extra_taxonomy_id = dataset.id, dataset.taxonomy_id
        index_job_id = dataset_service.start_index(session, settings, dataset_id, "demo")
    assert run_job_inline(settings, index_job_id) == "succeeded"

    with session_scope(factory) as session:
        mapping = session.scalars(
            select(MappingRecord).where(MappingRecord.extra_taxonomy_id == extra_taxonomy_id)
        ).one()
        mapping_id, revision = mapping.id, mapping.head_revision
        source_record = get_taxonomy_by_name(session, "demo-fine")
        assert source_record is not None and source_record.id == mapping.source_taxonomy_id
        source = load_domain_taxonomy(session, source_record.id)
        assert source is not None
        names = [c.name for c in source.classes if c.id != VOID_ID]
        teacher = _tiny_segformer(settings.outputs / "models" / "teacher", names)
        model = create_model(
            session,
            settings,
            ModelCreate(
                name="tiny-random-teacher",
                taxonomy_id=source_record.id,
                kind="hf_dir",
                path=str(teacher),
            ),
            User(name="test"),
        )
        model_id = model.id
        label_paths = session.scalars(
            select(Frame.label_path).where(Frame.dataset_id == dataset_id).order_by(Frame.id)
        ).all()
    assert len(label_paths) == FRAMES and all(label_paths)
    return DemoInputs(
        dataset_id=dataset_id,
        mapping_id=mapping_id,
        revision=revision,
        model_id=model_id,
        source_ids={c.id for c in source.classes if c.id != VOID_ID},
        label_paths=[str(p) for p in label_paths],
    )


def _tiny_segformer(path: Path, names: list[str]) -> Path:
    """A nano SegFormer with random weights whose ``id2label`` is ``names`` in order."""
    import torch
    from ontolabel_worker.ml.training.student import segformer_config
    from transformers import SegformerForSemanticSegmentation

    torch.manual_seed(0)
    model = SegformerForSemanticSegmentation(segformer_config(names, "nano"))
    model.save_pretrained(path)
    return path


class OutputWatcher:
    """Hashes each PNG the first time it appears; fails if one later changes."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.first_seen: dict[Path, str] = {}

    def poll(self) -> int:
        for path in self.out.rglob("*.png"):
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except FileNotFoundError:  # only a temp file vanishes; a label never does
                raise AssertionError(f"{path} disappeared after it was listed") from None
            seen = self.first_seen.setdefault(path, digest)
            assert seen == digest, f"{path} was written twice with different content"
        return len(self.first_seen)


def test_a_pseudo_label_job_survives_a_killed_worker(
    celery_stack: Callable[..., CeleryStack],
) -> None:
    # given the demo's colour-label dataset indexed on PostgreSQL and a tiny random teacher
    stack = celery_stack()
    _truncate_all(stack.engine)
    demo = _install_extra_dataset(stack.settings)
    first = stack.start_worker("doomed")

    # when a pseudo_label job runs on a real worker, which is SIGKILLed mid-job
    params = {
        "model": {"id": demo.model_id},
        "dataset_id": demo.dataset_id,
        "mapping": {"mapping_id": demo.mapping_id, "revision": demo.revision},
        "tta": TTA,
        "options": OPTIONS,
    }
    started = time.monotonic()
    job_id = stack.create_job("pseudo_label", params)
    out = stack.settings.outputs / str(job_id)
    watcher = OutputWatcher(out)
    checked = 0.0
    while watcher.poll() <= CHUNK_FRAMES:  # kill inside the second chunk, between writes
        if time.monotonic() - checked > 0.5:  # keep the loop tight: the kill must be prompt
            job = stack.job(job_id)
            assert job.status not in FINAL, f"{job.status}: {job.error}"
            assert time.monotonic() - started < 60, f"no labels yet:\n{first.log()[-3000:]}"
            checked = time.monotonic()
        time.sleep(0.01)
    stack.kill(first)
    killed_at = time.monotonic()
    assert watcher.poll() < FRAMES, "the job ended before the worker was killed"
    stack.start_worker("rescuer")
    while stack.job(job_id).status not in FINAL:
        watcher.poll()
        assert time.monotonic() - killed_at < 120, _stuck(stack, job_id)
        time.sleep(0.05)
    watcher.poll()

    # then the job succeeded after the killed chunk was delivered again
    job = stack.job(job_id)
    assert job.status == "succeeded", f"{job.error}\n{_stuck(stack, job_id)}"
    assert (job.done, job.total) == (FRAMES, FRAMES)
    with stack.session_factory() as session:
        deliveries = [c.deliveries for c in job_repository.chunks_of(session, job_id)]
    assert sum(d - 1 for d in deliveries) >= 1 and max(deliveries) <= 3, deliveries
    # and every frame has exactly one complete label PNG at its mirrored path
    expected = {out / Path(rel).with_suffix(".png") for rel in demo.label_paths}
    assert set(out.rglob("*.png")) == expected
    assert set(watcher.first_seen) == expected
    for path in sorted(expected):
        with Image.open(path) as image:
            image.load()
            assert image.mode in ("L", "P") and image.size == SIZE, (path, image.mode)
            values = set(np.unique(np.asarray(image)).tolist())
        assert values <= demo.source_ids | {VOID_ID}, (path, values)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == watcher.first_seen[path]
    # and nothing half-written is left behind
    leftovers = [p for p in out.rglob("*") if p.is_file() and ".tmp" in p.name]
    assert not leftovers, leftovers
    # and the manifest names the mapping revision, the model and the TTA settings
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["mapping"]["mapping_id"] == demo.mapping_id
    assert manifest["mapping"]["revision"] == demo.revision
    assert manifest["model"]["id"] == demo.model_id
    assert manifest["tta"] == {**TTA, "precision_used": ["fp32"]}
    assert manifest["summary"]["labelled"] == FRAMES and manifest["errors"] == {}
    assert job.outputs["manifest"] == str(out / "manifest.json")


def _stuck(stack: CeleryStack, job_id: int) -> str:
    job = stack.job(job_id)
    with stack.session_factory() as session:
        events = [f"{e.level}: {e.message}" for e in job_service.events_since(session, job_id)]
    logs = "\n".join(f"--- {w.name}\n{w.log()[-3000:]}" for w in stack.workers)
    return f"job {job_id} {job.status} {job.done}/{job.total}\n" + "\n".join(events) + logs
