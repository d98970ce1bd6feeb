"""The frame grid at 140,000 frames in headless Chromium: long tasks while it scrolls.

Target (issue 15): the virtualised grid stays smooth, no main-thread task over 200 ms. Indexes
``bench_index``'s ApolloScape-shaped tree at ``bench_stale``'s small image and label size with
the real ``index`` job into a server home kept in the temp folder (reused when it already holds
the dataset), serves it as the UI tests do (``tests/ui/conftest.py``), opens the grid in
headless Chromium and, with a ``PerformanceObserver('longtask')`` recording, jumps the scroll
position through the list (waiting each time until no placeholder tile is left in view), wheels
down for a while as a person would, then jumps to the end. Prints the longest task, how many
took over 50 ms, and the time until the tiles in view are filled after a jump.
Figures go to ``docs/performance.md``, ``## UI: frame grid``.

    .venv/bin/python -m bench.bench_ui_grid [--frames 140000] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import bench_index, bench_queries, bench_stale

# tests/ui/conftest.py imports tests/conftest.py as ``conftest`` (tests/ is on pytest's path).
sys.path.insert(0, str(bench_index.ROOT / "tests"))
from tests.ui import conftest as ui

HEADING = "## UI: frame grid"
TARGET_MS = 200.0
JUMPS = (0.5, 0.05, 0.95, 0.25, 0.75, 0.0)
WHEEL_STEPS, WHEEL_PX = 120, 240
RECORD_LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longTasks.push(e.duration);
}).observe({ type: "longtask", buffered: true });
"""
FILLED = """() => {
  const grid = document.querySelector('[data-testid="frame-grid"]');
  const box = grid.getBoundingClientRect();
  const inView = [...grid.querySelectorAll('.thumb')].filter((t) => {
    const r = t.getBoundingClientRect();
    return r.bottom > box.top && r.top < box.bottom;
  });
  return inView.length > 0 && inView.every((t) => !t.classList.contains('placeholder'));
}"""


@dataclass(frozen=True)
class GridFigures:
    frames: int
    first_page_ms: float
    """From navigation until the first tiles are shown."""
    load_tasks: int
    """Long tasks during that first load (not counted below)."""
    fill_ms: list[float]
    """After each jump, until every tile in view shows a frame."""
    long_tasks: list[float]
    """Durations (ms) of the main thread's long tasks while scrolling."""
    tiles: int
    """Tiles in the DOM at the end (the grid renders only the rows in view)."""
    last_index: int

    @property
    def longest_ms(self) -> float:
        return max(self.long_tasks, default=0.0)

    @property
    def over_50(self) -> int:
        return sum(d > 50 for d in self.long_tasks)

    @property
    def met(self) -> bool:
        return self.longest_ms < TARGET_MS


def prepare(frames: int) -> tuple[Path, Path, int]:
    """A server home whose database holds the indexed tree: (home, data root, dataset id)."""
    root = bench_index.generate(frames, bench_stale.LABEL_SIZE)
    home = Path(tempfile.gettempdir()) / f"ontolabel-bench-ui-grid-{frames}"
    url = f"sqlite:///{home / 'ontolabel.db'}"
    dataset_id = bench_queries.indexed_dataset(url, frames)
    if dataset_id is None:
        bench_queries.remove_sqlite(url)
        settings, dataset_id = bench_index.setup_dataset(url, home, root)
        started = time.perf_counter()
        bench_index.run_index(settings, dataset_id, os.cpu_count() or 1)
        print(f"indexed {frames} frames into {url} in {time.perf_counter() - started:.0f} s")
    return home, root, dataset_id


def scroll_through(page: Any, dataset_id: int, frames: int) -> GridFigures:
    """Open the grid, then jump, wheel and jump to the end while long tasks are recorded."""
    page.add_init_script(RECORD_LONG_TASKS)
    started = time.perf_counter()
    page.goto(f"/#/datasets/{dataset_id}")
    grid = page.get_by_test_id("frame-grid")
    grid.locator("a.thumb").first.wait_for()
    first_page_ms = (time.perf_counter() - started) * 1000
    count = page.get_by_test_id("frame-count").inner_text()
    assert f"{frames:,} frames" in count, count
    # The first load (and echarts) is not scrolling; its count shows the observer records.
    load_tasks = page.evaluate("window.__longTasks.splice(0).length")
    fill_ms = []
    for share in JUMPS:
        started = time.perf_counter()
        grid.evaluate(f"el => {{ el.scrollTop = (el.scrollHeight - el.clientHeight) * {share}; }}")
        page.wait_for_function(FILLED, polling=16)
        fill_ms.append((time.perf_counter() - started) * 1000)
    box = grid.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(WHEEL_STEPS):
        page.mouse.wheel(0, WHEEL_PX)
        page.wait_for_timeout(16)
    page.wait_for_function(FILLED, polling=16)
    started = time.perf_counter()
    grid.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    page.wait_for_function(FILLED, polling=16)
    fill_ms.append((time.perf_counter() - started) * 1000)
    page.wait_for_timeout(200)  # let the observer deliver the last entries
    indices = grid.locator("a.thumb").evaluate_all("ts => ts.map((t) => Number(t.dataset.index))")
    return GridFigures(
        frames=frames,
        first_page_ms=first_page_ms,
        load_tasks=load_tasks,
        fill_ms=fill_ms,
        long_tasks=page.evaluate("window.__longTasks"),
        tiles=grid.locator(".thumb").count(),
        last_index=max(indices),
    )


