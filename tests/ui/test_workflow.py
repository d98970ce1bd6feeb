"""The main workflow end to end: real Chromium, the real API and its in-process job runner.

One server over a home with the demo world, the shipped catalog and a teacher that loads
like any saved model (``colour_teacher``: a nano SegFormer fitted in a second). The steps
run in order in one test, as a user would take them:

1. import a reference mapping, see its lint error and apply the suggestion;
2. toggle a cell in the matrix view and watch the live preview change;
3. save, meet a 409 from a concurrent edit, and resolve it;
4. sample every 20th frame and verify a cell with a frame;
5. start a pseudo-label job from its form and watch it finish;
6. start an evaluation and open its heatmap.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ontolabel.demo.scenes import FINE_CLASSES
from playwright.sync_api import expect
from worker.colour_teacher import colour_teacher_dir  # tests/worker (tests/ is on sys.path)

from .conftest import _serving, page_on, server_env, shot

pytestmark = pytest.mark.browser

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "data-priors" / "datasets"
COCO_CSV = REFERENCE / "coco" / "lists" / "master_labels_mapillary.csv"
"""The paper's COCO → Mapillary file: 'tree-mergedvoid' lost its comma."""


def _ontolabel(home: Path, *args: str) -> None:
    ontolabel = str(Path(sys.executable).parent / "ontolabel")
    subprocess.run([ontolabel, *args], env=server_env(home), check=True, capture_output=True)


