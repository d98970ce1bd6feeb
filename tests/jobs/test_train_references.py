"""A train request that does not fit its student's taxonomy is refused at creation: 422
naming the field, the dataset and the ids, and no job is queued."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from datasets.factories import (
    TAXONOMY,
    create_taxonomy,
    index,
    label_array,
    register,
    write_frame,
)
from fastapi.testclient import TestClient
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.domain.formats.native import dump_taxonomy
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass
from ontolabel.errors import InvalidInput
from ontolabel.jobs import repository as job_repository
from ontolabel.jobs import service as job_service
from ontolabel.jobs.params import InlineMapping, MappingRef, ModelRef, PseudoLabelParams
from ontolabel.jobs.train_params import TrainParams
from sqlalchemy.orm import Session, sessionmaker

OTHER = Taxonomy(name="other", classes=(TaxonomyClass(0, "grass"), TaxonomyClass(1, "rock")))
SPLIT_REGEX = r"(?:images|labels)/(?P<split>[^/]+)/(?P<sequence>[^/]+)/(?P<frame>\d+)\.png"
NAMES = [c.name for c in TAXONOMY.classes]


class World:
    """Taxonomies, indexed datasets, pseudo_label jobs and models a train job may name."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session], client: TestClient):
        self.settings, self.factory, self.client = settings, factory, client
        self.data = settings.allowed_data_roots[0]
        self.tiny = create_taxonomy(factory)
        self.other = create_taxonomy(factory, OTHER)

    def dataset(self, name: str, ids: tuple[int, ...] = (0, 2, 4), **layout: Any) -> int:
        root = self.data / name
        for split in ("train", "val"):
            write_frame(root, f"{split}/s/000", label_array(0, ids=ids))
        layout = {"image_regex": SPLIT_REGEX, "label_regex": SPLIT_REGEX, **layout}
        dataset_id = register(self.factory, self.settings, name, root, **layout)
        assert index(self.factory, self.settings, dataset_id)[0] == "succeeded"
        return dataset_id

    def pseudo_label_job(self, source: Taxonomy = TAXONOMY, *, succeeded: bool = True) -> int:
        extra = Taxonomy(name="ext", classes=(TaxonomyClass(0, "street"),))
        mapping = (
            "kind: mapping\nformat_version: 1\nname: m\nextra_taxonomy: ext\n"
            f"source_taxonomy: {source.name}\nrows: []\n"
        )
        teacher = self.data / "teacher"
        teacher.mkdir(exist_ok=True)
        params = PseudoLabelParams(
            model=ModelRef(path=str(teacher)),
            images_dir=str(self.data),
            labels_dir=str(self.data),
            mapping=MappingRef(
                inline=InlineMapping(
                    mapping=mapping, extra=dump_taxonomy(extra), source=dump_taxonomy(source)
                )
            ),
        )
        with session_scope(self.factory) as session:
            job_id = job_service.create_job(
                session, self.settings, params, "t", local_models=True
            ).id
            if succeeded:
                outputs = {"output_dir": str(self.settings.outputs / str(job_id))}
                job_repository.finalize_job(session, job_id, "succeeded", outputs=outputs)
        return job_id

    def model(self, name: str, classes: list[str], taxonomy_id: int) -> int:
        folder = self.model_folder(name, classes)
        body = {"name": name, "taxonomy_id": taxonomy_id, "kind": "hf_dir", "path": str(folder)}
        response = self.client.post("/api/models", json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def model_folder(self, name: str, classes: list[str]) -> Path:
        folder = self.data / "models" / name
        folder.mkdir(parents=True)
        config = {"id2label": {str(i): n for i, n in enumerate(classes)}}
        (folder / "config.json").write_text(json.dumps(config))
        return folder

    def train(self, **params: Any) -> Any:
        body = {"taxonomy_id": self.tiny, "model": {"preset": "segformer-nano"}, "steps": 10}
        return self.client.post("/api/jobs", json={"kind": "train", "params": {**body, **params}})


@pytest.fixture
def world(settings: Settings, session_factory: sessionmaker[Session], client: TestClient) -> World:
    return World(settings, session_factory, client)


def _refused(response: Any, field: str, *words: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert any(e["field"] == field for e in body.get("errors", [])) or body.get("field") == field
    for word in words:
        assert word in body["detail"], body["detail"]


def _no_train_job(client: TestClient) -> None:
    assert client.get("/api/jobs", params={"kind": "train"}).json()["total"] == 0


def test_a_dataset_of_another_taxonomy_is_refused_naming_both(world: World) -> None:
    # given a dataset labelled in another taxonomy than the student's
    ds = world.dataset("grassland", taxonomy="other")
    # when a train job names it as its second dataset
    source = world.dataset("city")
    response = world.train(data=[{"dataset_id": source}, {"dataset_id": ds}])
    # then it is refused naming the dataset, its taxonomy and the student's; nothing queued
    _refused(response, "params.data[1].dataset_id", "'grassland'", "'other'", "'tiny'")
    _no_train_job(world.client)


def test_label_ids_outside_the_students_classes_are_named(world: World) -> None:
    # given a dataset of the student's taxonomy whose labels hold ids 9 and 200
    ds = world.dataset("odd", ids=(0, 9, 200, 255))
    # when a train job names it
    response = world.train(data=[{"dataset_id": ds}])
    # then the dataset and exactly the unknown ids are named (255 is ignored, not unknown)
    _refused(response, "params.data[0].dataset_id", "'odd'", "9, 200")
    assert response.json()["ids"] == [9, 200]
    _no_train_job(world.client)


def test_a_split_without_frames_is_refused_with_the_splits_there_are(world: World) -> None:
    ds = world.dataset("city")
    response = world.train(data=[{"dataset_id": ds, "split": "test"}])
    _refused(response, "params.data[0].dataset_id", "'test'", "'train': 1", "'val': 1")
    response = world.train(data=[{"dataset_id": ds}], val=[{"dataset_id": ds, "split": "dev"}])
    _refused(response, "params.val[0].dataset_id", "'dev'")
    _no_train_job(world.client)


def test_a_colour_label_dataset_is_refused(world: World) -> None:
    ds = world.dataset("painted", label_encoding="color")
    _refused(world.train(data=[{"dataset_id": ds}]), "params.data[0].dataset_id", "colour")
    _no_train_job(world.client)


def test_a_pseudo_label_job_must_exist_be_finished_and_label_the_students_ids(
    world: World,
) -> None:
    # given a source and pseudo_label jobs: unfinished, finished on another taxonomy, good
    source = world.dataset("city")
    queued = world.pseudo_label_job(succeeded=False)
    foreign = world.pseudo_label_job(OTHER)
    good = world.pseudo_label_job()

    def data(job_id: int) -> list[dict[str, Any]]:
        return [{"dataset_id": source}, {"pseudo_label_job": job_id, "weight": 0.5}]

    field = "params.data[1].pseudo_label_job"
    # then a missing, an unfinished, a non-pseudo_label and a foreign job are refused
    _refused(world.train(data=data(999)), field, "job 999 does not exist")
    _refused(world.train(data=data(queued)), field, f"pseudo_label job {queued} is queued")
    _refused(world.train(data=data(foreign)), field, "'grass'", "'tiny'")
    index_job = world.client.get("/api/jobs", params={"kind": "index"}).json()["items"][0]["id"]
    _refused(world.train(data=data(index_job)), field, "is a index job")
    _no_train_job(world.client)
    # and the good one is accepted
    with session_scope(world.factory) as session:
        params = TrainParams(
            taxonomy_id=world.tiny, data=data(good), model={"preset": "segformer-nano"}, steps=10
        )  # type: ignore[arg-type]
        assert job_service.create_job(session, world.settings, params, "t").kind == "train"


def test_a_stored_mappings_source_must_be_the_students_taxonomy(world: World) -> None:
    # given a pseudo_label job on a stored mapping onto "other"
    world.client.post(
        "/api/taxonomies",
        json={"name": "ext", "kind": "extra", "classes": [{"id": 0, "name": "street"}]},
    )
    rows = [{"source_id": 0, "source_name": "grass", "extra_labels": ["street"]}]
    created = world.client.post(
        "/api/mappings",
        json={
            "name": "ext-to-other",
            "extra_taxonomy": "ext",
            "source_taxonomy": "other",
            "rows": rows,
        },
    )
    assert created.status_code == 201, created.text
    teacher = world.data / "teacher"
    teacher.mkdir()
    params = PseudoLabelParams(
        model=ModelRef(path=str(teacher)),
        images_dir=str(world.data),
        labels_dir=str(world.data),
        mapping=MappingRef(mapping_id=created.json()["id"]),
    )
    with session_scope(world.factory) as session:
        job_id = job_service.create_job(session, world.settings, params, "t", local_models=True).id
        job_repository.finalize_job(session, job_id, "succeeded", outputs={"output_dir": "/x"})
    # when a train job on "tiny" names it, then it is refused naming the mapping's source
    response = world.train(data=[{"pseudo_label_job": job_id}])
    _refused(response, "params.data[0].pseudo_label_job", "'other'", "mapping's source")
    _no_train_job(world.client)


def test_start_weights_of_other_classes_need_a_new_head(world: World) -> None:
    # given a model registered on "other" and a folder naming other classes
    foreign = world.model("grass-model", [c.name for c in OTHER.classes], world.other)
    folder = world.model_folder("loose", ["a", "b"])
    source = world.dataset("city")
    data = [{"dataset_id": source}]
    # when they start a student that keeps their head, then they are refused
    keep = {"init_head": False}
    response = world.train(data=data, model={"init": {"id": foreign}, **keep})
    _refused(response, "params.model.init.id", "'grass-model'", "'other'", "init_head")
    _no_train_job(world.client)
    # and so is a local folder the operator names (the API names models by id only)
    local = TrainParams(
        taxonomy_id=world.tiny,
        data=data,
        model={"init": {"path": str(folder)}, **keep},  # type: ignore[arg-type]
        steps=10,
    )
    with session_scope(world.factory) as session, pytest.raises(InvalidInput) as refused:
        job_service.create_job(session, world.settings, local, "t", local_models=True)
    assert refused.value.extra["field"] == "params.model.init.path"
    assert "id2label" in refused.value.message and "init_head" in refused.value.message
    # and with a new head they are accepted
    with session_scope(world.factory) as session:
        for init in ({"id": foreign}, {"path": str(folder)}):
            model = {"init": init, "init_head": True}
            params = TrainParams(taxonomy_id=world.tiny, data=data, model=model, steps=10)  # type: ignore[arg-type]
            job_service.create_job(session, world.settings, params, "t", local_models=True)


def test_a_taken_name_and_a_folder_outside_the_roots_are_refused(
    world: World, tmp_path: Path
) -> None:
    source = world.dataset("city")
    world.model("student", NAMES, world.tiny)
    response = world.train(data=[{"dataset_id": source}], register_as="student")
    assert response.status_code == 409 and "'student' already exists" in response.json()["detail"]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    folders = {"images_dir": str(outside), "labels_dir": str(outside)}
    response = world.train(data=[{"dataset_id": source}, folders])
    assert response.status_code == 403, response.text
    assert "params.data[1].images_dir" in response.text
    _no_train_job(world.client)
