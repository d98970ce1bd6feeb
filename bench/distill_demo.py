"""The method end to end on the demo world: does a student beat its teacher, with priors?

Through the product's own jobs (the contracts REST takes, run by the in-process runner):

1. a teacher is trained on a few ``demo-source`` frames (its first sequence);
2. it pseudo-labels ``demo-citylike`` and ``demo-coarse`` twice: constrained by their
   mappings (priors) and as its own argmax (no priors, the Naive Student's labels);
3. two students, from the same initial weights and with the same budget, train on the
   teacher's source frames plus either set of pseudo-labels;
4. all three are evaluated on held-out ``demo-source`` frames (its last sequence).

It ends with one line ``teacher=<mIoU> student_no_priors=<mIoU> student_priors=<mIoU>``
(percent). The student with priors should beat both: the mapping turns the extra datasets'
coarse labels into fine ones the teacher alone gets wrong.

    .venv/bin/python -m bench.distill_demo [--frames 120] [--steps 400] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

SOURCE = "demo-source"
EXTRA = ("demo-citylike", "demo-coarse")


def _split(root: Path, out: Path, sequences: set[str]) -> tuple[str, str]:
    """Folders of symlinks to the frames of ``sequences`` (images and labels alike)."""
    for kind in ("images", "labels"):
        for path in sorted((root / kind).rglob("*.png")):
            rel = path.relative_to(root / kind)
            if rel.parts[0] in sequences:
                link = out / kind / rel
                link.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(path, link)
    return str(out / "images"), str(out / "labels")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120, help="Frames per demo dataset.")
    parser.add_argument("--steps", type=int, default=400, help="Optimizer steps per model.")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--crop", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from ontolabel.core.config import Settings
    from ontolabel.core.db import session_scope, upgrade_database
    from ontolabel.datasets import repository as datasets
    from ontolabel.demo.scenes import FINE_TAXONOMY
    from ontolabel.demo.world import SEQUENCES, install_demo
    from ontolabel.domain.taxonomy import VOID_ID
    from ontolabel.jobs import service
    from ontolabel.jobs.params import (
        EvaluateParams,
        JobParams,
        MappingRef,
        ModelRef,
        PseudoLabelOptions,
        PseudoLabelParams,
        TTASettings,
    )
    from ontolabel.jobs.runner import run_job_inline, session_factory_for
    from ontolabel.jobs.train_params import (
        AugmentSettings,
        OptimSettings,
        StudentModel,
        TrainData,
        TrainParams,
    )
    from ontolabel.mappings.tables import MappingRecord
    from ontolabel.taxonomies.repository import get_taxonomy_by_name
    from sqlalchemy import select

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp) / "home")
        upgrade_database(settings.sqlalchemy_url)
        install_demo(settings, frames_per_dataset=args.frames, echo=lambda _m: None)
        factory = session_factory_for(settings)
        root = settings.demo_root
        train_images, train_labels = _split(root / SOURCE, root / "split-train", {SEQUENCES[0]})
        held_images, held_labels = _split(root / SOURCE, root / "split-heldout", {SEQUENCES[-1]})
        with factory() as session:
            taxonomy = get_taxonomy_by_name(session, FINE_TAXONOMY.name)
            assert taxonomy is not None
            extra: list[tuple[int, int]] = []
            for name in EXTRA:
                dataset = datasets.get_dataset_by_name(session, name)
                assert dataset is not None
                mapping = session.scalars(
                    select(MappingRecord).where(
                        MappingRecord.extra_taxonomy_id == dataset.taxonomy_id
                    )
                ).one()
                extra.append((dataset.id, mapping.id))
            taxonomy_id = taxonomy.id
        classes = [c for c in FINE_TAXONOMY.classes if c.id != VOID_ID]

        def run(params: JobParams) -> dict[str, Any]:
            with session_scope(factory) as session:
                job_id = service.create_job(session, settings, params, "bench").id
            status = run_job_inline(settings, job_id)
            with factory() as session:
                job = service.get_job(session, job_id)
                if status != "succeeded":
                    raise SystemExit(f"{params.kind} job {job_id} {status}: {job.error}")
                return {"id": job_id, **(job.outputs or {})}

        def train(name: str, data: list[TrainData]) -> int:
            t0 = time.perf_counter()
            outputs = run(
                TrainParams(
                    taxonomy_id=taxonomy_id,
                    data=data,
                    model=StudentModel(preset="segformer-tiny"),
                    augment=AugmentSettings(crop=args.crop),
                    optim=OptimSettings(lr=1e-3, encoder_lr=None, warmup_epochs=0),
                    steps=args.steps,
                    batch_size=args.batch_size,
                    num_workers=0,
                    seed=args.seed,
                    register_as=name,
                )
            )
            print(f"{name}: {outputs.get('steps')} steps in {time.perf_counter() - t0:.0f} s")
            return int(outputs["model_id"])

        def pseudo_label(model_id: int, priors: bool) -> list[int]:
            return [
                run(
                    PseudoLabelParams(
                        model=ModelRef(id=model_id),
                        dataset_id=dataset_id,
                        mapping=MappingRef(mapping_id=mapping_id),
                        tta=TTASettings(scales=[1.0], flip=True),
                        options=PseudoLabelOptions(num_workers=0),
                        priors=priors,
                    )
                )["id"]
                for dataset_id, mapping_id in extra
            ]

        def miou(model_id: int) -> float:
            outputs = run(
                EvaluateParams(
                    model=ModelRef(id=model_id),
                    images_dir=held_images,
                    labels_dir=held_labels,
                    class_ids=[c.id for c in classes],
                    class_names=[c.name for c in classes],
                )
            )
            return 100 * float(outputs["mean_iou"])

        source = TrainData(name=SOURCE, images_dir=train_images, labels_dir=train_labels)
        teacher = train("teacher", [source])
        students = {}
        for priors in (False, True):
            jobs = pseudo_label(teacher, priors)
            data = [source, *(TrainData(pseudo_label_job=j) for j in jobs)]
            name = "student_priors" if priors else "student_no_priors"
            students[name] = train(name, data)
        scores = {"teacher": miou(teacher), **{k: miou(v) for k, v in students.items()}}
    print(f"wall time {time.perf_counter() - started:.0f} s")
    print(" ".join(f"{k}={v:.2f}" for k, v in scores.items()))


if __name__ == "__main__":
    main()
