"""UI responsiveness in headless Chromium, against the 100 ms an edit may take to feel immediate.

Matrix (``bench_matrix``): the largest reference mapping in ``ontologies/mappings`` (COCO ->
COCO-133, 134 source rows x 134 extra labels) imported with its two taxonomies into a fresh
server (started as the UI tests start theirs, ``tests/ui/conftest.py``), opened in the mapping
editor. Measured in the page with ``performance.now()``, each up to the frame after the next
paint (two ``requestAnimationFrame``s after the action, in one ``page.evaluate``):

- first render of the matrix: the click on "Matrix" until its cells are painted;
- a cell toggle (a click on a cell) until it is painted checked (or unchecked);
- baselines in the same run: switching back to the row view until painted, and removing a
  chip there until painted.

Long tasks (``PerformanceObserver`` ``longtask``, > 50 ms on the main thread) inside each
measured span are counted too. Figures go to ``docs/performance.md`` under ``## UI``.

    .venv/bin/python -m bench.bench_ui [--runs 15]

Frame grid (``bench_ui_grid.bench_grid``): 140k frames scrolled with long tasks recorded; its
own server and dataset. ``main`` runs the matrix, then the grid.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the UI tests' server and browser helpers

from ui.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_FLAGS,
    DIST_INDEX,
    FRONTEND,
    _newest_source_mtime,
    _serving,
)

TARGET_MS = 100.0
MAPPINGS = ROOT / "ontologies" / "mappings"
TAXONOMIES = ROOT / "ontologies" / "taxonomies"

# Runs in the page before the app: long tasks are kept from the first one on.
LONG_TASKS_INIT = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]);
}).observe({ type: "longtask", buffered: true });
"""

# Clicks `click` at t0; the span ends two frames later (after paint), when the number of
# elements matching `watch` must have changed (the page showed the edit).
MEASURE = """
async ([click, watch]) => {
  const before = document.querySelectorAll(watch).length;
  const t0 = performance.now();
  document.querySelector(click).click();
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const ms = performance.now() - t0;
  const long = window.__longTasks.filter(([s]) => s >= t0);
  return { ms, ok: document.querySelectorAll(watch).length !== before, longTasks: long.length,
           longMs: long.reduce((n, [, d]) => n + d, 0) };
}
"""


@dataclass
class Span:
    ms: float
    long_tasks: int
    long_ms: float


@dataclass
class Figures:
    name: str
    spans: list[Span]

    @property
    def median(self) -> float:
        return statistics.median(s.ms for s in self.spans)

    @property
    def worst(self) -> float:
        return max(s.ms for s in self.spans)

    def line(self) -> str:
        long = sum(s.long_tasks for s in self.spans)
        return (
            f"{self.name:<34} median {self.median:7.1f} ms  max {self.worst:7.1f} ms  "
            f"= {self.median / TARGET_MS:.2f} of the {TARGET_MS:.0f} ms target  "
            f"(runs {len(self.spans)}, long tasks {long})"
        )


def _built_frontend() -> None:
    """``frontend/dist`` as the UI tests use it, rebuilt when older than the sources."""
    if not DIST_INDEX.exists() or DIST_INDEX.stat().st_mtime < _newest_source_mtime():
        subprocess.run(["npm", "run", "build"], cwd=FRONTEND, check=True, capture_output=True)


@contextmanager
def ui_server() -> Iterator[str]:
    """A migrated server over a fresh temp home, serving the built app; yields its URL."""
    _built_frontend()
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as home, _serving(Path(home)) as url:
        yield url


@contextmanager
def chromium_page(base: str) -> Iterator[Any]:
    """A page of headless Chromium (Playwright over ``/usr/bin/chromium``) on ``base``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.add_init_script(LONG_TASKS_INIT)
        try:
            yield page
        finally:
            browser.close()


def measure(page: Any, click: str, watch: str) -> Span:
    """One span: click the element ``click`` selects; ``watch``'s match count must change."""
    out = page.evaluate(MEASURE, [click, watch])
    if not out["ok"]:
        raise RuntimeError(f"the page did not show the click on {click}")
    return Span(out["ms"], out["longTasks"], out["longMs"])


