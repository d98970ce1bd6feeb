"""A train job's plan: every dataset resolved to frame pairs, the taxonomy to channels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from datasets.factories import create_taxonomy, index, label_array, register, write_frame
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.domain.formats.native import dump_taxonomy
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass
from ontolabel.errors import InvalidInput
from ontolabel.jobs import repository as job_repository
from ontolabel.jobs import service as job_service
from ontolabel.jobs.params import InlineMapping, MappingRef, ModelRef, PseudoLabelParams
from ontolabel.jobs.runner import JobRunContext, new_owner
from ontolabel.jobs.train_params import TrainParams
from ontolabel_worker.kinds.train_plan import TrainChunk, plan_training
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

SPLIT_REGEX = r"(?:images|labels)/(?P<split>[^/]+)/(?P<sequence>[^/]+)/(?P<frame>\d+)\.png"
STUDENT = Taxonomy(
    name="student",
    classes=(
        TaxonomyClass(0, "road"),
        TaxonomyClass(2, "building"),
        TaxonomyClass(4, "sky"),
        TaxonomyClass(255, "void"),
        TaxonomyClass(300, "beyond"),  # no label PNG channel: not a student class
    ),
)


class Planner:
    """Creates a train job of given parameters (checked as the API checks them) and plans it."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session]) -> None:
        self.settings, self.factory = settings, factory
        self.data = settings.allowed_data_roots[0]
        self.taxonomy_id = create_taxonomy(factory, STUDENT)

    def plan(self, **params: Any) -> tuple[TrainChunk, list[str]]:
        body = {"taxonomy_id": self.taxonomy_id, "model": {"preset": "segformer-nano"}, "steps": 5}
        contract = TrainParams.model_validate({**body, **params})
        with session_scope(self.factory) as session:
            job_id = job_service.create_job(
                session, self.settings, contract, "t", local_models=True
            ).id
        ctx = JobRunContext(self.settings, self.factory, job_id, new_owner())
        chunk = plan_training(ctx, contract)
        with self.factory() as session:
            lines = [e.message for e in job_service.events_since(session, job_id)]
        return chunk, lines

    def folders(self, name: str, keys: list[str]) -> tuple[Path, Path]:
        images, labels = self.data / name / "images", self.data / name / "labels"
        for key in keys:
            write_frame(self.data / name, key, label_array(0, ids=(0, 2, 4)))
        return images, labels

    def dataset(self, name: str, per_split: int) -> int:
        for split in ("train", "val"):
            for i in range(per_split):
                write_frame(self.data / name, f"{split}/s/{i:03d}", label_array(i, ids=(0, 4)))
        dataset_id = register(
            self.factory,
            self.settings,
            name,
            self.data / name,
            taxonomy="student",
            image_regex=SPLIT_REGEX,
            label_regex=SPLIT_REGEX,
        )
        assert index(self.factory, self.settings, dataset_id)[0] == "succeeded"
        return dataset_id


@pytest.fixture
def planner(settings: Settings, session_factory: sessionmaker[Session]) -> Planner:
    return Planner(settings, session_factory)


def test_the_students_channels_are_its_classes_below_void_in_order(planner: Planner) -> None:
    images, labels = planner.folders("city", ["a"])
    chunk, _ = planner.plan(data=[{"images_dir": str(images), "labels_dir": str(labels)}])
    assert (chunk.class_ids, chunk.class_names) == ([0, 2, 4], ["road", "building", "sky"])


def test_a_dataset_trains_on_its_split_and_merges_val_when_asked(planner: Planner) -> None:
    # given a dataset of 3 train and 3 val frames
    ds = planner.dataset("city", 3)
    # when one job trains on its train split and validates on val, another merges val in
    chunk, _ = planner.plan(data=[{"dataset_id": ds}], val=[{"dataset_id": ds, "split": "val"}])
    merged, _ = planner.plan(data=[{"dataset_id": ds, "merge_val": True}])
    everything, _ = planner.plan(data=[{"dataset_id": ds, "split": None}])
    # then each gets those frames, named after the dataset and split
    source = chunk.sources[0]
    assert source.name == "city/train" and len(source.pairs) == 3
    assert all("/train/" in p.image and "/train/" in p.label for p in source.pairs)
    assert [(v.name, len(v.pairs)) for v in chunk.val] == [("city/val", 3)]
    assert len(merged.sources[0].pairs) == 6 and len(everything.sources[0].pairs) == 6
    assert Path(source.pairs[0].image).is_file() and Path(source.pairs[0].label).is_file()


