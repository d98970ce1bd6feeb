"""Dataset screens: summary, frame grid with sampling rules, occurrence, frame detail."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import shot
from .seed import seed_dataset, seed_ontology

pytestmark = pytest.mark.browser


def test_frame_grid_samples_frames_and_opens_a_frame(
    page: Any, api: httpx.Client, ui_home: Path
) -> None:
    # given: an indexed dataset of 8 frames (2 sequences x 2 cameras x 2)
    extra = seed_ontology(api)["extra"]
    dataset = seed_dataset(api, ui_home, extra["name"])["dataset"]
    # when
    page.goto(f"/#/datasets/{dataset['id']}")
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
