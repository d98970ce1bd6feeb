"""Jobs screens: list with progress, live log over SSE, per-frame errors, cancel."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import shot

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
    # when
    page.get_by_role("button", name="Cancel job").click()
    # then
    expect(page.get_by_test_id("job-status")).to_have_text("cancelled")
    assert api.get(f"/api/jobs/{job['id']}").json()["status"] == "cancelled"