def test_a_pseudo_label_jobs_labels_pair_with_the_images_it_labelled(planner: Planner) -> None:
    # given a finished pseudo_label job over three frames, which labelled two of them
    images, labels = planner.folders("extra", ["s/a", "s/b", "c"])
    out = planner.settings.outputs / "pl"
    for key in ("s/a", "c"):
        (out / key).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((8, 16), 2, dtype=np.uint8)).save(out / f"{key}.png")
    job_id = _finished_pseudo_label_job(planner, images, labels, out)
    source, _ = planner.folders("city", ["x"])
    # when a train job names it beside the source
    chunk, lines = planner.plan(
        data=[
            {"images_dir": str(source), "labels_dir": str(source.parent / "labels")},
            {"pseudo_label_job": job_id, "weight": 0.25},
        ]
    )
    # then its labels are the job's PNGs, its images the frames', and the gap is logged
    extra = chunk.sources[1]
    assert extra.name == f"pseudo_label job {job_id}" and extra.weight == 0.25
    assert sorted((p.key, p.label) for p in extra.pairs) == [
        ("c", str(out / "c.png")),
        ("s/a", str(out / "s" / "a.png")),
    ]
    assert {p.image for p in extra.pairs} == {str(images / "c.png"), str(images / "s/a.png")}
    assert any("1 frame(s) of job" in line and "have no label" in line for line in lines)


def _finished_pseudo_label_job(planner: Planner, images: Path, labels: Path, out: Path) -> int:
    extra = Taxonomy(name="ext", classes=(TaxonomyClass(0, "street"),))
    mapping = (
        "kind: mapping\nformat_version: 1\nname: m\nextra_taxonomy: ext\n"
        "source_taxonomy: student\nrows: []\n"
    )
    source = Taxonomy(name="student", classes=STUDENT.classes[:4])
    teacher = planner.data / "teacher"
    teacher.mkdir()
    params = PseudoLabelParams(
        model=ModelRef(path=str(teacher)),
        images_dir=str(images),
        labels_dir=str(labels),
        mapping=MappingRef(
            inline=InlineMapping(
                mapping=mapping, extra=dump_taxonomy(extra), source=dump_taxonomy(source)
            )
        ),
        output_dir=str(out),
    )
    with session_scope(planner.factory) as session:
        job_id = job_service.create_job(
            session, planner.settings, params, "t", local_models=True
        ).id
        job_repository.finalize_job(session, job_id, "succeeded", outputs={"output_dir": str(out)})
    return job_id


def test_folder_pairs_are_named_after_their_folder_and_kept_apart(planner: Planner) -> None:
    images, labels = planner.folders("city", ["a", "b"])
    folders = {"images_dir": str(images), "labels_dir": str(labels)}
    chunk, _ = planner.plan(data=[folders, {**folders, "weight": 2}], val=[folders])
    assert [s.name for s in chunk.sources] == ["city", "city #2"]
    assert [v.name for v in chunk.val] == ["city #3"]
    assert [len(s.pairs) for s in chunk.sources] == [2, 2] and chunk.source_sizes == [2, 2]


def test_nothing_to_train_on_and_a_checkpoint_start_are_refused(planner: Planner) -> None:
    images, labels = planner.folders("city", ["a"])
    empty = planner.data / "empty"
    (empty / "images").mkdir(parents=True)
    (empty / "labels").mkdir()
    good = {"images_dir": str(images), "labels_dir": str(labels)}
    bare = {"images_dir": str(empty / "images"), "labels_dir": str(empty / "labels")}
    with pytest.raises(InvalidInput) as err:
        planner.plan(data=[good, bare])
    assert err.value.extra["field"] == "data[1]"
    checkpoint = planner.data / "teacher.pth"
    checkpoint.write_bytes(b"")
    with pytest.raises(InvalidInput, match="not a save_pretrained folder"):
        planner.plan(data=[good], model={"init": {"path": str(checkpoint)}})
    chunk, _ = planner.plan(data=[good], model={"init": {"path": str(images.parent)}})
    assert chunk.init_path == str(images.parent)
    hub, _ = planner.plan(data=[good], model={"hub_id": "org/weights"})
    assert hub.init_path == "org/weights"
