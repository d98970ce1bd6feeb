"""Taxonomy and mapping screens against a real server: list, edit, save, history, 409, lint."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import shot
from .seed import save_rows, seed_ontology

pytestmark = pytest.mark.browser
REFERENCE = Path(__file__).resolve().parents[1] / "data" / "data-priors" / "datasets"


def _label_input(page: Any, row: str) -> Any:
    return page.get_by_label(f"add label to {row}")


def _add_label(page: Any, row: str, label: str) -> None:
    box = _label_input(page, row)
    box.fill(label)
    box.press("Enter")


def _row(page: Any, name: str) -> Any:
    return page.locator(f'[data-testid=mapping-rows] tr[data-source="{name}"]')


def test_taxonomies_and_mappings_seeded_through_the_api_are_listed(
    page: Any, api: httpx.Client
) -> None:
    # given
    seeded = seed_ontology(api)
    source = seeded["source"]
    # when
    page.goto("/#/taxonomies")
    # then
    table = page.get_by_test_id("taxonomy-table")
    expect(table).to_contain_text(source["name"])
    expect(table).to_contain_text(seeded["extra"]["name"])
    shot(page, "01-taxonomies")

    page.get_by_role("link", name=source["name"]).click()
    classes = page.get_by_test_id("class-table")
    expect(classes.locator("tbody tr")).to_have_count(5)
    expect(classes).to_contain_text("vegetation")
    expect(classes.locator(".swatch").first).to_have_css("background-color", "rgb(128, 64, 128)")
    used_by = page.locator(".card", has_text="Mappings")
    expect(used_by).to_contain_text(seeded["extra"]["name"])
    shot(page, "02-taxonomy-detail")

    page.get_by_role("link", name="Mappings").click()
    expect(page.get_by_test_id("mapping-table")).to_contain_text(seeded["mapping"]["name"])
    shot(page, "03-mappings")


def test_editing_and_saving_a_mapping_creates_a_revision_in_history(
    page: Any, api: httpx.Client
) -> None:
    # given: a mapping whose sky row a reviewer confirmed
    mapping = seed_ontology(api)["mapping"]
    confirmed = api.post(
        "/api/verifications",
        json={"mapping_id": mapping["id"], "source_id": 10, "extra_label": "sky",
              "decision": "confirmed"},
    )  # fmt: skip
    assert confirmed.status_code == 201, confirmed.text
    page.goto(f"/#/mappings/{mapping['id']}")
    expect(_row(page, "building")).to_contain_text("wall")
    expect(_row(page, "sky").locator(".badge")).to_have_text("verified")
    expect(_row(page, "road").locator(".badge")).to_have_text("unverified")
    # when: add "tunnel" to building, remove "wall", save with a message
    _add_label(page, "building", "tun")  # completes to "tunnel"
    _row(page, "building").locator(".chip", has_text="wall").get_by_label("remove label").click()
    expect(page.get_by_text("2 unsaved changes")).to_be_visible()
    shot(page, "04-mapping-editor")
    page.get_by_label("revision message").fill("tunnels are buildings")
    page.get_by_role("button", name="Save revision").click()
    # then
    expect(page.get_by_text("Saved revision 2.")).to_be_visible()
    expect(page.get_by_test_id("head-revision")).to_have_text("2")
    stored = api.get(f"/api/mappings/{mapping['id']}").json()["head"]["rows"]
    building = next(r for r in stored if r["source_name"] == "building")
    assert building["extra_labels"] == ["building", "tunnel"]

    page.get_by_role("button", name="History").click()
    history = page.get_by_test_id("history")
    expect(history).to_contain_text("tunnels are buildings")
    expect(history.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("diff")).to_contain_text("tunnel")
    shot(page, "05-mapping-history")
    # when: revision 1 is restored
    history.get_by_role("button", name="Revert to this").click()
    # then: a third revision with the first one's rows, shown in the editor
    expect(page.get_by_test_id("head-revision")).to_have_text("3")
    expect(_row(page, "building")).to_contain_text("wall")
    expect(_row(page, "building")).not_to_contain_text("tunnel")

    # when: revisions 1 and 3 (the revert) are compared in the history
    page.get_by_role("button", name="History").click()
    expect(history.locator("tbody tr")).to_have_count(3)
    page.get_by_label("compare from revision 1").check()
    # then: nothing changed between them, and the pair is in the URL
    expect(page.get_by_test_id("diff-range")).to_have_text("changes from revision 1 to revision 3")
    expect(page.get_by_test_id("revision-diff")).to_contain_text("No label changes.")
    expect(page).to_have_url(re.compile(r"tab=history&from=1&to=3$"))
    # when: a link to revisions 1 → 2 is opened in a new tab
    shared = page.context.new_page()
    shared.goto(f"/#/mappings/{mapping['id']}?tab=history&from=1&to=2")
    # then: that pair is picked and its diff shown, with the count of labels added/removed
    expect(shared.get_by_label("compare from revision 1")).to_be_checked()
    expect(shared.get_by_label("compare to revision 2")).to_be_checked()
    building = shared.get_by_test_id("diff").locator("tr", has_text="building")
    expect(building.locator(".chip.added")).to_have_text("+ tunnel")
    expect(building.locator(".chip.removed")).to_have_text("wall")
    expect(shared.get_by_test_id("diff-summary")).to_have_text("1 label added, 1 removed in 1 row")
    shot(shared, "05b-mapping-history-compare")
    # when: the "to" side moves to revision 3 (the revert): the same changes, undone
    shared.get_by_label("compare to revision 3").check()
    expect(shared).to_have_url(re.compile(r"from=1&to=3$"))
    shared.get_by_label("compare from revision 2").check()
    expect(building.locator(".chip.added")).to_have_text("+ wall")
    expect(building.locator(".chip.removed")).to_have_text("tunnel")


def test_a_stale_save_from_a_second_tab_shows_the_conflict_and_keeps_the_edits(
    page: Any, api: httpx.Client
) -> None:
    # given: two tabs on the same mapping at revision 1
    mapping = seed_ontology(api)["mapping"]
    url = f"/#/mappings/{mapping['id']}"
    other = page.context.new_page()
    for tab in (page, other):
        tab.goto(url)
        expect(_row(tab, "sky")).to_contain_text("sky")
    # when: the other tab saves first, then this tab saves its own edit
    _add_label(other, "sky", "unlabeled")
    other.get_by_role("button", name="Save revision").click()
    expect(other.get_by_text("Saved revision 2.")).to_be_visible()
    _add_label(page, "road", "tunnel")
    page.get_by_role("button", name="Save revision").click()
    # then: the conflict is explained and my edit is still on screen
    conflict = page.get_by_test_id("conflict")
    expect(conflict).to_contain_text("Someone saved revision 2 meanwhile")
    expect(conflict).to_contain_text("unlabeled")
    expect(_row(page, "road")).to_contain_text("tunnel")
    shot(page, "06-mapping-conflict")
    # when: reload and re-apply, then save again
    page.get_by_role("button", name="Reload and re-apply my edits").click()
    expect(_row(page, "sky")).to_contain_text("unlabeled")
    expect(_row(page, "road")).to_contain_text("tunnel")
    page.get_by_role("button", name="Save revision").click()
    expect(page.get_by_text("Saved revision 3.")).to_be_visible()
    rows = {
        r["source_name"]: r
        for r in api.get(f"/api/mappings/{mapping['id']}").json()["head"]["rows"]
    }
    assert "tunnel" in rows["road"]["extra_labels"]
    assert "unlabeled" in rows["sky"]["extra_labels"]


def test_lint_findings_point_at_the_cell_and_apply_their_suggestion(
    page: Any, api: httpx.Client
) -> None:
    # given: "tunnel" is in no row
    mapping = seed_ontology(api)["mapping"]
    page.goto(f"/#/mappings/{mapping['id']}")
    panel = page.get_by_test_id("lint-panel")
    expect(panel.get_by_test_id("finding").filter(has_text="'tunnel'")).to_be_visible()
    # when: a typo is typed into the building row
    _add_label(page, "building", "tunel")
    # then: the finding names the cell, marks it, and offers the fix
    typo = panel.get_by_test_id("finding").filter(has_text="'tunel'")
    expect(typo).to_contain_text("use “tunnel”")
    expect(_row(page, "building").locator(".chip.warn")).to_have_text(re.compile("tunel"))
    shot(page, "07-mapping-lint")
    typo.get_by_role("button", name="Apply suggestion").click()
    # then: the label is corrected and both findings about it are gone
    expect(_row(page, "building")).to_contain_text("tunnel")
    expect(panel.get_by_test_id("finding").filter(has_text=re.compile("tunn?el"))).to_have_count(0)
    expect(panel).to_contain_text("clean")


def test_a_taxonomy_file_is_imported_by_upload_and_errors_are_shown_verbatim(
    page: Any, api: httpx.Client
) -> None:
    # given: a labels.csv as the app exports it
    source = seed_ontology(api)["source"]
    csv = api.get(f"/api/taxonomies/{source['id']}/export", params={"format": "csv"}).content
    page.goto("/#/taxonomies")
    upload = page.get_by_label("taxonomy file")
    # when: a file that is not a taxonomy is uploaded
    upload.set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"})
    page.get_by_role("button", name="Import").click()
    # then: the server's message is shown as it came
    expect(page.get_by_role("alert")).to_contain_text("cannot tell the format of 'notes.txt'")
    # when: the exported CSV is uploaded under a new name
    upload.set_input_files({"name": "labels.csv", "mimeType": "text/csv", "buffer": csv})
    page.get_by_placeholder("name (default: file name)").fill(f"{source['name']}-copy")
    page.get_by_label("kind").select_option("source")
    page.get_by_role("button", name="Import").click()
    # then: the new taxonomy opens with the same classes
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{source['name']}-copy")
    expect(page.get_by_test_id("class-table").locator("tbody tr")).to_have_count(5)


def test_the_cityscapes_detail_screen_shows_license_plate_and_the_file_cells(
    page: Any, api: httpx.Client
) -> None:
    # given: the published Cityscapes labels.csv (license plate is -1) imported
    csv = (REFERENCE / "cityscapes" / "lists" / "labels.csv").read_bytes()
    created = api.post(
        "/api/taxonomies/import",
        files={"file": ("labels.csv", csv, "text/csv")},
        data={"name": f"cityscapes-{uuid.uuid4().hex[:6]}", "kind": "extra"},
    )
    assert created.status_code == 201, created.text
    # when: its detail screen opens
    page.goto(f"/#/taxonomies/{created.json()['id']}")
    # then: every class is listed, the last at -1 with the cells only the file has
    rows = page.get_by_test_id("class-table").locator("tbody tr")
    expect(rows).to_have_count(35)
    expect(rows.last).to_contain_text("-1")
    expect(rows.last).to_contain_text("license plate")
    expect(rows.last).to_contain_text('hasInstances="False"')
    shot(page, "02b-cityscapes-detail")


def test_fix_all_repairs_padded_cells_of_a_reference_csv_without_losing_labels(
    page: Any, api: httpx.Client
) -> None:
    # given: cells padded with spaces, as in the published reference CSVs
    seeded = seed_ontology(api)
    rows = [dict(r) for r in seeded["rows"]]
    rows[2] = {**rows[2], "extra_labels": ["building ", "tunnel", "building ", "wall "]}
    save_rows(api, seeded["mapping"]["id"], 1, rows, "padded like the reference CSV")
    page.goto(f"/#/mappings/{seeded['mapping']['id']}")
    # when
    page.get_by_role("button", name=re.compile(r"Fix all stray-whitespace \(3\)")).click()
    # then: every label survives, trimmed, once
    chips = _row(page, "building").locator(".chip:not(.removed)")
    expect(chips).to_have_text(
        [re.compile("^building"), re.compile("^tunnel"), re.compile("^wall")]
    )
    expect(page.get_by_test_id("lint-panel")).to_contain_text("clean")
