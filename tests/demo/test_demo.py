"""The demo world: deterministic files, its label errors, idempotent install."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from conftest import REDIS_URL
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.datasets import service as dataset_service
from ontolabel.demo.scenes import FINE, make_scene, render_frame
from ontolabel.demo.world import COARSE, TEACHER_NAME, install_demo, queue_teacher, teacher_params
from ontolabel.jobs import repository as job_repository
from ontolabel.jobs.runner import run_job_inline, session_factory_for
from ontolabel.jobs.tables import Job
from ontolabel.mappings import repository as mapping_repository
from ontolabel.models.service import find_model
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

SIZE = (96, 48)


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*.png")):
        h.update(path.relative_to(folder).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_scenes_are_deterministic_and_show_every_class() -> None:
    scene = make_scene(7, 96 + 24, 48)
    a_rgb, a_ids = render_frame(scene, 3, 1, 96, seed=5)
    b_rgb, b_ids = render_frame(make_scene(7, 96 + 24, 48), 3, 1, 96, seed=5)
    assert np.array_equal(a_rgb, b_rgb) and np.array_equal(a_ids, b_ids)
    seen = set()
    for seed in range(12):
        seen |= set(
            np.unique(render_frame(make_scene(seed, 280, 128), 0, 0, 256, seed)[1]).tolist()
        )
    assert seen == set(FINE.values())


def test_install_registers_indexes_and_is_idempotent(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given a small demo installed once
    report = install_demo(settings, frames_per_dataset=12, size=SIZE, echo=lambda _m: None)
    assert report.count("succeeded") == 3
    root = settings.demo_root
    first = _digest(root)
    # when installed again
    lines: list[str] = []
    install_demo(settings, frames_per_dataset=12, size=SIZE, echo=lines.append)
    # then nothing is written, created or indexed again
    assert _digest(root) == first
    assert not [line for line in lines if line.startswith("created")]
    assert sum(line.endswith("already indexed") for line in lines) == 3
    with session_factory() as session:
        jobs = job_repository.list_jobs(session, kind="index", status=None, offset=0, limit=10)
        assert jobs[1] == 3
    with session_factory() as session:
        datasets, total = dataset_service.list_datasets(session)
        assert total == 3 and all(d.frame_count == 12 and d.error_count == 0 for d in datasets)
        by_name = {d.name: d for d in datasets}
        coarse = dataset_service.occurrence(session, by_name["demo-coarse"].id)
        citylike = dataset_service.occurrence(session, by_name["demo-citylike"].id)
        mapping = mapping_repository.get_mapping_by_name(session, "demo-citylike → demo-fine")
        assert mapping is not None
        # frames with any citylike label that the mapping allows for source class "sky"
        sky_ids = dataset_service.extra_ids_for_source_class(
            session, by_name["demo-citylike"].id, mapping.id, FINE["sky"], None
        )
        sky_frames, sky_total = dataset_service.frames_with_label(
            session, by_name["demo-citylike"].id, sky_ids
        )
    # and the systematic label errors are there: unlabelled sky, signs never labelled
    assert "sky" in citylike.never_labelled
    assert sky_ids == [0, 5] and sky_total == 12
    assert [f.pixels for f in sky_frames] == sorted((f.pixels for f in sky_frames), reverse=True)
    assert "traffic-sign" in coarse.never_labelled
    # with a hidden fine ground truth beside the coarse labels
    label = np.asarray(Image.open(root / "demo-coarse" / "labels" / "s01" / "cam1" / "0000.png"))
    truth = np.asarray(
        Image.open(root / "demo-coarse" / "ground_truth" / "s01" / "cam1" / "0000.png")
    )
    assert label.shape == truth.shape == (SIZE[1], SIZE[0])
    sign = COARSE.by_name("traffic-sign")
    assert sign is not None and not (label == sign.id).any()


def test_the_demo_teacher_is_queued_once_trains_and_registers(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given an installed demo and its teacher job queued twice
    install_demo(settings, frames_per_dataset=6, size=SIZE, echo=lambda _m: None)
    first = queue_teacher(settings, seconds=2)
    again = queue_teacher(settings, seconds=2)
    assert "queued" in first and "already queued" in again
    job_id = int(first.split()[2])
    # when a runner picks it up
    assert run_job_inline(settings, job_id) == "succeeded"
    # then demo-teacher is registered on the fine taxonomy, and is not queued again
    with session_factory() as session:
        model = find_model(session, TEACHER_NAME)
        assert model is not None and model.kind == "ontolabel"
        assert Path(model.path, "config.json").is_file()
    assert "already registered" in queue_teacher(settings)


def test_the_demo_teacher_trains_from_scratch_at_one_constant_rate(tmp_path: Path) -> None:
    # given the demo source's folders and a budget
    params = teacher_params(tmp_path / "demo-source", 3, 90)
    # then a small SegFormer from random weights: every layer at one rate, from the start
    assert params.model.preset == "segformer-tiny" and params.model.init is None
    optim = params.optim
    assert (optim.schedule, optim.warmup_epochs, optim.encoder_lr) == ("constant", 0, None)
    assert params.augment.crop == 128 and params.max_seconds == 90
    source = params.data[0]
    assert (source.images_dir, source.labels_dir) == (
        str(tmp_path / "demo-source" / "images"),
        str(tmp_path / "demo-source" / "labels"),
    )
    assert (params.taxonomy_id, params.register_as) == (3, TEACHER_NAME)


@pytest.mark.redis
def test_with_a_broker_the_demo_teacher_job_is_sent_to_the_workers(settings: Settings) -> None:
    # given a deployment with a broker (our own Redis database and queue prefix)
    import uuid

    from ontolabel.jobs.sweep import queued_messages
    from support.celery_worker import redis_or_skip

    url = REDIS_URL.rsplit("/", 1)[0] + "/7"
    redis = redis_or_skip(url)
    prefix = f"ontolabel-test-demo-{uuid.uuid4().hex[:8]}"
    brokered = settings.model_copy(update={"redis_url": url, "queue_prefix": prefix})
    install_demo(brokered, frames_per_dataset=2, size=SIZE, echo=lambda _m: None)
    try:
        # when `ontolabel demo --teacher` queues the teacher
        job_id = int(queue_teacher(brokered, seconds=2).split()[2])

        # then its plan message waits in the workers' queue, and the row says it was sent
        assert job_id in queued_messages(brokered, redis).plans
        with session_scope(session_factory_for(brokered)) as session:
            job = session.get(Job, job_id)
            assert job is not None and job.sent_at is not None
    finally:
        redis.delete(*(redis.keys(f"*{prefix}*") or [f"{prefix}.cpu"]))
        redis.close()
