"""The index job: histograms, per-frame errors, incremental and resumable runs."""

from __future__ import annotations

import os
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.datasets import chunks, indexing, reading
from ontolabel.datasets import service as dataset_service
from ontolabel.datasets.chunks import IndexChunk
from ontolabel.datasets.tables import Dataset, DatasetLabelStat, Frame, FrameLabel
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass
from ontolabel.errors import Conflict
from ontolabel.jobs import repository as job_repository
from ontolabel.jobs import runner, service
from ontolabel.jobs.kinds import get_kind
from ontolabel.jobs.params import IndexParams
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from .factories import create_taxonomy, index, label_array, register, write_frame, write_png


@pytest.fixture
def root(settings: Settings) -> Path:
    path = settings.allowed_data_roots[0] / "ds"
    path.mkdir(parents=True)
    return path


def _frames(factory: sessionmaker[Session]) -> dict[str, Frame]:
    with factory() as session:
        return {f.key: f for f in session.scalars(select(Frame))}


def _histogram(factory: sessionmaker[Session], frame_id: int) -> dict[int, int]:
    with factory() as session:
        rows = session.execute(
            select(FrameLabel.label_id, FrameLabel.pixels).where(FrameLabel.frame_id == frame_id)
        )
        return {int(a): int(b) for a, b in rows}


def _registered(factory: sessionmaker[Session], settings: Settings, root: Path, frames: int) -> int:
    """A dataset ``ds`` of ``frames`` small good frames ``s/000``…, registered, not indexed."""
    create_taxonomy(factory)
    for i in range(frames):
        write_frame(root, f"s/{i:03d}", label_array(i))
    return register(factory, settings, "ds", root)