def bench_grid(frames: int = bench_index.FRAMES) -> GridFigures:
    """Serve an indexed ``frames``-frame dataset and scroll its grid in headless Chromium."""
    from playwright.sync_api import sync_playwright

    home, root, dataset_id = prepare(frames)
    with ui._serving(home, ONTOLABEL_DATA_ROOTS=str(root)) as url, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=ui.CHROMIUM, headless=True, args=ui.CHROMIUM_FLAGS
        )
        try:
            ctx = browser.new_context(base_url=url, viewport={"width": 1400, "height": 900})
            ctx.set_default_timeout(60_000)
            figures = scroll_through(ctx.new_page(), dataset_id, frames)
        finally:
            browser.close()
    assert figures.last_index == frames - 1, figures.last_index
    tasks = figures.long_tasks
    print(
        f"{frames:,} frames: first tiles {figures.first_page_ms:.0f} ms; filled after a jump "
        f"p50 {statistics.median(figures.fill_ms):.0f} ms, max {max(figures.fill_ms):.0f} ms; "
        f"{len(tasks)} long tasks while scrolling, longest {figures.longest_ms:.0f} ms, "
        f"{figures.over_50} over 50 ms ({figures.load_tasks} while loading); "
        f"{figures.tiles} tiles in the DOM; target "
        f"< {TARGET_MS:.0f} ms {'met' if figures.met else 'NOT met'}"
    )
    return figures


def write_section(f: GridFigures, load: str) -> None:
    """Replace (or append) ``## UI: frame grid`` in performance.md."""
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    block = "\n".join(
        [
            HEADING,
            "",
            f"`bench/bench_ui_grid.py` on {stamp}, {os.cpu_count()} CPUs ({load}): the "
            f"{f.frames:,}-frame tree of `bench_index` ({bench_stale.LABEL_SIZE[0]}x"
            f"{bench_stale.LABEL_SIZE[1]} images and labels) indexed by the real `index` job "
            "and served as the UI tests serve it (SQLite); the dataset screen in headless "
            "Chromium (1400x900, software rendering) with a `PerformanceObserver('longtask')`: "
            f"{len(JUMPS)} jumps of the scroll position through the list, {WHEEL_STEPS} wheel "
            f"steps of {WHEEL_PX} px, 16 ms apart, then a jump to the end. Target: no task "
            f"over {TARGET_MS:.0f} ms while scrolling.",
            "",
            "| frames | longest task ms | tasks > 50 ms | long tasks | first tiles ms "
            "| filled after a jump p50 / max ms | tiles in the DOM | target met |",
            "|---:|---:|---:|---:|---:|---:|---:|---|",
            f"| {f.frames:,} | {f.longest_ms:.0f} | {f.over_50} | {len(f.long_tasks)} "
            f"| {f.first_page_ms:.0f} | {statistics.median(f.fill_ms):.0f} / "
            f"{max(f.fill_ms):.0f} | {f.tiles} | {'yes' if f.met else 'no'} |",
            "",
        ]
    )
    path = bench_index.PERFORMANCE_MD
    text = path.read_text() if path.is_file() else "# Performance\n"
    head, found, tail = text.partition(HEADING)
    rest = tail.partition("\n## ")
    after = "\n## " + rest[2] if found and rest[1] else ""
    path.write_text((head.rstrip() if found else text.rstrip()) + "\n\n" + block + after)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=bench_index.FRAMES)
    parser.add_argument("--no-write", action="store_true", help="Do not touch performance.md.")
    args = parser.parse_args(argv)
    figures = bench_grid(args.frames)
    load = "load average {:.1f} / {:.1f} / {:.1f} after the run".format(*os.getloadavg())
    print(load)
    if not args.no_write:
        write_section(figures, load)


if __name__ == "__main__":
    main()
