"""The screenshots in the docs cover every screen, and the UI tests still take each one.

Read from the sources only (no browser): ``docs/screenshots/curated.txt`` names each kept
shot and the screen component it shows; ``scripts/update-screenshots.sh`` re-shoots them.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCREENS = REPO / "frontend" / "src" / "screens" / "index.tsx"
DOCS = REPO / "docs" / "screenshots"
BUDGET = 300_000


def _curated() -> dict[str, str]:
    lines = (DOCS / "curated.txt").read_text().splitlines()
    pairs = [ln.split() for ln in lines if ln.strip() and not ln.startswith("#")]
    assert all(len(p) == 2 for p in pairs), "each line is '<shot name> <component>'"
    return {name: component for name, component in pairs}


def _shot_names() -> set[str]:
    """Every literal name the UI tests pass to ``shot(page, "…")``."""
    sources = "\n".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    return set(re.findall(r'shot\(\w+, "([^"]+)"\)', sources))


def test_every_screen_of_the_app_has_a_curated_screenshot() -> None:
    # given: the screens the router can show
    body = SCREENS.read_text().split("export function screenFor", 1)[1]
    screens = set(re.findall(r"<([A-Z]\w+)", body))
    assert len(screens) > 10, "the router's screens were found"
    # then
    missing = screens - set(_curated().values())
    assert not missing, f"add a shot of these to docs/screenshots/curated.txt: {missing}"


def test_each_curated_screenshot_is_taken_by_a_ui_test_and_committed_small() -> None:
    taken = _shot_names()
    for name in _curated():
        assert name in taken, f"no UI test calls shot(page, {name!r})"
        assert (DOCS / f"{name}.png").exists(), f"run scripts/update-screenshots.sh: {name}.png"
    for png in DOCS.glob("*.png"):
        assert png.stem in _curated(), f"{png.name}: not in curated.txt"
        assert png.stat().st_size <= BUDGET, f"{png.name} is over {BUDGET // 1000} KB"
