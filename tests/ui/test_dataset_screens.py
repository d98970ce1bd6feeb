"""Dataset screens: summary, frame grid with sampling rules, occurrence, frame detail."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import shot
from .seed import SOURCE_CLASSES, seed_dataset, seed_ontology

pytestmark = pytest.mark.browser


def test_frame_grid_samples_frames_and_opens_a_frame(
    page: Any, api: httpx.Client, ui_home: Path
) -> None:
    # given: an indexed dataset of 8 frames (2 sequences x 2 cameras x 2)
    extra = seed_ontology(api)["extra"]
    dataset = seed_dataset(api, ui_home, extra["name"])["dataset"]
    # when
    page.goto("/#/datasets")
    listed = page.get_by_test_id("dataset-table").get_by_role("link", name=dataset["name"])
    expect(listed).to_be_visible()
    shot(page, "19-datasets")
    listed.click()
    # then: thumbnails load
    grid = page.get_by_test_id("frame-grid")
    expect(grid.locator("img")).to_have_count(8)
    grid.locator("img").first.evaluate("img => img.decode()")
    assert grid.locator("img").first.evaluate("img => img.naturalWidth") > 0
    expect(page.get_by_test_id("dataset-summary")).to_contain_text("8 (8 indexed)")
    shot(page, "20-dataset-frames")
    # when: sampling rules narrow the grid
    page.get_by_label("every nth").fill("2")
    page.get_by_label("every nth").press("Enter")
    expect(grid.locator("img")).to_have_count(4)
    page.get_by_label("camera").select_option("cam0")
    expect(grid.locator("img")).to_have_count(2)
    # when: the rule is kept as a named sample set
    page.once("dialog", lambda dialog: dialog.accept("cam0 every 2nd"))
    page.get_by_role("button", name="Save as sample set").click()
    expect(page.get_by_text("Saved sample set “cam0 every 2nd” with 2 frames.")).to_be_visible()
    page.get_by_role("button", name="Clear").click()
    expect(grid.locator("img")).to_have_count(8)  # the cleared rule is applied first
    page.get_by_label("label", exact=True).select_option("tunnel")
    expect(grid.locator("img")).to_have_count(4)
    # when: the occurrence tab
    page.get_by_role("button", name="Label occurrence").click()
    table = page.get_by_test_id("occurrence-table")
    expect(table.locator("tr", has_text="sky")).to_contain_text("100.0%")
    shot(page, "21-dataset-occurrence")
    # when: a frame is opened
    table.get_by_role("link", name="tunnel").click()
    grid.locator("a.thumb").first.click()
    expect(page.get_by_test_id("frame-histogram")).to_contain_text("tunnel")
    image = page.get_by_test_id("frame-image")
    expect(image).to_have_attribute("src", re.compile("overlay"))
    page.get_by_role("button", name="label", exact=True).click()
    expect(image).to_have_attribute("src", re.compile("/label$"))
    image.evaluate("img => img.decode()")
    expect(page.get_by_text("No teacher model registered yet.")).to_be_visible()
    shot(page, "22-frame-detail")


def test_the_preview_runs_the_teacher_on_a_frame_whose_output_is_not_cached(
    page: Any, api: httpx.Client, ui_home: Path
) -> None:
    # given: an indexed dataset, its mapping and a registered (random, tiny) teacher
    seeded = seed_ontology(api)
    dataset = seed_dataset(api, ui_home, seeded["extra"]["name"])["dataset"]
    teacher = _tiny_teacher(ui_home / f"teacher-{dataset['id']}", [n for _, n, _ in SOURCE_CLASSES])
    model = api.post(
        "/api/models",
        json={
            "name": f"teacher-{dataset['id']}",
            "taxonomy_id": seeded["source"]["id"],
            "kind": "hf_dir",
            "path": str(teacher),
        },
    )
    assert model.status_code == 201, model.text
    try:
        frame = api.get(f"/api/datasets/{dataset['id']}/frames").json()["items"][0]
        # when: the frame is opened, nothing is cached yet, so the panel offers to run it
        page.goto(f"/#/frames/{frame['id']}")
        expect(page.get_by_text("no cached teacher probabilities")).to_be_visible()
        page.get_by_role("button", name="Run the teacher on this frame").click()
        # then: a preview job runs and the constrained pseudo-label appears
        preview = page.get_by_alt_text("pseudo-label preview")
        expect(preview).to_be_visible(timeout=90_000)
        preview.evaluate("img => img.decode()")
        assert preview.evaluate("img => img.naturalWidth") > 0
        jobs = api.get("/api/jobs", params={"kind": "preview"}).json()["items"]
        assert jobs[0]["status"] == "succeeded"
        assert jobs[0]["params"]["frame_ids"] == [frame["id"]]
        shot(page, "23-frame-preview")
    finally:  # the server is shared: other tests expect no teacher
        api.delete(f"/api/models/{model.json()['id']}")


def _tiny_teacher(path: Path, names: list[str]) -> Path:
    """A nano SegFormer with random weights whose ``id2label`` is ``names``, saved."""
    import torch
    from ontolabel_worker.ml.training.student import segformer_config
    from transformers import SegformerForSemanticSegmentation

    torch.manual_seed(0)
    SegformerForSemanticSegmentation(segformer_config(names, "nano")).save_pretrained(path)
    return path
