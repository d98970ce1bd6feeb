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


XSS = "<img src=x onerror=alert(1)>"
"""A label name that would run script if any screen rendered names as HTML."""


def test_frame_grid_samples_frames_and_opens_a_frame(
    page: Any, api: httpx.Client, ui_home: Path
) -> None:
    # given: an indexed dataset of 8 frames (2 sequences x 2 cameras x 2) whose rare label
    # (id 7, in frames *_001) is named like markup
    seeded = seed_ontology(api)
    extra = seeded["extra"]
    dataset = seed_dataset(api, ui_home, extra["name"])["dataset"]
    _rename_class(api, extra["id"], 7, XSS)
    alerts: list[str] = []

    def on_dialog(dialog: Any) -> None:  # the sample-set prompt is answered below
        if dialog.type == "alert":
            alerts.append(dialog.message)
            dialog.dismiss()

    page.on("dialog", on_dialog)
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
    expect(page.get_by_test_id("frame-count")).to_contain_text("8 frames")
    expect(page.get_by_test_id("dataset-summary")).to_contain_text("8 (8 indexed)")
    # then: the class-frequency chart has a bar per label, in the API's order, its tooltip
    # naming the label as text
    labels = api.get(f"/api/datasets/{dataset['id']}/occurrence").json()["items"]
    expect(page.get_by_test_id("class-frequency-count")).to_have_text(
        re.compile(f"^{len(labels)} labels")
    )
    chart = page.get_by_test_id("class-frequency-chart")
    expect(chart.locator("canvas")).to_have_count(1)
    rare = next(i for i, o in enumerate(labels) if o["label_id"] == 7)
    _hover_bar(page, chart, len(labels), rare)
    expect(chart).to_contain_text(XSS)
    expect(chart).to_contain_text("frames: 4 (50.0%)")
    _hover_bar(page, chart, len(labels), 0)
    expect(chart).to_contain_text(labels[0]["name"])
    shot(page, "dataset-summary")
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
    # when: the rare label's bar is clicked, the grid shows the frames holding it
    _hover_bar(page, chart, len(labels), rare, click=True)
    expect(page).to_have_url(re.compile(r"label=7"))
    expect(grid.locator("img")).to_have_count(4)
    expect(page.get_by_label("label", exact=True)).to_have_value("7")
    # when: filtered by a source class through the mapping ("building" <- building, wall)
    page.get_by_label("filter mapping").select_option(seeded["mapping"]["name"])
    page.get_by_label("source class").select_option("building")
    expect(page).to_have_url(re.compile(r"source=2"))
    wanted = api.get(
        f"/api/datasets/{dataset['id']}/occurrence/frames",
        params={"mapping_id": seeded["mapping"]["id"], "source_id": 2},
    ).json()["items"]
    assert len(wanted) == 4 and all(f["frame"] == "000" for f in wanted)
    expect(grid.locator("a.thumb")).to_have_count(4)
    hrefs = grid.locator("a.thumb").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert [int(re.search(r"frames/(\d+)", h)[1]) for h in hrefs] == [f["id"] for f in wanted]  # type: ignore[index]
    shot(page, "frame-grid")
    # when: the occurrence tab
    page.get_by_role("button", name="Label occurrence").click()
    table = page.get_by_test_id("occurrence-table")
    expect(table.locator("tr", has_text="sky")).to_contain_text("100.0%")
    expect(table).to_contain_text(XSS)
    shot(page, "21-dataset-occurrence")
    # when: a frame of the source-class list is opened, it knows its place in that list
    page.go_back()
    grid.locator("a.thumb").first.click()
    expect(page).to_have_url(re.compile(r"i=0.*mapping=|mapping=.*i=0"))
    position = page.get_by_test_id("frame-position")
    expect(position).to_have_text("1 of 4")
    expect(page.get_by_test_id("frame-histogram")).to_contain_text("building")
    # then: j / → step to the next frame of the sample, k / ← back
    page.keyboard.press("j")
    expect(position).to_have_text("2 of 4")
    expect(page).to_have_url(re.compile(f"frames/{wanted[1]['id']}\\?"))
    page.keyboard.press("ArrowRight")
    expect(position).to_have_text("3 of 4")
    page.keyboard.press("k")
    expect(position).to_have_text("2 of 4")
    page.get_by_role("button", name="previous frame").click()
    expect(position).to_have_text("1 of 4")
    expect(page.get_by_role("button", name="previous frame")).to_be_disabled()
    # then: layers, image at the bottom and ground truth over it, toggled by 1-5
    image, truth = page.get_by_test_id("frame-image"), page.get_by_test_id("layer-label")
    expect(image).to_have_attribute("src", re.compile("/image$"))
    expect(truth).to_have_attribute("src", re.compile("/label$"))
    truth.evaluate("img => img.decode()")
    page.keyboard.press("2")
    expect(truth).to_have_count(0)
    page.keyboard.press("2")
    expect(truth).to_have_css("opacity", "0.5")
    page.keyboard.press("o")  # the ground truth was touched last: its opacity steps down
    expect(truth).to_have_css("opacity", "0.25")
    expect(page.get_by_test_id("legend-label")).to_contain_text("25%")
    page.keyboard.press("1")
    expect(image).to_have_count(0)
    page.keyboard.press("1")
    expect(image).to_be_visible()
    # then: without a teacher the preview layers are off and their keys do nothing
    expect(page.get_by_text("No teacher model registered yet.")).to_be_visible()
    expect(page.get_by_label("layer prediction")).to_be_disabled()
    page.keyboard.press("3")
    expect(page.get_by_test_id("layer-prediction")).to_have_count(0)
    # then: keys typed into a field are the field's
    page.get_by_label("ground truth opacity").focus()
    page.keyboard.press("j")
    expect(position).to_have_text("1 of 4")
    shot(page, "frame-view-layers")
    # then: the markup-like name is only ever text
    api_frames = api.get(
        f"/api/datasets/{dataset['id']}/occurrence/frames", params={"label": 7}
    ).json()["items"]
    page.goto(f"/#/frames/{api_frames[0]['id']}")
    expect(page.get_by_test_id("frame-histogram")).to_contain_text(XSS)
    assert alerts == []


