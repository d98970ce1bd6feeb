"""Suggestions over 1,000 cached frames: ``count_frame`` per frame, then one ``rank``.

Frames as a preview job caches them (``preview.cache``): a 1024x2048 frame downscaled to a
longest side of 512 (256x512), uint8 probabilities p x 255 over C = 19 or 66 source classes,
decoded to float32 as ``load_cached`` returns them, and an extra label image of 40 labels in
street-like regions; each label allows a class with probability 3/C, a tenth allow void
too, and the probabilities favour one class per region (a teacher that mostly agrees).
Eight such frames are generated and cycled (1,000 distinct frames would be GBs of memory);
the cache read is timed separately on real ``.npz`` files.

Prints frames/s for: reading a cached frame (``np.load`` + decode), the plain baseline
(argmax over C and one ``np.bincount`` of ``label * C + argmax``, the least any
co-occurrence costs), and ``count_frame`` (co-occurrence, the constraint's choice, allowed
mass, overruled mass); its ratio to the baseline; and the time of ``rank`` over all frames.

    .venv/bin/python -m bench.bench_suggest [--frames 1000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
from ontolabel.domain.constraint import AllowedTable
from ontolabel.domain.suggestions import Cooccurrence, count_frame, rank
from ontolabel.preview.cache import load_cached

SIZE = (256, 512)
LABELS = 40
POOL = 8


def _table(num_classes: int, rng: np.random.Generator) -> AllowedTable:
    table = rng.random((LABELS, num_classes)) < 3 / num_classes
    table[np.arange(LABELS), rng.integers(0, num_classes, LABELS)] = True
    return AllowedTable(
        table=table,
        void=rng.random(LABELS) < 0.1,
        source_ids=np.arange(num_classes, dtype=np.int64),
        extra_ids=np.arange(LABELS, dtype=np.int64),
    )


def _frame(
    num_classes: int, rng: np.random.Generator
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """(uint8 probabilities [C,h,w] as cached, label [h,w]) in 128 Voronoi regions."""
    h, w = SIZE
    seeds = rng.integers(0, [h, w], (128, 2))
    ys, xs = np.mgrid[0:h, 0:w]
    nearest = np.zeros(SIZE, dtype=np.int64)
    best = np.full(SIZE, np.inf)
    for i, (y, x) in enumerate(seeds):
        d = (ys - y) ** 2 + (xs - x) ** 2
        closer = d < best
        nearest[closer], best[closer] = i, d[closer]
    label = rng.integers(0, LABELS, 128)[nearest]
    favoured = rng.integers(0, num_classes, 128)[nearest]
    logits = rng.standard_normal((num_classes, *SIZE), dtype=np.float32)
    np.put_along_axis(logits, favoured[None], 4.0, axis=0)
    probs = np.exp(logits)
    probs /= probs.sum(0, keepdims=True)
    return (probs * 255).round().astype(np.uint8), label


def _rate(frames: int, seconds: float) -> str:
    return f"{frames / seconds:8.1f} frames/s ({seconds * 1000 / frames:6.2f} ms/frame)"


def run(num_classes: int, frames: int) -> None:
    rng = np.random.default_rng(num_classes)
    table = _table(num_classes, rng)
    pool = [_frame(num_classes, rng) for _ in range(POOL)]
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i, (probs, label) in enumerate(pool):
            path = Path(folder) / f"{i}.npz"
            names = np.asarray([f"c{c}" for c in range(num_classes)])
            np.savez_compressed(path, probs=probs, label=label, class_names=names, size=SIZE)
            paths.append(path)
        reads = max(POOL, frames // 10)
        started = time.perf_counter()
        for i in range(reads):
            path = paths[i % POOL]
            path.touch()  # a new mtime: load_cached decodes again instead of hitting its memo
            load_cached(path)
        read_s = time.perf_counter() - started
    decoded = [(p.astype(np.float32) / np.float32(255), lab) for p, lab in pool]
    started = time.perf_counter()
    for i in range(frames):
        probs, label = decoded[i % POOL]
        np.bincount((label * num_classes + probs.argmax(0)).ravel(), minlength=41 * num_classes)
    baseline_s = time.perf_counter() - started
    counted = []
    started = time.perf_counter()
    for i in range(frames):
        probs, label = decoded[i % POOL]
        counted.append(count_frame(f"f{i}", probs, label, table))
    count_s = time.perf_counter() - started
    started = time.perf_counter()
    co = Cooccurrence.of(counted)
    source_names = [f"c{c}" for c in range(num_classes)]
    ranked = rank(co, table, {i: f"e{i}" for i in range(LABELS)}, source_names)
    rank_s = time.perf_counter() - started
    print(f"C={num_classes}, {SIZE[0]}x{SIZE[1]}, {frames} frames:")
    print(f"  read cached frame : {_rate(reads, read_s)}")
    print(f"  baseline bincount : {_rate(frames, baseline_s)}")
    print(f"  count_frame       : {_rate(frames, count_s)}  = {count_s / baseline_s:.2f}x baseline")
    print(f"  rank ({len(ranked.add)} add, {len(ranked.remove)} remove): {rank_s:.2f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--classes", default="19,66")
    args = parser.parse_args(argv)
    for num_classes in (int(c) for c in args.classes.split(",")):
        run(num_classes, args.frames)


if __name__ == "__main__":
    main()
