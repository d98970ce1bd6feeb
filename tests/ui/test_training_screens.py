"""Job forms from the job schemas, training rounds, models and evaluations in the browser."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import shot
from .seed import (
    home_sessions,
    seed_dataset,
    seed_evaluation,
    seed_ontology,
    seed_round,
)

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"


def _field(page: Any, path: str) -> Any:
    return page.locator(f'[data-path="{path}"]')


def test_a_job_form_marks_the_field_the_server_refused_then_queues_the_job(
    page: Any, api: httpx.Client, ui_home: Path
) -> None:
    # given: a dataset whose label PNGs are scored against themselves
    onto = seed_ontology(api)
    dataset = seed_dataset(api, ui_home, onto["extra"]["name"])["dataset"]
    labels = str(Path(dataset["root"]) / "labels")
    page.goto("/#/jobs/new?kind=evaluate")
    _field(page, "labels_dir").fill(labels)
    _field(page, "predictions_dir").fill(labels)
    _field(page, "class_names").fill("road, building, tree, sky, tunnel")
    # when: a class id is not a number
    _field(page, "class_ids").fill("0, 2, four")
    page.get_by_role("button", name="Queue job").click()
    # then: the field carries the server's message, and nothing was queued
    message = page.locator('[data-field="class_ids"] .field-error')
    expect(message).to_contain_text("valid integer")
    expect(_field(page, "class_ids")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").first).to_contain_text("class_ids")
    assert "#/jobs/new" in page.url
    shot(page, "30-new-job-refused")

    # when: fixed
    _field(page, "class_ids").fill("0, 2, 4, 5, 7")
    page.get_by_role("button", name="Queue job").click()
    # then: the job's page, and once it has run, its evaluation with both charts
    expect(page).to_have_url(re.compile(r"#/jobs/\d+$"))
    expect(page.get_by_test_id("job-status")).to_have_text("succeeded", timeout=120_000)
    page.get_by_role("link", name=re.compile(r"^\d+$")).last.click()
    expect(page.get_by_test_id("confusion-heatmap").locator("canvas").first).to_be_visible()
    expect(page.get_by_test_id("per-class")).to_contain_text("tunnel")
    expect(page.locator(".miou")).to_have_text("100.0% mIoU")


def test_an_evaluation_shows_iou_bars_and_a_confusion_heatmap_with_names_as_text(
    page: Any, ui_home: Path
) -> None:
    # given: an evaluation one of whose classes is named like markup
    factory = home_sessions(ui_home)
    evaluation = seed_evaluation(factory, ["road", XSS, "sky"], 0.8)
    other = seed_evaluation(factory, ["road", XSS, "sky"], 0.6)
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    # when
    page.goto(f"/#/evaluations/{evaluation['id']}")
    # then: both charts draw, the name is text in the table and in the chart's tooltip
    bars = page.get_by_test_id("iou-bars").locator("canvas").first
    expect(bars).to_be_visible()
    expect(page.get_by_test_id("confusion-heatmap").locator("canvas").first).to_be_visible()
    expect(page.get_by_test_id("per-class")).to_contain_text(XSS)
    for chart in ("iou-bars", "confusion-heatmap"):
        box = page.get_by_test_id(chart).bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 3)
        expect(page.get_by_test_id(chart).get_by_text(XSS).first).to_be_visible()
        assert page.locator("img").count() == 0
    assert dialogs == []
    shot(page, "31-evaluation")

    # when: two ticked in the list
    page.locator("nav").get_by_role("link", name="Evaluations").click()
    page.get_by_label(f"pick evaluation {evaluation['id']}").check()
    page.get_by_label(f"pick evaluation {other['id']}").check()
    shot(page, "31b-evaluations")
    page.get_by_role("button", name="Compare side by side").click()
    # then: side by side
    expect(page.get_by_test_id(f"evaluation-{evaluation['id']}")).to_be_visible()
    expect(page.get_by_test_id(f"evaluation-{other['id']}")).to_be_visible()
    expect(page.get_by_test_id("confusion-heatmap")).to_have_count(2)
    for heatmap in page.get_by_test_id("confusion-heatmap").all():
        expect(heatmap.locator("canvas").first).to_be_visible()
    assert page.locator("img").count() == 0
    shot(page, "32-evaluations-compare")


def test_the_rounds_table_shows_students_with_and_without_priors_and_starts_the_next_round(
    page: Any, api: httpx.Client, ui_home: Path
) -> None:
    # given: a teacher, a student with priors and a Naive Student, all evaluated
    seeded = seed_round(api, ui_home)
    tag, evals = seeded["tag"], seeded["evaluations"]
    # when
    page.goto("/#/training")
    # then
    row = page.get_by_test_id(f"round-{seeded['teacher']}")
    expect(row).to_contain_text(f"teacher-{tag}")
    expect(row).to_contain_text(f"{evals['teacher']['mean_iou'] * 100:.1f}% mIoU")
    with_priors = row.get_by_test_id("with-priors")
    expect(with_priors).to_contain_text(f"student-priors-{tag}")
    expect(with_priors).to_contain_text(f"{evals['priors']['mean_iou'] * 100:.1f}% mIoU")
    without = row.get_by_test_id("without-priors")
    expect(without).to_contain_text(f"student-naive-{tag}")
    expect(without).not_to_contain_text(f"student-priors-{tag}")
    shot(page, "33-training-rounds")

    # when: the student with priors teaches the next round
    with_priors.get_by_role("link", name="Use as teacher").click()
    # then: the pseudo-label form, its teacher filled in
    expect(page).to_have_url(
        re.compile(rf"kind=pseudo_label&model_id={seeded['students']['priors']}")
    )
    expect(_field(page, "model.id").locator("option:checked")).to_contain_text(
        f"student-priors-{tag}"
    )
    shot(page, "34-new-job-pseudo-label")

    # when: a nested option is out of range, and its group folded again before submitting
    options = page.locator("summary", has_text="Options")
    options.click()
    _field(page, "options.void_threshold").fill("3")
    options.click()
    page.get_by_role("button", name="Queue job").click()
    # then: the group unfolds at the refused field
    expect(_field(page, "options.void_threshold")).to_be_visible()
    expect(_field(page, "options.void_threshold")).to_have_attribute("aria-invalid", "true")
    refused = page.locator('[data-field="options.void_threshold"] .field-error')
    expect(refused).to_have_text("Input should be less than or equal to 1")


def test_models_name_the_job_that_trained_them_whose_page_has_curves_or_says_none_yet(
    page: Any, api: httpx.Client, ui_home: Path
) -> None:
    # given
    seeded = seed_round(api, ui_home)
    # when
    page.goto("/#/models")
    # then
    row = page.get_by_test_id("model-table").locator(
        "tr", has_text=f"student-naive-{seeded['tag']}"
    )
    expect(row).to_contain_text("train #")
    shot(page, "35-models")
    row.get_by_role("link", name=f"student-naive-{seeded['tag']}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"student-naive-{seeded['tag']}")
    shot(page, "35b-model")
    page.go_back()
    row.get_by_role("link", name=re.compile(r"^train #")).click()
    expect(page.get_by_text("No epochs yet.")).to_be_visible()
    shot(page, "36-train-job")
    page.get_by_role("link", name="Compare runs").click()
    expect(page.get_by_test_id("run-picker")).to_be_visible()
    expect(page.get_by_text("No epochs yet.")).to_be_visible()
    shot(page, "37-compare-runs")
