"""Ontology core: lint + lookup-table build, and the numpy constraint on a full frame.

- lint and ``allowed_table`` for a 66-row (65 classes + void) x 134-label mapping,
  median and p95 over many runs (target < 5 ms together);
- ``constrain`` on a 1024x2048 frame with 19 and 66 classes, against the reference
  approach (``bench.reference_constraint``: a Python loop over the source classes building
  a correction mask with ``np.isin``, then multiply, renormalise, argmax), printing both
  times (min/median wall, median CPU) and the ratios.

    .venv/bin/python -m bench.bench_lint [--runs 300] [--frames 3]

Figures are recorded by hand in ``docs/performance.md`` under ``## Ontology core``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
from ontolabel.domain.constraint import allowed_table, constrain
from ontolabel.domain.lint import lint_mapping
from ontolabel.domain.mapping import Mapping, MappingRow
from ontolabel.domain.taxonomy import VOID_ID, Taxonomy, TaxonomyClass

from bench.reference_constraint import reference_constrain

HEIGHT, WIDTH = 1024, 2048


def synthetic(
    num_classes: int, num_labels: int, seed: int = 0
) -> tuple[Mapping, Taxonomy, Taxonomy]:
    """Each extra label in one or two class rows, a tenth also in void, one typo cell."""
    rng = np.random.default_rng(seed)
    extra = Taxonomy("extra", tuple(TaxonomyClass(i, f"label-{i}") for i in range(num_labels)))
    source = Taxonomy("source", tuple(TaxonomyClass(i, f"class-{i}") for i in range(num_classes)))
    cells: list[list[str]] = [[] for _ in range(num_classes)]
    void: list[str] = []
    for i in range(num_labels):
        for c in rng.choice(num_classes, size=int(rng.integers(1, 3)), replace=False):
            cells[int(c)].append(f"label-{i}")
        if rng.random() < 0.1:
            void.append(f"label-{i}")
    cells[0].append("Label-1 ")
    rows = [MappingRow(c, f"class-{c}", tuple(cells[c])) for c in range(num_classes)]
    rows.append(MappingRow(VOID_ID, "void", tuple(void)))
    return Mapping("extra", "source", tuple(rows)), extra, source


def _timed(
    fn: Callable[[], object], runs: int, clock: Callable[[], float] = time.perf_counter
) -> list[float]:
    times = []
    for _ in range(runs):
        start = clock()
        fn()
        times.append((clock() - start) * 1000)
    return times


def _p95(times: list[float]) -> float:
    return sorted(times)[max(0, round(0.95 * len(times)) - 1)]


def bench_lint(runs: int) -> None:
    mapping, extra, source = synthetic(65, 134)

    def both() -> None:
        lint_mapping(mapping, extra, source)
        allowed_table(mapping, extra, source)

    # wall time includes preemption on a busy machine; CPU time is the code's own cost
    for clock_name, clock in (("wall", time.perf_counter), ("cpu", time.process_time)):
        for name, fn in (
            ("lint", lambda: lint_mapping(mapping, extra, source)),
            ("allowed_table", lambda: allowed_table(mapping, extra, source)),
            ("lint + table", both),
        ):
            times = _timed(fn, runs, clock)
            print(
                f"{name:>14} 66 rows x 134 labels, {runs} runs, {clock_name}: median "
                f"{statistics.median(times):.2f} ms, p95 {_p95(times):.2f} ms"
            )


def bench_constrain(num_classes: int, frames: int) -> None:
    mapping, extra, source = synthetic(num_classes, 134, seed=num_classes)
    table = allowed_table(mapping, extra, source)
    rng = np.random.default_rng(1)
    logits = rng.random((num_classes, HEIGHT, WIDTH), dtype=np.float32)
    probs = logits / logits.sum(axis=0, keepdims=True)
    label = rng.integers(0, 134, (HEIGHT, WIDTH))
    # wall and CPU time of each run; the machine is shared, so min and median of both
    fast = _timed_both(lambda: constrain(probs, label, table), frames)
    slow = _timed_both(lambda: reference_constrain(probs, label, table.table), frames)
    print(
        f"constrain {HEIGHT}x{WIDTH}, {num_classes} classes (K={table.max_allowed}), 134 labels, "
        f"{frames} frames, ms min/median wall, median CPU: lookup {_summary(fast)}, "
        f"reference loop {_summary(slow)}; ratio {_ratio(slow, fast, 0)} wall, "
        f"{_ratio(slow, fast, 1)} CPU"
    )


def _timed_both(fn: Callable[[], object], runs: int) -> list[tuple[float, float]]:
    """(wall ms, CPU ms) per run, after one warm-up run."""
    fn()
    times = []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
    return times


def _summary(times: list[tuple[float, float]]) -> str:
    wall = [w for w, _ in times]
    cpu = statistics.median(c for _, c in times)
    return f"{min(wall):.0f}/{statistics.median(wall):.0f} (CPU {cpu:.0f})"


def _ratio(slow: list[tuple[float, float]], fast: list[tuple[float, float]], which: int) -> str:
    ratio = statistics.median(t[which] for t in slow) / statistics.median(t[which] for t in fast)
    return f"{ratio:.1f}x"


def main(argv: list[str] | None = None) -> None:
    """Print the ontology-core figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="lint/table repetitions")
    parser.add_argument("--constrain-only", action="store_true", help="skip the lint timings")
    parser.add_argument("--frames", type=int, default=5, help="frames per constrain timing")
    args = parser.parse_args([] if argv is None else argv)
    if not args.constrain_only:
        bench_lint(args.runs)
    for num_classes in (19, 66):
        bench_constrain(num_classes, args.frames)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