def test_index_stores_histograms_and_records_every_broken_frame(
    settings: Settings, session_factory: sessionmaker[Session], root: Path
) -> None:
    # given good frames and one of each kind of broken frame
    create_taxonomy(session_factory)
    write_frame(root, "seq1/000", label_array(0))
    write_frame(root, "seq1/001", label_array(1, ids=(0, 1, 9)))  # 9: not in the taxonomy
    write_frame(root, "seq1/002", None)  # image without label
    write_png(root / "labels" / "seq1" / "003.png", label_array(0))  # label without image
    write_frame(root, "seq1/004", label_array(0, size=(8, 8)))  # label smaller than image
    write_frame(root, "seq1/005", label_array(0))
    (root / "labels" / "seq1" / "005.png").write_bytes(b"not a png at all")
    write_frame(root, "seq1/006", label_array(0))
    good = (root / "labels" / "seq1" / "006.png").read_bytes()
    (root / "labels" / "seq1" / "006.png").write_bytes(good[: len(good) // 2])
    dataset_id = register(session_factory, settings, "tiny-ds", root)

    # when it is indexed
    status, job_id = index(session_factory, settings, dataset_id)

    # then the job completes and each frame carries its histogram or its error
    assert status == "succeeded"
    frames = _frames(session_factory)
    assert set(frames) == {f"seq1/00{i}" for i in range(7)}
    assert _histogram(session_factory, frames["seq1/000"].id) == {0: 48, 2: 48, 4: 32}
    assert frames["seq1/000"].error_kind is None and (
        frames["seq1/000"].width,
        frames["seq1/000"].height,
    ) == (16, 8)
    assert frames["seq1/001"].unknown_labels == [9]
    assert frames["seq1/002"].error_kind == "missing_partner"
    assert frames["seq1/003"].error_kind == "missing_partner"
    assert frames["seq1/004"].error_kind == "size_mismatch"
    assert frames["seq1/005"].error_kind == "unreadable"
    assert frames["seq1/006"].error_kind in ("truncated", "unreadable")
    assert all(f.indexed for f in frames.values())
    with session_factory() as session:
        dataset = session.get(Dataset, dataset_id)
        assert dataset is not None and dataset.frame_count == 7 and dataset.error_count == 5
        stats = {s.label_id: s.frames for s in session.scalars(select(DatasetLabelStat))}
        errors, total = job_repository.frame_errors(session, job_id, offset=0, limit=100)
    assert stats[9] == 1 and stats[0] == 3
    assert total == 5 and {e.frame for e in errors} >= {"seq1/002", "seq1/005"}


def test_second_run_reads_only_changed_files(
    settings: Settings, session_factory: sessionmaker[Session], root: Path
) -> None:
    # given an indexed dataset of three frames
    dataset_id = _registered(session_factory, settings, root, 3)
    assert index(session_factory, settings, dataset_id)[0] == "succeeded"
    before = _frames(session_factory)

    # when one label changes (size and mtime), one disappears and one appears
    write_png(root / "labels" / "s" / "001.png", np.full((8, 16), 5, dtype=np.uint8))
    st = os.stat(root / "labels" / "s" / "001.png")
    os.utime(root / "labels" / "s" / "001.png", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    for sub in ("images", "labels"):
        (root / sub / "s" / "002.png").unlink()
    write_frame(root, "s/003", label_array(0))
    status, job_id = index(session_factory, settings, dataset_id)

    # then only the changed and the new frame were read; the unchanged one kept its row
    assert status == "succeeded"
    with session_factory() as session:
        job = job_repository.get_job(session, job_id)
        assert job is not None and job.total == 2
    after = _frames(session_factory)
    assert set(after) == {"s/000", "s/001", "s/003"}
    assert after["s/000"].id == before["s/000"].id
    assert _histogram(session_factory, after["s/001"].id) == {5: 128}
    with session_factory() as session:  # the vanished frame's histogram went with it
        assert set(session.scalars(select(FrameLabel.frame_id))) == {f.id for f in after.values()}


def test_a_resumed_job_skips_frames_its_dead_worker_already_wrote(
    settings: Settings, session_factory: sessionmaker[Session], root: Path
) -> None:
    # given a planned index job whose first chunk was half done when its worker died
    dataset_id = _registered(session_factory, settings, root, 6)
    with session_scope(session_factory) as session:
        job_id = service.create_job(
            session, settings, IndexParams(dataset_id=dataset_id, workers=1), "t"
        ).id
    factory = runner.session_factory_for(settings)
    owner = runner.new_owner()
    runner.plan_job(settings, factory, job_id, owner)
    with factory() as session:
        chunk = job_repository.chunks_of(session, job_id)[0]
    ctx = runner.JobRunContext(settings, factory, job_id, owner)
    half = IndexChunk.model_validate({**chunk.params, "frame_ids": chunk.params["frame_ids"][:3]})
    get_kind("index").run_chunk(ctx, half)

    # when the job is run again from its rows
    status = runner.run_job_inline(settings, job_id)

    # then it completes without re-reading (a second histogram row would violate the key),
    # and the frames the dead worker wrote still count towards progress
    assert status == "succeeded"
    with session_factory() as session:
        job = job_repository.get_job(session, job_id)
        assert job is not None and (job.done, job.total) == (6, 6)
    frames = _frames(session_factory)
    assert all(f.indexed for f in frames.values()) and len(frames) == 6
    assert all(sum(_histogram(session_factory, f.id).values()) == 128 for f in frames.values())


def test_reads_are_queued_a_chunk_ahead_and_every_frame_is_read_once(
    settings: Settings,
    session_factory: sessionmaker[Session],
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given seven frames indexed two per chunk: four chunks
    dataset_id = _registered(session_factory, settings, root, 7)
    monkeypatch.setattr(indexing, "CHUNK_FRAMES", 2)
    queued: list[int] = []
    ahead: list[list[int]] = []

    class CountingPool:
        def __init__(self, pool: ProcessPoolExecutor) -> None:
            self.pool = pool

        def submit(self, fn: Any, *args: Any) -> Future[Any]:
            if fn is reading.read_batch:
                queued.extend(frame_id for frame_id, _image, _label in args[0].items)
            return self.pool.submit(fn, *args)

    real_pool, real_ahead = reading.reader_pool, chunks.read_ahead

    def read_ahead(batches: list[reading.ReadBatch], workers: int) -> None:
        ahead.append([frame_id for b in batches for frame_id, _image, _label in b.items])
        real_ahead(batches, workers)

    monkeypatch.setattr(reading, "reader_pool", lambda workers: CountingPool(real_pool(workers)))
    monkeypatch.setattr(chunks, "read_ahead", read_ahead)

    # when it is indexed by the inline runner
    status, job_id = index(session_factory, settings, dataset_id)

    # then the plan queued the first chunk's reads and each chunk the next one's, behind
    # its own; those reads were used: no frame was queued twice
    assert status == "succeeded"
    frames = sorted(_frames(session_factory).values(), key=lambda f: f.id)
    ids = [f.id for f in frames]
    assert ahead == [ids[0:2], ids[2:4], ids[4:6], ids[6:]]
    assert sorted(queued) == ids
    assert all(f.indexed and _histogram(session_factory, f.id) for f in frames)
    with session_factory() as session:
        job = job_repository.get_job(session, job_id)
        assert job is not None and (job.done, job.total) == (7, 7)

    # and when three frames change and two are new, the plan foresees the first chunk
    # (changed frames keep their ids and come first), so again nothing is read twice
    for i in (1, 4, 6):
        write_png(root / "labels" / "s" / f"{i:03d}.png", label_array(i + 1, ids=(1, 3)))
    for i in (7, 8):
        write_frame(root, f"s/{i:03d}", label_array(i))
    queued.clear()
    ahead.clear()
    assert index(session_factory, settings, dataset_id)[0] == "succeeded"
    after = sorted(_frames(session_factory).values(), key=lambda f: f.id)
    reread = [ids[1], ids[4], ids[6], after[-2].id, after[-1].id]
    assert ahead == [reread[0:2], reread[2:4], reread[4:]]
    assert sorted(queued) == reread
    assert set(_histogram(session_factory, ids[4])) == {1, 3}


def test_a_frame_deleted_after_it_was_read_gets_no_histogram_rows(
    settings: Settings, session_factory: sessionmaker[Session], root: Path
) -> None:
    # given two frames read by a chunk, one of them deleted since (another plan saw it go)
    dataset_id = _registered(session_factory, settings, root, 2)
    assert index(session_factory, settings, dataset_id)[0] == "succeeded"
    kept, gone = sorted(f.id for f in _frames(session_factory).values())
    with session_scope(session_factory) as session:
        session.execute(delete(FrameLabel))  # as before their first reading
        session.execute(delete(Frame).where(Frame.id == gone))
    readings = [
        reading.FrameReading(frame_id, 16, 8, counts={7: 100, 8: 28}) for frame_id in (kept, gone)
    ]

    # when the chunk writes its readings
    with session_scope(session_factory) as session:
        chunks.write_readings(session, dataset_id, readings)

    # then the frame still there has them, the deleted one has none (no orphans)
    assert _histogram(session_factory, kept) == {7: 100, 8: 28}
    assert _histogram(session_factory, gone) == {}
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(FrameLabel)) == 2


def test_frame_labels_go_with_their_frames_when_a_dataset_is_deleted(
    settings: Settings, session_factory: sessionmaker[Session], root: Path
) -> None:
    # given an indexed dataset (its histogram rows have no foreign keys)
    dataset_id = _registered(session_factory, settings, root, 2)
    assert index(session_factory, settings, dataset_id)[0] == "succeeded"

    # when the dataset row is deleted
    with session_scope(session_factory) as session:
        session.execute(delete(Dataset).where(Dataset.id == dataset_id))

    # then its frames cascade, and their trigger takes their histogram rows
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Frame)) == 0
        assert session.scalar(select(func.count()).select_from(FrameLabel)) == 0


def test_a_second_index_job_is_refused_while_the_first_is_unfinished(
    settings: Settings, session_factory: sessionmaker[Session], root: Path
) -> None:
    # given a dataset with an index job queued
    dataset_id = _registered(session_factory, settings, root, 2)
    with session_scope(session_factory) as session:
        first = dataset_service.start_index(session, settings, dataset_id, "tester")
    # when another is asked for, then it is refused, naming the job, and nothing changes
    refusing = pytest.raises(Conflict, match=f"already being indexed by job {first} ")
    with refusing as refused, session_scope(session_factory) as session:
        dataset_service.start_index(session, settings, dataset_id, "tester")
    assert refused.value.extra == {"job_id": first, "status": "queued"}
    with session_factory() as session:
        assert session.get_one(Dataset, dataset_id).index_job_id == first
        jobs, _total = job_repository.list_jobs(
            session, kind="index", status=None, offset=0, limit=10
        )
        assert [j.id for j in jobs] == [first]
    # and one created as a plain job (``POST /api/jobs``) fails as it starts, saying why
    with session_scope(session_factory) as session:
        direct = service.create_job(
            session, settings, IndexParams(dataset_id=dataset_id), "tester"
        ).id
    assert runner.run_job_inline(settings, direct) == "failed"
    with session_factory() as session:
        assert f"already being indexed by job {first} " in (
            service.get_job(session, direct).error or ""
        )
        assert session.get_one(Dataset, dataset_id).index_job_id == first
    # and once the first has finished, the next one starts
    assert runner.run_job_inline(settings, first) == "succeeded"
    with session_scope(session_factory) as session:
        second = dataset_service.start_index(session, settings, dataset_id, "tester")
    assert runner.run_job_inline(settings, second) == "succeeded"


WIDE = Taxonomy(
    name="wide",
    classes=(
        TaxonomyClass(0, "road", color="#804080"),
        TaxonomyClass(300, "lane", color="#ffffff"),
        TaxonomyClass(-1, "license plate", color="#00008e"),
    ),
)


def _events(factory: sessionmaker[Session], job_id: int) -> list[str]:
    with factory() as session:
        return [e.message for e in job_repository.events_after(session, job_id, 0, 1000)]


def test_index_of_a_taxonomy_with_ids_no_id_png_holds_records_them_and_reads_on(
    settings: Settings, session_factory: sessionmaker[Session], root: Path
) -> None:
    # given a taxonomy with license plate at -1 and a class at 300, and 16-bit id labels
    create_taxonomy(session_factory, WIDE)
    write_frame(root, "s/000", np.array([[0, 300], [300, 7]], dtype=np.uint16), size=(2, 2))
    dataset_id = register(session_factory, settings, "wide-ds", root, taxonomy="wide")
    # when it is indexed
    status, job_id = index(session_factory, settings, dataset_id)
    # then it succeeds, counts the 16-bit id, and its log says -1 can never be in a label
    assert status == "succeeded"
    frame = _frames(session_factory)["s/000"]
    assert _histogram(session_factory, frame.id) == {0: 1, 300: 2, 7: 1}
    assert frame.unknown_labels == [7]
    assert any("-1" in m and "cannot hold" in m for m in _events(session_factory, job_id))


def test_a_stray_colour_is_unknown_even_where_a_class_has_id_minus_one(
    settings: Settings, session_factory: sessionmaker[Session], root: Path
) -> None:
    # given colour labels and a taxonomy whose license plate is -1: one pixel of no colour
    create_taxonomy(session_factory, WIDE)
    rgb = np.array([[[128, 64, 128], [0, 0, 142]], [[1, 2, 3], [128, 64, 128]]], dtype=np.uint8)
    write_png(root / "images" / "s" / "000.png", np.full((2, 2, 3), 90, dtype=np.uint8))
    write_png(root / "labels" / "s" / "000.png", rgb)
    dataset_id = register(
        session_factory, settings, "colour-ds", root, taxonomy="wide", label_encoding="color"
    )
    # when it is indexed
    assert index(session_factory, settings, dataset_id)[0] == "succeeded"
    # then the plate's colour counts as the plate, the stray one as no class
    frame = _frames(session_factory)["s/000"]
    histogram = _histogram(session_factory, frame.id)
    assert histogram[0] == 2 and histogram[-1] == 1
    assert frame.unknown_labels is not None and len(frame.unknown_labels) == 1
    assert frame.unknown_labels[0] not in {c.id for c in WIDE.classes}
