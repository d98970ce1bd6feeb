"""Jobs screens: list with progress and ETA, live log over SSE, per-frame errors, cancel;
job forms prefilled from a dataset; a pseudo-label job's output browsed frame by frame
with its stale count; registering a model."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from jobs.pseudo_label_output import finished_pseudo_label_job
from playwright.sync_api import expect

from .conftest import shot
from .seed import EXTRA_LABELS, ROWS, SOURCE_CLASSES, home_sessions, save_rows, seed_dataset

pytestmark = pytest.mark.browser


def _create_job(api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = api.post("/api/jobs", json={"kind": "ui_demo", "params": params})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_finished_job_shows_its_log_and_frame_errors(page: Any, api: httpx.Client) -> None:
    # given
    job = _create_job(api, units=6, sleep_s=0.05, bad_units=[2])
    # when
    page.goto(f"/#/jobs/{job['id']}")
    # then: the log streams in and the job ends
    expect(page.get_by_test_id("job-log")).to_contain_text("all frames done")
    expect(page.get_by_test_id("job-status")).to_have_text("succeeded")
    errors = page.get_by_test_id("frame-errors")
    expect(errors).to_contain_text("seq01/frame_0002.png")
    expect(errors).to_contain_text("label PNG is truncated")
    expect(page.get_by_test_id("job-eta")).to_contain_text("took")
    expect(page.get_by_test_id("job-percent")).to_have_text("100%")
    shot(page, "10-job-detail")

    page.locator("nav").get_by_role("link", name="Jobs", exact=True).click()
    row = page.get_by_test_id("job-table").locator("tr", has_text=f"{job['id']}")
    expect(row.first).to_contain_text("succeeded")
    shot(page, "11-jobs")
    page.get_by_label("job status").select_option("failed")
    expect(page.get_by_test_id("job-table").locator("tr", has_text="ui_demo")).to_have_count(0)
    page.get_by_label("job status").select_option("succeeded")
    expect(page.get_by_test_id("job-table")).to_contain_text("ui_demo")


def test_a_running_job_can_be_cancelled_from_its_page(page: Any, api: httpx.Client) -> None:
    # given: a job slow enough to still run while the page opens
    job = _create_job(api, units=100, sleep_s=0.3)
    page.goto(f"/#/jobs/{job['id']}")
    expect(page.get_by_test_id("job-log")).to_contain_text("frame 0 done")
    # and its ETA comes from its rate once there is signal (a percentage before)
    expect(page.get_by_test_id("job-eta")).to_contain_text(re.compile(r"~.+ left"))
    expect(page.get_by_test_id("job-percent")).to_contain_text("%")
    shot(page, "job-detail-eta")
    # when
    page.get_by_role("button", name="Cancel job").click()
    # then
    expect(page.get_by_test_id("job-status")).to_have_text("cancelled")
    assert api.get(f"/api/jobs/{job['id']}").json()["status"] == "cancelled"


XSS = "<img src=x onerror=alert(1)>"


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.is_success, f"{response.request.url}: {response.status_code} {response.text}"
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def labelled(api: httpx.Client, ui_home: Path) -> dict[str, Any]:
    """A source taxonomy (one class named like markup), an extra one and a mapping, an
    indexed dataset, a teacher, and a pseudo_label job that labelled the dataset."""
    tag = uuid.uuid4().hex[:6]
    classes = [{"id": i, "name": n, "color": c} for i, n, c in SOURCE_CLASSES]
    classes.append({"id": 13, "name": XSS, "color": "#ff0000"})
    source = _ok(
        api.post(
            "/api/taxonomies", json={"name": f"src-{tag}", "kind": "source", "classes": classes}
        )
    )
    extra_classes = [{"id": i, "name": n} for i, n in enumerate(EXTRA_LABELS)]
    extra = _ok(
        api.post(
            "/api/taxonomies",
            json={"name": f"ext-{tag}", "kind": "extra", "classes": extra_classes},
        )
    )
    rows = [
        {"source_id": i, "source_name": n, "extra_labels": ROWS[n]} for i, n, _ in SOURCE_CLASSES
    ]
    rows.append({"source_id": 255, "source_name": "void", "extra_labels": ["unlabeled"]})
    mapping = _ok(
        api.post(
            "/api/mappings",
            json={
                "name": f"ext-to-src-{tag}",
                "extra_taxonomy": extra["name"],
                "source_taxonomy": source["name"],
                "rows": rows,
            },
        )
    )
    dataset = seed_dataset(api, ui_home, extra["name"])["dataset"]
    model = {"name": f"teacher-{tag}", "taxonomy_id": source["id"], "kind": "hub"}
    teacher = _ok(api.post("/api/models", json={**model, "path": f"demo/teacher-{tag}"}))
    frames = _ok(api.get(f"/api/datasets/{dataset['id']}/frames", params={"limit": 100}))["items"]
    ids = np.zeros((48, 96), np.uint8)
    ids[:16], ids[16:32] = 10, 2  # sky over building over road
    ids[20:30, :30] = 13  # a patch of the class named like markup
    job_id = finished_pseudo_label_job(
        home_sessions(ui_home),
        ui_home / "outputs" / f"labels-{tag}",
        dataset_id=dataset["id"],
        mapping_id=mapping["id"],
        model_id=teacher["id"],
        labels={f["id"]: (f["label_path"], ids) for f in frames},
    )
    return {
        "tag": tag,
        "dataset": dataset,
        "mapping": mapping,
        "rows": rows,
        "teacher": teacher,
        "frames": frames,
        "job_id": job_id,
    }


def _no_dialogs(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("dialog", lambda d: (seen.append(d.message), d.dismiss()))
    return seen


def _chosen(page: Any, path: str) -> Any:
    return page.locator(f'select[data-path="{path}"] option:checked')


def test_job_forms_open_on_a_dataset_with_its_mapping_and_teacher(
    page: Any, api: httpx.Client, labelled: dict[str, Any]
) -> None:
    dataset, mapping, teacher = labelled["dataset"], labelled["mapping"], labelled["teacher"]
    # given the dataset's page: its header links to the job forms
    page.goto(f"/#/datasets/{dataset['id']}")
    page.get_by_test_id("new-pseudo_label").click()
    # then the pseudo_label form has the dataset's mapping and the teacher for it
    expect(_chosen(page, "dataset_id")).to_contain_text(dataset["name"])
    expect(_chosen(page, "mapping.mapping_id")).to_contain_text(mapping["name"])
    expect(_chosen(page, "model.id")).to_contain_text(teacher["name"])
    shot(page, "job-form-pseudo-label")
    # and the other kinds open with working defaults too
    for kind in ("evaluate", "preview", "suggest"):
        page.goto(f"/#/jobs/new?kind={kind}&dataset_id={dataset['id']}")
        expect(_chosen(page, "model.id")).to_contain_text(teacher["name"])
        if kind != "preview":
            expect(_chosen(page, "mapping.mapping_id")).to_contain_text(mapping["name"])
    # when a form the user did not touch is queued, the API takes it
    for kind in ("evaluate", "pseudo_label"):
        page.goto(f"/#/jobs/new?kind={kind}&dataset_id={dataset['id']}")
        expect(_chosen(page, "model.id")).to_contain_text(teacher["name"])
        if kind == "evaluate":
            expect(page.locator("pre.mono").last).to_contain_text('"class_ids"')
        page.get_by_role("button", name="Queue job").click()
        expect(page).to_have_url(re.compile(r"#/jobs/\d+$"))
        job_id = int(page.url.rsplit("/", 1)[1])
        api.post(f"/api/jobs/{job_id}/cancel")  # it need not run: the teacher is no real model
        job = _ok(api.get(f"/api/jobs/{job_id}"))
        assert job["kind"] == kind and job["params"]["model"]["id"] == teacher["id"]
        assert job["params"]["dataset_id"] == dataset["id"]
    # and a choice the user made is kept when the dataset changes
    page.goto(f"/#/jobs/new?kind=pseudo_label&model_id={teacher['id']}")
    expect(_chosen(page, "model.id")).to_contain_text(teacher["name"])
    page.locator('select[data-path="dataset_id"]').select_option(
        label=f"{dataset['name']} (#{dataset['id']})"
    )
    expect(_chosen(page, "mapping.mapping_id")).to_contain_text(mapping["name"])
    expect(_chosen(page, "model.id")).to_contain_text(teacher["name"])


def test_a_pseudo_label_job_s_output_is_browsed_frame_by_frame_and_says_when_stale(
    page: Any, api: httpx.Client, labelled: dict[str, Any]
) -> None:
    dialogs = _no_dialogs(page)
    job_id = labelled["job_id"]
    frames = sorted(labelled["frames"], key=lambda f: f["id"])  # the manifest's order
    # given the finished job's page: up to date with its mapping's head
    page.goto(f"/#/jobs/{job_id}")
    expect(page.get_by_test_id("stale-badge")).to_have_text("up to date")
    expect(page.get_by_test_id("relabel-stale")).to_have_count(0)
    # when its output is browsed
    page.get_by_test_id("browse-output").click()
    # then the first frame shows, its pseudo-label drawn, the legend's names as text
    expect(page.get_by_test_id("output-position")).to_have_text(f"1 / {len(frames)}")
    pseudo = page.get_by_test_id("output-pseudo")
    expect(pseudo).to_have_attribute("src", f"/api/jobs/{job_id}/outputs/{frames[0]['id']}.png")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=output-pseudo]')?.naturalWidth === 96"
    )
    expect(page.get_by_test_id("output-legend")).to_contain_text(XSS)
    expect(page.get_by_test_id("output-provenance")).to_contain_text("0123456789abcdef")
    shot(page, "job-output-browse")
    # and the keys step through the frames
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("output-position")).to_have_text(f"2 / {len(frames)}")
    expect(pseudo).to_have_attribute("src", f"/api/jobs/{job_id}/outputs/{frames[1]['id']}.png")
    page.get_by_label("previous frame").click()
    expect(page.get_by_test_id("output-position")).to_have_text(f"1 / {len(frames)}")
    # and as layers, with an opacity slider
    page.get_by_label("output view").select_option("layers")
    expect(page.get_by_test_id("output-layers")).to_be_visible()
    page.get_by_test_id("output-opacity").fill("0.3")
    expect(page.get_by_test_id("output-layers").locator("img.layer")).to_have_css("opacity", "0.3")

    # when the mapping changes where tree may stand (tree's allowed set grows)
    rows = [dict(r) for r in labelled["rows"]]
    rows[4] = {**rows[4], "extra_labels": ["sky", "tree"]}
    save_rows(api, labelled["mapping"]["id"], 1, rows, "trees against the sky")
    page.reload()
    # then the frames holding tree (every other one) are stale, and a rerun is offered
    tree_frames = sum(1 for f in frames if f["label_path"].endswith("1.png"))
    expect(page.get_by_test_id("stale-badge")).to_have_text(f"{tree_frames} frames stale")
    page.get_by_test_id("relabel-stale").click()
    # the rerun repeats the job on the head revision, into the same folder
    expect(page).to_have_url(re.compile(rf"rerun={job_id}"))
    body = page.locator("pre.mono").last
    expect(body).to_contain_text('"revision": 2')
    expect(body).to_contain_text(f"labels-{labelled['tag']}")
    expect(_chosen(page, "model.id")).to_contain_text(labelled["teacher"]["name"])
    assert dialogs == []


def test_a_model_is_registered_from_the_models_screen(
    page: Any, api: httpx.Client, labelled: dict[str, Any]
) -> None:
    dialogs = _no_dialogs(page)
    name = f"{XSS} student-{labelled['tag']}"
    page.goto("/#/models")
    page.get_by_role("button", name="Register a model").click()
    page.get_by_label("model name").fill(name)
    page.get_by_label("model taxonomy").select_option(label=f"src-{labelled['tag']} (source)")
    page.get_by_label("model kind").select_option("hf_dir")
    # when the path lies outside the allowed roots
    page.get_by_label("model path").fill("/etc")
    page.get_by_role("button", name="Register model").click()
    # then the API's message shows under the path, verbatim
    error = page.get_by_test_id("register-model-error-path")
    expect(error).to_contain_text("/etc")
    expect(error).to_contain_text("is not under")
    shot(page, "models-register")
    # when it is a hub id instead
    page.get_by_label("model kind").select_option("hub")
    page.get_by_label("model path").fill(f"owner/student-{labelled['tag']}")
    page.get_by_label("model description").fill("distilled from the teacher")
    page.get_by_role("button", name="Register model").click()
    # then the row is added, its name shown as text
    row = page.get_by_test_id("model-table").locator("tr", has_text=f"student-{labelled['tag']}")
    expect(row).to_contain_text(name)
    expect(row).to_contain_text("distilled from the teacher")
    assert any(m["name"] == name for m in _ok(api.get("/api/models"))["items"])
    assert dialogs == []
