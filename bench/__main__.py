"""Run every ``bench/bench_*.py`` module's ``main()`` in turn (``make bench``)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def run_all() -> int:
    """Import each benchmark module in name order and call its ``main()``; 1 if any failed."""
    failed: list[str] = []
    for path in sorted(Path(__file__).resolve().parent.glob("bench_*.py")):
        name = f"bench.{path.stem}"
        print(f"== {name}", flush=True)
        try:
            importlib.import_module(name).main()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            print(f"{name} failed: {exc!r}", file=sys.stderr)
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(run_all())
