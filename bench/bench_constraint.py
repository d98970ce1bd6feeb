"""The constraint step on a 1024x2048 frame: ontolabel's lookup vs the reference approach.

The reference approach (``bench.reference_constraint``, as the published reference code does
it): a Python loop over the C source classes builds a correction mask
``mask[c] = np.isin(label, ids allowed for c)``, then ``probs * mask``, renormalise, argmax.
Target: ontolabel's ``constrain`` >= 50x faster on CPU.

Cases, each with random float32 softmax probabilities and a uint8 label image (what a PNG
decodes to):

- *published*: the mappings shipped in ``ontologies/`` (ApolloScape -> Cityscapes, 19
  classes; ApolloScape -> Mapillary, 65 classes) over a street-like label image: 256 regions
  (a Voronoi tessellation, mean horizontal run ~70 px), each one ApolloScape id;
- *synthetic*: 40 extra labels, each allowing a class with probability 3/C (19 and 66
  classes), over the same kind of regions, and over labels drawn independently per pixel
  (no regions at all: the worst case for any per-pixel lookup, reported for honesty).

Prints min / median wall and median CPU seconds and the ratios to the reference (median
wall, and CPU) for ``constrain`` (the fused kernel, the default) and its numpy gather
cross-check.

    .venv/bin/python -m bench.bench_constraint [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench.reference_constraint import reference_constrain

SIZE = (1024, 2048)
ROOT = Path(__file__).resolve().parents[1]


def _time(fn: Callable[[], object], repeats: int) -> tuple[float, float, float]:
    """(min wall, median wall, median CPU) seconds over ``repeats`` runs after a warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return min(wall), statistics.median(wall), statistics.median(cpu)


def _probs(num_classes: int, rng: np.random.Generator) -> npt.NDArray[np.float32]:
    probs = np.exp(rng.standard_normal((num_classes, *SIZE), dtype=np.float32))
    probs /= probs.sum(0, keepdims=True)
    return probs


def _regions(ids: npt.NDArray[np.int64], rng: np.random.Generator, cells: int = 256) -> np.ndarray:
    """A street-like label image: ``cells`` Voronoi regions, each one id drawn from ``ids``."""
    from scipy.spatial import cKDTree

    seeds = rng.random((cells, 2)) * SIZE
    rows, cols = np.mgrid[0 : SIZE[0], 0 : SIZE[1]]
    _, nearest = cKDTree(seeds).query(np.column_stack([rows.ravel(), cols.ravel()]))
    return rng.choice(ids, cells)[nearest].reshape(SIZE).astype(np.uint8)


def _published(name: str, rng: np.random.Generator) -> tuple:
    from ontolabel.domain.catalog import load_catalog
    from ontolabel.domain.constraint import allowed_table

    catalog = load_catalog(ROOT / "ontologies")
    entry = next(m for m in catalog.mappings if m.name == name)
    extra = catalog.taxonomies[entry.extra_taxonomy]
    allowed = allowed_table(entry.mapping, extra, catalog.taxonomies[entry.source_taxonomy])
    ids = np.array([c.id for c in extra.classes if 0 <= c.id < 255], dtype=np.int64)
    return allowed, _probs(allowed.num_classes, rng), _regions(ids, rng)


def _synthetic(num_classes: int, per_pixel: bool, rng: np.random.Generator) -> tuple:
    from ontolabel.domain.constraint import AllowedTable

    num_extra = 40
    allowed = AllowedTable(
        table=rng.random((num_extra, num_classes)) < 3 / num_classes,
        void=rng.random(num_extra) < 0.2,
        source_ids=np.arange(num_classes, dtype=np.int64),
        extra_ids=np.arange(num_extra, dtype=np.int64),
    )
    ids = np.arange(num_extra, dtype=np.int64)
    label = rng.integers(0, num_extra, SIZE).astype(np.uint8) if per_pixel else _regions(ids, rng)
    return allowed, _probs(num_classes, rng), label


def _measure(case: str, world: tuple, repeats: int) -> None:
    import torch
    from ontolabel.domain.constraint import constrain

    allowed, probs, label = world
    runs: dict[str, Callable[[], object]] = {
        "reference loop": lambda: reference_constrain(probs, label, allowed.table),
        "numpy gather": lambda: constrain(probs, label, allowed, method="gather"),
        "constrain (fused)": lambda: constrain(probs, label, allowed),
    }
    times = {name: _time(fn, repeats) for name, fn in runs.items()}
    base = times["reference loop"]
    for name, (least, median, cpu) in times.items():
        print(
            f"| {case} | {allowed.num_classes} | {allowed.max_allowed} | {name} | {least:.4f} | "
            f"{median:.4f} | {cpu:.4f} | {base[1] / median:.1f} | {base[2] / cpu:.1f} |"
        )
    if torch.cuda.is_available():
        from ontolabel_worker.ml.constrain import DeviceTable
        from ontolabel_worker.ml.constrain import constrain as torch_constrain

        gpu_table = DeviceTable.from_allowed_table(allowed, "cuda")
        p, lab = torch.from_numpy(probs).cuda(), torch.from_numpy(label).cuda()

        def on_gpu() -> None:
            torch_constrain(p, lab, gpu_table)
            torch.cuda.synchronize()

        least, median, _ = _time(on_gpu, repeats)
        print(
            f"| {case} | {allowed.num_classes} | {allowed.max_allowed} | cuda | {least:.4f} | "
            f"{median:.4f} | | {base[1] / median:.0f} | |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import torch

    rng = np.random.default_rng(0)
    cases: list[tuple[str, Callable[[], tuple]]] = [
        (
            "published ApolloScape->Cityscapes, regions",
            lambda: _published("apolloscape__cityscapes-19", rng),
        ),
        (
            "published ApolloScape->Mapillary, regions",
            lambda: _published("apolloscape__mapillary-65", rng),
        ),
        ("synthetic, regions", lambda: _synthetic(19, False, rng)),
        ("synthetic, regions", lambda: _synthetic(66, False, rng)),
        ("synthetic, per-pixel labels", lambda: _synthetic(19, True, rng)),
        ("synthetic, per-pixel labels", lambda: _synthetic(66, True, rng)),
    ]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; frame 1024x2048")
    print("| case | C | K | step | min wall s | median wall s | median CPU s | x wall | x CPU |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for case, build in cases:
        _measure(case, build(), args.repeats)


if __name__ == "__main__":
    main()