def largest_reference_mapping() -> Path:
    return max(MAPPINGS.glob("*.yaml"), key=lambda p: p.stat().st_size)


def import_reference(api: httpx.Client, mapping_file: Path) -> int:
    """Its two taxonomies and the mapping, through the import routes; the mapping's id."""
    extra, source = mapping_file.stem.split("__")
    for name, kind in ((source, "source"), (extra, "extra")):
        path = TAXONOMIES / f"{name}.yaml"
        files = {"file": (path.name, path.read_bytes())}
        api.post("/api/taxonomies/import", files=files, data={"kind": kind}).raise_for_status()
    files = {"file": (mapping_file.name, mapping_file.read_bytes())}
    created = api.post("/api/mappings/import", files=files)
    created.raise_for_status()
    return int(created.json()["id"])


def bench_matrix(base: str, page: Any, runs: int) -> list[Figures]:
    """First render of the matrix and a cell toggle; baselines: the row view's first render
    (switching back) and a chip removal there."""
    with httpx.Client(base_url=base, timeout=30) as api:
        mapping_file = largest_reference_mapping()
        mapping_id = import_reference(api, mapping_file)
        rows = api.get(f"/api/mappings/{mapping_id}").json()["head"]["rows"]
    page.goto(f"/#/mappings/{mapping_id}")
    page.get_by_test_id("mapping-rows").wait_for()
    first, back = [], []
    for _ in range(runs):
        first.append(measure(page, "[data-testid=view-matrix]", ".mx td"))
        back.append(measure(page, "[data-testid=view-rows]", ".mx td"))
    page.get_by_test_id("view-matrix").click()
    print(f"{mapping_file.stem}: {len(rows)} rows, {page.locator('.mx td').count()} cells")

    toggles = []
    for k in range(runs):
        cell = f"#mx-{rows[k % len(rows)]['source_id']}-{k}"
        toggles.append(measure(page, cell, f"{cell}[aria-selected=true]"))

    removals = []
    page.get_by_test_id("view-rows").click()
    labelled = [r["source_name"] for r in rows if r["extra_labels"]]
    for name in labelled[runs : 2 * runs]:  # rows the toggles above left alone
        row = 'tr[data-source="{}"]'.format(name.replace('"', '\\"'))
        removals.append(measure(page, f"{row} .chip-x", f"{row} .chip:not(.removed)"))
    return [
        Figures("matrix first render", first),
        Figures("rows first render (baseline)", back),
        Figures("matrix cell toggle -> paint", toggles),
        Figures("rows chip removal -> paint (baseline)", removals),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--grid-frames", type=int, default=None, help="Default: 140,000.")
    parser.add_argument("--no-write", action="store_true", help="Do not touch performance.md.")
    args = parser.parse_args(argv)
    with ui_server() as base, chromium_page(base) as page:
        matrix = bench_matrix(base, page, args.runs)
    for f in matrix:
        print(f.line())
    toggle, baseline = matrix[2], matrix[3]
    print(f"matrix toggle / rows removal: {toggle.median / baseline.median:.2f}")
    # The second figure: the frame grid at 140k frames (its own server and dataset).
    from bench import bench_ui_grid

    grid = bench_ui_grid.bench_grid(args.grid_frames or bench_ui_grid.bench_index.FRAMES)
    print(
        f"frame grid, {grid.frames:,} frames: longest task {grid.longest_ms:.0f} ms, "
        f"{grid.over_50} over 50 ms (target: none over {bench_ui_grid.TARGET_MS:.0f} ms)"
    )
    if not args.no_write:
        bench_ui_grid.write_section(grid, "run from bench_ui")


if __name__ == "__main__":
    main()
