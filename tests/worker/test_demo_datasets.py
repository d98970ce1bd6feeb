"""Labelling a registered dataset by id: the demo's colour-label dataset end to end."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient
from ontolabel.core.config import Settings
from ontolabel.datasets.tables import Dataset, Frame
from ontolabel.demo.scenes import FINE_TAXONOMY
from ontolabel.demo.world import install_demo
from ontolabel.domain.taxonomy import VOID_ID
from ontolabel.mappings.tables import MappingRecord
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .conftest import segformer_dir
from .test_kinds import _run


def test_pseudo_label_and_preview_a_dataset_with_colour_labels(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given the demo world (demo-citylike ships colour label PNGs) and a random teacher
    install_demo(settings, frames_per_dataset=6, size=(96, 48), echo=lambda _m: None)
    names = [c.name for c in FINE_TAXONOMY.classes if c.id != VOID_ID]
    with session_factory() as session:
        dataset = session.scalars(select(Dataset).where(Dataset.name == "demo-citylike")).one()
        mapping = session.scalars(
            select(MappingRecord).where(MappingRecord.extra_taxonomy_id == dataset.taxonomy_id)
        ).one()
        source_id, dataset_id, mapping_id = mapping.source_taxonomy_id, dataset.id, mapping.id
        frame_id = session.scalars(select(Frame.id).where(Frame.dataset_id == dataset_id)).first()
    teacher = segformer_dir(settings.allowed_data_roots[0] / "teacher", names)
    model = client.post(
        "/api/models",
        json={"name": "t", "taxonomy_id": source_id, "kind": "hf_dir", "path": str(teacher)},
    ).json()
    light = {"scales": [1.0], "flip": False}
    options = {"device": "cpu", "num_workers": 0}
    # when a pseudo_label job and a preview job run on the dataset by id
    job = _run(
        session_factory, settings, "pseudo_label",
        {"model": {"id": model["id"]}, "dataset_id": dataset_id,
         "mapping": {"mapping_id": mapping_id}, "tta": light, "options": options},
    )  # fmt: skip
    _run(
        session_factory, settings, "preview",
        {"model": {"id": model["id"]}, "dataset_id": dataset_id, "frame_ids": [frame_id],
         "tta": light, "device": "cpu"},
    )  # fmt: skip
    # then all six frames are labelled, sky (never labelled: 'unlabeled') included
    assert job.outputs["labelled"] == 6 and job.outputs["errors"] == 0
    pngs = sorted((settings.outputs / str(job.id)).rglob("*.png"))
    assert len(pngs) == 6
    ids = np.asarray(Image.open(pngs[0]))
    assert ids.shape == (48, 96) and set(np.unique(ids).tolist()) <= {*range(11), VOID_ID}
    # and the frame's preview is served as a PNG
    response = client.get(
        f"/api/frames/{frame_id}/preview",
        params={"model_id": model["id"], "mapping_id": mapping_id, "layer": "difference"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
