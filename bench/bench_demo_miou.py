"""Demo-world mIoU: pseudo-labels with vs without the mapping's priors, vs hidden fine truth.

Generates the demo world (``ontolabel.demo.world.generate``, files only) in a temp home,
trains a tiny SegFormer teacher on ``demo-source`` for a CPU budget with the ``train``
code, pseudo-labels ``demo-coarse`` (palette label PNGs) through its reference-CSV mapping,
and scores the pseudo-labels (priors) and the teacher's plain argmax (no priors) against
the hidden fine ground truth. Ignore (255) pixels count as misses, and coverage is shown.

    .venv/bin/python -m bench.bench_demo_miou [--seconds 120] [--frames 60]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="Teacher training budget.")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--dataset", default="demo-coarse")
    args = parser.parse_args()

    from ontolabel.core.config import Settings
    from ontolabel.demo.scenes import FINE_TAXONOMY
    from ontolabel.demo.world import DEFAULT_SIZE, generate
    from ontolabel.domain.constraint import allowed_table
    from ontolabel.domain.formats.reference import read_labels_csv, read_mapping_csv
    from ontolabel.domain.labels import color_table
    from ontolabel.domain.taxonomy import VOID_ID
    from ontolabel_worker.ml import metrics
    from ontolabel_worker.ml.constrain import DeviceTable
    from ontolabel_worker.ml.data import pair_frames, read_label
    from ontolabel_worker.ml.models import ModelSpec, load_model
    from ontolabel_worker.ml.pipeline import PREDICTION_DIR, LabelOptions, label_frames
    from ontolabel_worker.ml.train import TrainConfig, train_student
    from ontolabel_worker.ml.tta import TTAConfig

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp))
        generate(settings, args.frames, DEFAULT_SIZE)
        root = settings.demo_root
        classes = [c for c in FINE_TAXONOMY.classes if c.id != VOID_ID]
        names, ids = [c.name for c in classes], [c.id for c in classes]
        source_pairs, _ = pair_frames(root / "demo-source/images", root / "demo-source/labels")
        teacher_dir = Path(tmp) / "teacher"
        summary = train_student(
            source_pairs, names, ids, teacher_dir,
            TrainConfig(size="tiny", steps=100_000, batch_size=8, crop=128,
                        learning_rate=1e-3, max_seconds=args.seconds),
        )  # fmt: skip
        print(
            f"teacher: {summary['steps']} steps in {summary['seconds']} s, "
            f"loss {summary['last_loss']}"
        )

        extra_root = root / args.dataset
        catalog = root / "ontologies" / args.dataset
        extra = read_labels_csv((catalog / "labels.csv").read_text(), name=args.dataset)
        parsed = read_mapping_csv(
            (catalog / f"master_labels_{FINE_TAXONOMY.name}.csv").read_text(),
            extra_taxonomy=args.dataset,
            source_taxonomy=FINE_TAXONOMY.name,
        )
        table = DeviceTable.from_allowed_table(allowed_table(parsed.mapping, extra, FINE_TAXONOMY))
        model = load_model(ModelSpec("hf_dir", str(teacher_dir)), source_names=names)
        pairs, _ = pair_frames(extra_root / "images", extra_root / "labels")
        out = Path(tmp) / "pseudo"
        tta = TTAConfig(scales=(0.75, 1.0, 1.25), flip=True)
        colors = color_table({c.id: c.color for c in extra.classes})
        options = LabelOptions(save_prediction=True, num_workers=1)
        reports = label_frames(model, pairs, table, tta, options, out, label_colors=colors)
        errors = [r for r in reports if r.error]
        to_channel = np.full(256, VOID_ID, dtype=np.int64)
        to_channel[ids] = np.arange(len(ids))
        with_priors = np.zeros((len(ids), len(ids) + 1), dtype=np.int64)
        without = np.zeros_like(with_priors)
        covered = total = 0
        for pair in pairs:
            rel = Path(pair.label_rel).with_suffix(".png")
            truth = to_channel[read_label(extra_root / "ground_truth" / rel)]
            pseudo = read_label(out / rel)
            with_priors += metrics.confusion(to_channel[pseudo], truth, len(ids))
            without += metrics.confusion(
                to_channel[read_label(out / PREDICTION_DIR / rel)], truth, len(ids)
            )
            covered += int((pseudo != VOID_ID).sum())
            total += pseudo.size
        print(f"{args.dataset}: {len(pairs)} frames, {len(errors)} errors, TTA {tta.describe()}")
        print(f"mIoU without priors: {metrics.mean_iou(without):.3f}")
        print(
            f"mIoU with priors:    {metrics.mean_iou(with_priors):.3f}  "
            f"(coverage {covered / total:.1%})"
        )
        iou_w, iou_wo = metrics.iou_per_class(with_priors), metrics.iou_per_class(without)
        for name, a, b in zip(names, iou_wo, iou_w, strict=True):
            print(f"  {name:<12} {a:.3f} -> {b:.3f}")


if __name__ == "__main__":
    main()