@pytest.fixture(scope="module")
def world(frontend_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A served home with the demo world, the catalog and ``colour-teacher`` registered."""
    home = tmp_path_factory.mktemp("workflow-home")
    _ontolabel(home, "db", "upgrade")
    _ontolabel(home, "demo", "--frames", "12")  # two per stream: the jobs stay short
    _ontolabel(home, "ontologies", "load")
    teacher = home / "models" / "colour-teacher"
    colour_teacher_dir(teacher, home / "demo" / "demo-source", [n for n, _ in FINE_CLASSES])
    with _serving(home) as url, httpx.Client(base_url=url, timeout=10) as api:
        fine = _by_name(api, "/api/taxonomies", "demo-fine")
        registered = api.post(
            "/api/models",
            json={"name": "colour-teacher", "taxonomy_id": fine["id"], "kind": "hf_dir",
                  "path": str(teacher)},
        )  # fmt: skip
        assert registered.status_code == 201, registered.text
        yield url


def _by_name(api: httpx.Client, path: str, name: str) -> dict[str, Any]:
    items = api.get(path, params={"limit": 1000}).json()["items"]
    found: dict[str, Any] = next(i for i in items if i["name"] == name)
    return found


def _wait_for_defaults(page: Any, *patterns: str) -> None:
    """The form fills its defaults once the pickers' lists arrive: wait for them in the
    request body it would send, or "Queue job" races them."""
    body = page.locator("form details pre")
    for pattern in patterns:
        expect(body).to_contain_text(re.compile(pattern))


@pytest.fixture
def wpage(browser: Any, world: str) -> Iterator[Any]:
    with page_on(browser, world, width=1500, height=950, timeout_ms=20_000) as pg:
        yield pg


def test_the_main_workflow_from_reference_mapping_to_evaluation(wpage: Any, world: str) -> None:
    page = wpage
    api = httpx.Client(base_url=world, timeout=10)
    # 1. import the paper's COCO → Mapillary file, see its lint error, apply the suggestion
    page.goto("/#/mappings")
    page.get_by_text("import file").click()
    page.get_by_label("mapping file").set_input_files(str(COCO_CSV))
    page.get_by_label("extra taxonomy").select_option("coco")
    page.get_by_label("source taxonomy").select_option("mapillary-63")
    page.get_by_placeholder("name (optional)").fill("coco-paper")
    page.get_by_role("button", name="Import").click()
    panel = page.get_by_test_id("lint-panel")
    typo = panel.get_by_test_id("finding").filter(has_text="'tree-mergedvoid'")
    expect(typo).to_be_visible()
    shot(page, "workflow-1-lint")
    typo.get_by_role("button", name="Apply suggestion").click()
    expect(panel.get_by_test_id("finding").filter(has_text="'tree-mergedvoid'")).to_have_count(0)
    page.get_by_label("revision message").fill("comma restored")
    page.get_by_role("button", name="Save revision").click()
    expect(page.get_by_text("Saved revision 2.")).to_be_visible()
    coco = _by_name(api, "/api/mappings", "coco-paper")
    rows = api.get(f"/api/mappings/{coco['id']}").json()["head"]["rows"]
    assert any({"tree-merged", "void"} <= set(r["extra_labels"]) for r in rows)

    # 2. the demo's coarse mapping: toggle a cell in the matrix, watch the live preview change
    mapping = _by_name(api, "/api/mappings", "demo-coarse → demo-fine")
    coarse = _by_name(api, "/api/datasets", "demo-coarse")
    page.goto(f"/#/mappings/{mapping['id']}")
    page.get_by_test_id("preview-dataset").select_option(str(coarse["id"]))
    image = page.get_by_test_id("preview-image")
    expect(image).to_be_visible(timeout=120_000)
    stats = page.get_by_test_id("preview-stats")
    expect(stats).to_contain_text("ignored")
    before = stats.inner_text()
    page.get_by_test_id("view-matrix").click()
    page.get_by_test_id("mapping-matrix").get_by_label("sky · sky", exact=True).click()
    expect(page.get_by_text("1 unsaved change")).to_be_visible()
    expect(stats).not_to_have_text(before)
    shot(page, "workflow-2-matrix-preview")

    # 3. someone else saves first: the 409 is explained, re-applied and saved
    head = api.get(f"/api/mappings/{mapping['id']}").json()["head"]
    theirs = [
        {**r, "extra_labels": [*r["extra_labels"], "background"]}
        if r["source_name"] == "pole" else r
        for r in head["rows"]
    ]  # fmt: skip
    saved = api.put(
        f"/api/mappings/{mapping['id']}",
        json={"base_revision": head["number"], "message": "poles", "rows": theirs},
    )
    assert saved.status_code == 200, saved.text
    page.get_by_label("revision message").fill("sky is never labelled")
    page.get_by_role("button", name="Save revision").click()
    expect(page.get_by_test_id("conflict")).to_contain_text("meanwhile")
    shot(page, "workflow-3-conflict")
    page.get_by_role("button", name="Reload and re-apply my edits").click()
    page.get_by_role("button", name="Save revision").click()
    expect(page.get_by_text(f"Saved revision {head['number'] + 2}.")).to_be_visible()
    rows = {
        r["source_name"]: r
        for r in api.get(f"/api/mappings/{mapping['id']}").json()["head"]["rows"]
    }
    assert "background" in rows["pole"]["extra_labels"]
    assert "sky" not in rows["sky"]["extra_labels"]

    # 4. every 20th frame as a sample set; verify a cell with one of its frames
    page.goto(f"/#/datasets/{coarse['id']}?every=20")
    expect(page.get_by_test_id("frame-count")).to_be_visible()
    page.once("dialog", lambda d: d.accept("every 20th"))
    page.get_by_role("button", name="Save as sample set").click()
    expect(page.get_by_text("Saved sample set “every 20th”")).to_be_visible()
    sample = api.get(f"/api/datasets/{coarse['id']}/sample-sets").json()["items"][0]
    page.goto(f"/#/mappings/{mapping['id']}")
    page.get_by_test_id("preview-dataset").select_option(str(coarse["id"]))
    page.get_by_label("preview frames from").select_option(f"sample:{sample['id']}")
    expect(page.get_by_test_id("preview-frame")).to_contain_text(f"(1/{len(sample['frame_ids'])})")
    expect(image).to_be_visible(timeout=120_000)
    page.get_by_label("cell to verify").select_option(index=1)
    page.get_by_test_id("verify-confirm").click()
    expect(page.get_by_test_id("verify-state")).to_contain_text("confirmed")
    found = api.get("/api/verifications", params={"mapping_id": mapping["id"]}).json()["items"]
    assert [v["decision"] for v in found] == ["confirmed"]
    assert found[0]["evidence_frame_ids"][0] in sample["frame_ids"]
    shot(page, "workflow-4-verified")

    # 5. pseudo-label the sample from the job form (defaults: the mapping, the teacher)
    page.goto(f"/#/jobs/new?kind=pseudo_label&dataset_id={coarse['id']}")
    _wait_for_defaults(page, r'"model": \{\s*"id": \d', r'"mapping_id": \d')
    page.get_by_role("button", name="Queue job").click()
    expect(page.get_by_test_id("job-status")).to_have_text("succeeded", timeout=240_000)
    shot(page, "workflow-5-pseudo-label")

    # 6. evaluate the teacher on the source dataset and open its confusion heatmap
    source = _by_name(api, "/api/datasets", "demo-source")
    page.goto(f"/#/jobs/new?kind=evaluate&dataset_id={source['id']}")
    _wait_for_defaults(page, r'"model": \{\s*"id": \d', r'"class_ids": \[\s*\d')
    page.get_by_role("button", name="Queue job").click()
    expect(page.get_by_test_id("job-status")).to_have_text("succeeded", timeout=240_000)
    evaluation = api.get("/api/models/evaluations").json()["items"][0]
    page.goto(f"/#/evaluations/{evaluation['id']}")
    expect(page.locator("canvas").first).to_be_visible()
    expect(page.get_by_text("Confusion matrix", exact=True)).to_be_visible()
    shot(page, "workflow-6-evaluation")
    api.close()
