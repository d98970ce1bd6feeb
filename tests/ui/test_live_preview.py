"""The live preview beside the mapping editor: pick a teacher and a frame, let a preview job
cache it, watch the draft's pseudo-label follow edits, read pixels, verify a cell."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import shot
from .seed import EXTRA_LABELS, SOURCE_CLASSES, seed_dataset
from .test_dataset_screens import _tiny_teacher

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"


def _seed(api: httpx.Client) -> dict[str, Any]:
    """seed.py's taxonomies, but the extra label of the sky pixels is named ``XSS``."""
    tag = uuid.uuid4().hex[:6]
    source = api.post(
        "/api/taxonomies",
        json={
            "name": f"live-city-{tag}",
            "kind": "source",
            "classes": [{"id": i, "name": n, "color": c} for i, n, c in SOURCE_CLASSES],
        },
    ).json()
    labels = [XSS if n == "sky" else n for n in EXTRA_LABELS]
    extra = api.post(
        "/api/taxonomies",
        json={
            "name": f"live-apollo-{tag}",
            "kind": "extra",
            "classes": [{"id": i, "name": n} for i, n in enumerate(labels)],
        },
    ).json()
    rows = {"road": ["road"], "sidewalk": ["sidewalk"], "building": ["building", "wall"]}
    rows |= {"vegetation": ["tree"], "sky": [XSS]}
    body = [
        {"source_id": i, "source_name": n, "extra_labels": rows[n]} for i, n, _ in SOURCE_CLASSES
    ]
    body.append({"source_id": 255, "source_name": "void", "extra_labels": ["unlabeled"]})
    mapping = api.post(
        "/api/mappings",
        json={
            "name": f"live-{tag}",
            "extra_taxonomy": extra["name"],
            "source_taxonomy": source["name"],
            "rows": body,
        },
    )
    assert mapping.status_code == 201, mapping.text
    return {"source": source, "extra": extra, "mapping": mapping.json()}


def _hover(page: Any, fx: float, fy: float) -> None:
    box = page.get_by_test_id("preview-stack").bounding_box()
    page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])


def _click(page: Any, fx: float, fy: float) -> None:
    stack = page.get_by_test_id("preview-stack")
    box = stack.bounding_box()
    stack.click(position={"x": fx * box["width"], "y": fy * box["height"]})


# Pixels of write_dataset_tree's odd frames (48 x 96): sky on top (here named XSS),
# tree in the middle band, a tunnel bottom left (in no row: ignored).
TOP, MIDDLE, TUNNEL = (0.5, 0.15), (0.5, 0.5), (0.1, 0.95)


