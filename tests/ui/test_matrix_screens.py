"""The mapping editor's matrix view, suggestion heatmap, inverse and compose tabs."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from support.suggestions import planted_outputs

from .conftest import shot
from .seed import EXTRA_LABELS, ROWS, SOURCE_CLASSES, finished_job, home_sessions, seed_ontology

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"


def _cell(page: Any, source: str, label: str) -> Any:
    return page.get_by_test_id("mapping-matrix").get_by_label(f"{source} · {label}", exact=True)


def _expect_size(page: Any, rows: int, cols: int) -> None:
    expect(page.get_by_test_id("matrix-size")).to_have_text(f"{rows} \u00d7 {cols} shown")


def _row(page: Any, name: str) -> Any:
    return page.locator(f'[data-testid=mapping-rows] tr[data-source="{name}"]')


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.is_success, f"{response.request.url}: {response.status_code} {response.text}"
    body: dict[str, Any] = response.json()
    return body


def test_the_matrix_edits_the_rows_draft_by_mouse_and_keyboard_and_saves(
    page: Any, api: httpx.Client
) -> None:
    # given: a mapping whose source and extra taxonomies both hold a class named like markup
    tag = uuid.uuid4().hex[:6]
    source = _ok(api.post("/api/taxonomies", json={
        "name": f"xss-src-{tag}", "kind": "source",
        "classes": [{"id": i, "name": n} for i, n, _ in SOURCE_CLASSES] + [{"id": 11, "name": XSS}],
    }))  # fmt: skip
    extra = _ok(api.post("/api/taxonomies", json={
        "name": f"xss-extra-{tag}", "kind": "extra",
        "classes": [{"id": i, "name": n} for i, n in enumerate([*EXTRA_LABELS, XSS])],
    }))  # fmt: skip
    rows = [
        {"source_id": i, "source_name": n, "extra_labels": ROWS[n]} for i, n, _ in SOURCE_CLASSES
    ]
    rows.append({"source_id": 11, "source_name": XSS, "extra_labels": [XSS, "retired label"]})
    mapping = _ok(api.post("/api/mappings", json={
        "name": f"matrix-{tag}", "extra_taxonomy": extra["name"],
        "source_taxonomy": source["name"], "rows": rows,
    }))  # fmt: skip
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"/#/mappings/{mapping['id']}")
    expect(_row(page, "building")).to_contain_text("wall")
    # when: the matrix view is chosen
    page.get_by_test_id("view-matrix").click()
    matrix = page.get_by_test_id("mapping-matrix")
    # then: one cell per class and label, the mapped ones checked; a label outside the
    # taxonomy is a marked column; the markup-named class is text in both headers
    _expect_size(page, 6, 10)
    expect(_cell(page, "building", "wall")).to_have_attribute("aria-selected", "true")
    expect(_cell(page, "building", "tunnel")).to_have_attribute("aria-selected", "false")
    expect(matrix.locator("th.mx-col.stray")).to_have_text("retired label")
    expect(matrix.locator("th.mx-row", has_text=XSS)).to_be_visible()
    expect(matrix.locator("th.mx-col", has_text=XSS)).to_be_visible()
    assert matrix.locator("img").count() == 0
    shot(page, "mapping-matrix")

    # when: a cell is clicked, then the focus moves down and Space toggles that cell
    _cell(page, "building", "tunnel").click()
    expect(_cell(page, "building", "tunnel")).to_have_attribute("aria-selected", "true")
    expect(_cell(page, "building", "tunnel")).to_have_class(re.compile(r"\badd\b"))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    # and: the sky row loses its label by Enter after Home/End moves
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Home")
    page.keyboard.press("End")
    page.keyboard.press("Enter")  # sky x the last column, the stray label: added
    # then
    expect(_cell(page, "vegetation", "tunnel")).to_have_attribute("aria-selected", "true")
    expect(_cell(page, "sky", "retired label")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_text("3 unsaved changes")).to_be_visible()

    # when: filtered by a label name (no class matches): every row, that column only
    page.get_by_test_id("matrix-filter").fill("tunn")
    _expect_size(page, 6, 1)
    page.get_by_test_id("matrix-filter").fill("sky")  # a class and a label
    _expect_size(page, 1, 1)
    page.get_by_test_id("matrix-filter").fill("")

    # when: back in the row view, the same draft shows; a chip removed there shows in the matrix
    page.get_by_test_id("view-rows").click()
    expect(_row(page, "building")).to_contain_text("tunnel")
    expect(_row(page, "vegetation")).to_contain_text("tunnel")
    chip = _row(page, "vegetation").locator(".chip", has_text="tunnel")
    chip.get_by_label("remove label").click()
    page.get_by_test_id("view-matrix").click()
    expect(_cell(page, "vegetation", "tunnel")).to_have_attribute("aria-selected", "false")
    expect(page.get_by_text("2 unsaved changes")).to_be_visible()
    # when: saved
    page.get_by_label("revision message").fill("tunnel is a building")
    page.get_by_role("button", name="Save revision").click()
    # then
    expect(page.get_by_test_id("head-revision")).to_have_text("2")
    saved = _ok(api.get(f"/api/mappings/{mapping['id']}"))["head"]["rows"]
    by_name = {r["source_name"]: r["extra_labels"] for r in saved}
    assert by_name["building"] == ["building", "wall", "tunnel"]
    assert by_name["sky"] == ["sky", "retired label"]
    # the chosen view is remembered
    page.reload()
    expect(page.get_by_test_id("mapping-matrix")).to_be_visible()

    # when: the inverse tab
    page.get_by_test_id("tab-inverse").click()
    inverse = page.get_by_test_id("inverse-table")
    expect(inverse.locator('tr[data-label="tunnel"]')).to_contain_text("building")
    expect(inverse.locator('tr[data-label="wall"]')).to_contain_text("building")
    expect(inverse.locator("tr", has_text=XSS).first).to_be_visible()
    assert inverse.locator("img").count() == 0
    shot(page, "mapping-inverse")
    assert dialogs == []


def test_the_heatmap_marks_a_suggested_cell_and_one_click_adds_it_to_the_draft(
    page: Any, api: httpx.Client, ui_home: Path
) -> None:
    # given: a finished suggest job whose teacher sees tunnel pixels as building
    seeded = seed_ontology(api)
    mapping = seeded["mapping"]
    truth = {"road": "road", "sidewalk": "sidewalk", "building": "building", "wall": "building",
             "tree": "vegetation", "sky": "sky", "tunnel": "building"}  # fmt: skip
    outputs = planted_outputs(
        EXTRA_LABELS, [(i, n) for i, n, _ in SOURCE_CLASSES], ROWS, truth, void=["unlabeled"]
    )
    outputs["mapping"] = {"mapping_id": mapping["id"], "revision": 1, "mapping": mapping["name"]}
    outputs["frame_ids"] = {"seq0/cam0_000.png": 4242}
    params = {"model": {"id": 1}, "mapping": {"mapping_id": mapping["id"], "revision": 1}}
    job_id = finished_job(home_sessions(ui_home), "suggest", params, outputs)
    # when
    page.goto(f"/#/mappings/{mapping['id']}")
    page.get_by_test_id("view-matrix").click()
    # then: the planted cell is coloured as an add suggestion, with a legend and the job named
    cell = _cell(page, "building", "tunnel")
    expect(cell).to_have_attribute("data-hint", "add")
    expect(cell).to_have_attribute("aria-selected", "false")
    panel = page.get_by_test_id("suggestions")
    expect(panel.get_by_role("link", name=f"job {job_id}")).to_be_visible()
    expect(page.get_by_test_id("heatmap-legend")).to_contain_text("conflict")
    item = panel.get_by_test_id("suggestion-add").filter(has_text="tunnel")
    expect(item).to_contain_text("building")
    # evidence frames: a link where the dataset holds the frame, the path as text otherwise
    expect(item.get_by_role("link", name="seq0/cam0_000.png")).to_have_attribute(
        "href", "#/frames/4242"
    )
    expect(item.get_by_text("seq0/cam0_001.png")).to_be_visible()
    expect(panel.get_by_test_id("suspect-frames")).to_contain_text("seq0/cam0_000.png")
    # when: applied with one click
    panel.get_by_role("button", name="add tunnel to building").click()
    # then: it is in the draft, unsaved
    expect(cell).to_have_attribute("aria-selected", "true")
    expect(page.get_by_text("1 unsaved change")).to_be_visible()
    expect(panel.get_by_role("button", name="add tunnel to building")).to_have_text("applied")
    shot(page, "mapping-suggestions")
    assert _ok(api.get(f"/api/mappings/{mapping['id']}"))["head_revision"] == 1
    # when: the heatmap is switched off, the cell loses its colour but keeps its state
    page.get_by_label("show suggestion heatmap").uncheck()
    expect(cell).not_to_have_attribute("data-hint", "add")
    # the Suggest… button opens the suggest form for this mapping
    link = panel.get_by_test_id("suggest-link")
    expect(link).to_have_attribute("href", f"#/jobs/new?kind=suggest&mapping_id={mapping['id']}")


def test_compose_previews_the_chained_rows_and_creates_the_mapping(
    page: Any, api: httpx.Client
) -> None:
    # given: apollo → city, and city → a coarse taxonomy
    seeded = seed_ontology(api)
    tag = uuid.uuid4().hex[:6]
    coarse = _ok(api.post("/api/taxonomies", json={
        "name": f"coarse-{tag}", "kind": "source",
        "classes": [{"id": 0, "name": "flat"}, {"id": 1, "name": "construction"},
                    {"id": 2, "name": "nature"}],
    }))  # fmt: skip
    second = _ok(api.post("/api/mappings", json={
        "name": f"city-to-coarse-{tag}", "extra_taxonomy": seeded["source"]["name"],
        "source_taxonomy": coarse["name"],
        "rows": [
            {"source_id": 0, "source_name": "flat", "extra_labels": ["road", "sidewalk"]},
            {"source_id": 1, "source_name": "construction", "extra_labels": ["building"]},
            {"source_id": 2, "source_name": "nature", "extra_labels": ["vegetation", "sky"]},
        ],
    }))  # fmt: skip
    page.goto(f"/#/mappings/{seeded['mapping']['id']}?tab=compose")
    # when: the second mapping is picked
    page.get_by_label("second mapping").select_option(str(second["id"]))
    # then: the composed rows, apollo labels onto coarse classes
    rows = page.get_by_test_id("compose-rows")
    expect(rows.locator('tr[data-source="construction"]')).to_contain_text("wall")
    expect(rows.locator('tr[data-source="nature"]')).to_contain_text("tree")
    # when: created under a name
    name = f"apollo-to-coarse-{tag}"
    page.get_by_label("composed mapping name").fill(name)
    page.get_by_role("button", name="Create mapping").click()
    # then: the new mapping opens
    expect(page.get_by_role("heading", name=re.compile(name))).to_be_visible()
    assert any(m["name"] == name for m in _ok(api.get("/api/mappings"))["items"])