def test_the_frame_grid_renders_only_visible_rows_and_loads_later_pages(
    page: Any, api: httpx.Client, ui_home: Path
) -> None:
    # given: 400 frames (2 sequences x 2 cameras x 100), pages of 100 fetched as needed
    extra = seed_ontology(api)["extra"]
    dataset = seed_dataset(api, ui_home, extra["name"], frames_per_camera=100)["dataset"]
    frames = api.get(f"/api/datasets/{dataset['id']}/frames", params={"limit": 400}).json()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/frames?" in r.url else None)
    # when
    page.goto(f"/#/datasets/{dataset['id']}")
    grid = page.get_by_test_id("frame-grid")
    expect(page.get_by_test_id("frame-count")).to_contain_text("400 frames")
    # then: one screenful (and a little) is rendered, not all 400
    expect(grid.locator("a.thumb").first).to_be_visible()
    rendered = grid.locator(".thumb").count()
    assert 0 < rendered < 100, rendered
    # when: scrolled to the end
    grid.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    last = frames["items"][-1]
    expect(grid.locator(f'a.thumb[href^="#/frames/{last["id"]}?"]')).to_be_visible()
    assert any("offset=300" in u for u in asked), asked
    assert grid.locator(".thumb").count() < 100
    # then: its link carries its place in the list
    link = grid.locator(f'a.thumb[href^="#/frames/{last["id"]}?"]')
    expect(link).to_have_attribute("href", re.compile(r"i=399"))


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


def _rename_class(api: httpx.Client, taxonomy_id: int, class_id: int, name: str) -> None:
    taxonomy = api.get(f"/api/taxonomies/{taxonomy_id}").json()
    classes = [
        {k: c[k] for k in ("id", "name", "train_id", "color", "category", "ignore") if k in c}
        | ({"name": name} if c["id"] == class_id else {})
        for c in taxonomy["classes"]
    ]
    r = api.put(
        f"/api/taxonomies/{taxonomy_id}", json={"version": taxonomy["version"], "classes": classes}
    )
    assert r.status_code == 200, r.text


def _hover_bar(page: Any, chart: Any, bars: int, index: int, click: bool = False) -> None:
    """Moves to (or clicks) the frame-share bar of category ``index`` (grid as in
    ``classFrequency.ts``: 56 px left, 16 right, 90 bottom; frames bar left of centre)."""
    box = chart.bounding_box()
    band = (box["width"] - 56 - 16) / bars
    x = box["x"] + 56 + band * (index + 0.3)
    y = box["y"] + box["height"] - 96
    page.mouse.move(x, y)
    if click:
        page.mouse.click(x, y)


def _tiny_teacher(path: Path, names: list[str]) -> Path:
    """A nano SegFormer with random weights whose ``id2label`` is ``names``, saved."""
    import torch
    from ontolabel_worker.ml.training.student import segformer_config
    from transformers import SegformerForSemanticSegmentation

    torch.manual_seed(0)
    SegformerForSemanticSegmentation(segformer_config(names, "nano")).save_pretrained(path)
    return path
