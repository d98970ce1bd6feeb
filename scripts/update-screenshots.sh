#!/usr/bin/env bash
# Re-shoots docs/screenshots from the UI tests (real server, real Chromium).
#
#   scripts/update-screenshots.sh              # every UI test but the XSS sweep
#   scripts/update-screenshots.sh -k mapping   # only some; the other shots are kept
#
# The tests write every shot(page, name) to a scratch folder; the names listed in
# docs/screenshots/curated.txt are copied over, shrunk with Pillow to <= 300 KB each
# (fewer colours first, then smaller), and any other PNG in docs/screenshots is removed.
# PYTHON picks the interpreter (default: python on PATH, with the dev extras installed).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
DEST=docs/screenshots
LIST=$DEST/curated.txt
SHOTS=$(mktemp -d)
trap 'rm -rf "$SHOTS"' EXIT

# The XSS sweep shoots every screen with markup for names: not pictures for the docs.
ONTOLABEL_UI_SHOTS="$SHOTS" "$PYTHON" -m pytest -q -p no:cacheprovider tests/ui \
  --ignore=tests/ui/test_xss.py "$@" || {
  echo "UI tests failed; $DEST left as it was" >&2
  exit 1
}

"$PYTHON" - "$SHOTS" "$DEST" "$LIST" <<'PY'
"""Copies the curated shots, each shrunk to the size budget, and drops the rest."""
import sys
from pathlib import Path

from PIL import Image

shots, dest, listing = (Path(a) for a in sys.argv[1:])
BUDGET = 300_000
names = [ln.split()[0] for ln in listing.read_text().splitlines() if ln.strip() and not ln.startswith("#")]


def save_small(src: Path, out: Path) -> int:
    image = Image.open(src).convert("RGB")
    scale = 1.0
    while True:
        w, h = int(image.width * scale), int(image.height * scale)
        small = image if scale == 1.0 else image.resize((w, h), Image.Resampling.LANCZOS)
        # 256 colours keep UI text crisp at a fraction of the size of true colour.
        small.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
        size = out.stat().st_size
        if size <= BUDGET or scale < 0.4:
            return size
        scale *= 0.8


missing = []
for name in names:
    src = shots / f"{name}.png"
    if not src.exists():
        missing.append(name)
        continue
    print(f"{name}.png {save_small(src, dest / f'{name}.png') // 1024} KB")
for stale in dest.glob("*.png"):
    if stale.stem not in names:
        print(f"removed {stale.name} (not in {listing.name})")
        stale.unlink()
if missing:
    print(f"not shot this run (kept as they were): {', '.join(missing)}")
PY