def test_the_live_preview_follows_the_draft_explains_pixels_and_verifies_cells(
    page: Any, api: httpx.Client, ui_home: Path
) -> None:
    # given: a mapping, a dataset of its extra taxonomy and a teacher over its source taxonomy
    seeded = _seed(api)
    dataset = seed_dataset(api, ui_home, seeded["extra"]["name"])["dataset"]
    names = [n for _, n, _ in SOURCE_CLASSES]
    teacher = _tiny_teacher(ui_home / f"live-teacher-{dataset['id']}", names)
    model = api.post(
        "/api/models",
        json={
            "name": f"live-teacher-{dataset['id']}",
            "taxonomy_id": seeded["source"]["id"],
            "kind": "hf_dir",
            "path": str(teacher),
        },
    )
    assert model.status_code == 201, model.text
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    mapping_id = seeded["mapping"]["id"]
    try:
        # when: the editor opens and frames holding "tunnel" are searched for
        page.goto(f"/#/mappings/{mapping_id}")
        expect(page.get_by_test_id("preview-teacher")).to_have_value(str(model.json()["id"]))
        page.get_by_label("preview frames from").select_option("label")
        page.get_by_label("preview frames with label").select_option(label="tunnel")
        frame = api.get(
            f"/api/datasets/{dataset['id']}/occurrence/frames", params={"label": [7]}
        ).json()["items"][0]
        frame_text = page.get_by_test_id("preview-frame")
        expect(frame_text).to_have_text(f"{frame['key']} (1/4)")
        # then: nothing is cached yet, so a preview job runs for it, then the preview shows
        expect(page.get_by_test_id("preview-teacher-job")).to_contain_text("running the teacher")
        image = page.get_by_test_id("preview-image")
        expect(image).to_be_visible(timeout=90_000)
        stats = page.get_by_test_id("preview-stats")
        expect(stats).to_contain_text("ignored 3.5%")
        jobs = api.get("/api/jobs", params={"kind": "preview"}).json()["items"]
        mine = [j for j in jobs if j["params"]["frame_ids"][0] == frame["id"]]
        assert mine[0]["status"] == "succeeded"
        assert len(mine[0]["params"]["frame_ids"]) == 4  # the next frames are cached too

        # when: the page is opened again, the choice is remembered and the cache used
        page.reload()
        expect(frame_text).to_have_text(f"{frame['key']} (1/4)")
        expect(stats).to_contain_text("ignored 3.5%")
        before = image.get_attribute("src")

        # when: pixels are pointed at
        hover = page.get_by_test_id("preview-hover")
        _hover(page, *TOP)
        # then: the label is named as text (the XSS name runs nothing)
        expect(page.get_by_test_id("hover-extra-label")).to_have_text(XSS)
        expect(page.get_by_test_id("hover-chosen")).to_have_text("sky")
        assert hover.locator("img").count() == 0
        _hover(page, *TUNNEL)
        expect(page.get_by_test_id("hover-extra-label")).to_have_text("tunnel")
        expect(page.get_by_test_id("hover-allowed")).to_have_text("nothing: ignored")
        expect(page.get_by_test_id("hover-chosen")).to_have_text("void/ignored")

        # when: tunnel is added to the building row of the draft (not saved)
        page.get_by_label("add label to building").fill("tunnel")
        page.get_by_label("add label to building").press("Enter")
        # then: the pseudo-label follows
        expect(stats).to_contain_text("ignored 0.0%")
        assert image.get_attribute("src") != before
        _hover(page, *TUNNEL)
        expect(page.get_by_test_id("hover-allowed")).to_have_text("building")
        expect(page.get_by_test_id("hover-chosen")).to_have_text("building")

        # when: the tunnel pixel is pinned, its cell is only in the draft: it cannot be verified
        _click(page, *TUNNEL)
        expect(page.get_by_test_id("verify-not-in-base")).to_contain_text("revision 1")
        expect(page.get_by_test_id("verify-confirm")).to_be_disabled()
        # when: a tree pixel is pinned and confirmed
        _click(page, *MIDDLE)
        page.mouse.move(0, 0)
        expect(page.get_by_test_id("hover-extra-label")).to_have_text("tree")
        expect(page.get_by_test_id("preview-verify")).to_contain_text("decisions go to revision 1")
        page.get_by_test_id("verify-confirm").click()
        # then: the decision is recorded against the base revision, with the frame as evidence
        expect(page.get_by_test_id("verify-state")).to_contain_text("confirmed")
        found = api.get("/api/verifications", params={"mapping_id": mapping_id}).json()["items"]
        assert [(v["source_id"], v["extra_label"], v["decision"]) for v in found] == [
            (8, "tree", "confirmed")
        ]
        assert found[0]["revision_number"] == 1 and found[0]["evidence_frame_ids"] == [frame["id"]]
        shot(page, "mapping-live-preview")

        # when: Next is pressed, the next frame (cached by the same job) shows
        page.get_by_test_id("preview-next").click()
        expect(frame_text).to_have_text(re.compile(r"\(2/4\)$"))
        expect(page.get_by_test_id("preview-teacher-job")).to_have_count(0)
        expect(image).to_be_visible()
        assert dialogs == []
    finally:  # the server is shared: other tests expect no teacher
        api.delete(f"/api/models/{model.json()['id']}")
