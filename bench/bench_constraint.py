"""The constraint step on a 1024x2048 frame: table lookup (numpy, torch) vs the reference approach.

The reference approach (``bench.reference_constraint``, as the published reference code does
it): a Python loop over the C source classes builds a correction mask
``mask[c] = np.isin(label, ids allowed for c)``, then ``probs * mask``, renormalise, argmax.
Target: the lookup >= 50x faster on CPU. Prints min / median wall and CPU seconds and the
ratios (median wall, and CPU) for 19 and 66 classes. "torch" is ``constrain`` on CPU tensors
(it runs the numpy kernel there); "torch kernel" forces the torch gather kernel.

    .venv/bin/python -m bench.bench_constraint [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from bench.reference_constraint import reference_constrain


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


def _world(num_classes: int, num_extra: int = 40, size: tuple[int, int] = (1024, 2048)) -> tuple:
    from ontolabel.domain.constraint import AllowedTable

    rng = np.random.default_rng(0)
    table = rng.random((num_extra, num_classes)) < 3 / num_classes
    void = rng.random(num_extra) < 0.2
    allowed = AllowedTable(
        table=table,
        void=void,
        source_ids=np.arange(num_classes, dtype=np.int64),
        extra_ids=np.arange(num_extra, dtype=np.int64),
    )
    logits = rng.standard_normal((num_classes, *size), dtype=np.float32)
    probs = np.exp(logits)
    probs /= probs.sum(0, keepdims=True)
    label = rng.integers(0, num_extra, size).astype(np.int64)
    return allowed, probs, label


def _measure(num_classes: int, repeats: int) -> None:
    import torch
    from ontolabel.domain.constraint import constrain as numpy_constrain
    from ontolabel_worker.ml.constrain import DeviceTable
    from ontolabel_worker.ml.constrain import constrain as torch_constrain

    allowed, probs, label = _world(num_classes)
    device_table = DeviceTable.from_allowed_table(allowed)
    probs_t, label_t = torch.from_numpy(probs), torch.from_numpy(label)
    runs = {
        "reference loop": lambda: reference_constrain(probs, label, allowed.table),
        "numpy lookup": lambda: numpy_constrain(probs, label, allowed),
        "torch": lambda: torch_constrain(probs_t, label_t, device_table),
        "torch kernel": lambda: torch_constrain(probs_t, label_t, device_table, kernel="torch"),
    }
    times = {name: _time(fn, repeats) for name, fn in runs.items()}
    base = times["reference loop"]
    for name, (least, median, cpu) in times.items():
        print(
            f"| {num_classes} | K={allowed.max_allowed} | {name} | {least:.3f} | {median:.3f} | "
            f"{cpu:.3f} | {base[1] / median:.1f} | {base[2] / cpu:.1f} |"
        )
    if torch.cuda.is_available():
        gpu_table = DeviceTable.from_allowed_table(allowed, "cuda")
        p, lab = probs_t.cuda(), label_t.cuda()

        def on_gpu() -> None:
            torch_constrain(p, lab, gpu_table)
            torch.cuda.synchronize()

        least, median, _ = _time(on_gpu, repeats)
        print(
            f"| {num_classes} | | cuda | {least:.4f} | {median:.4f} | | {base[1] / median:.0f} | |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--classes", default="19,66")
    args = parser.parse_args()

    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; frame 1024x2048")
    print("| classes | K | step | min wall s | median wall s | median CPU s | x wall | x CPU |")
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    for num_classes in (int(c) for c in args.classes.split(",")):
        _measure(num_classes, args.repeats)


if __name__ == "__main__":
    main()
