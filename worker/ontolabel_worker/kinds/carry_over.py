"""Keeping a frame's outputs across a mapping edit that cannot change them.

A rerun of ``pseudo_label`` into a folder made with an older revision compares the two
revisions' constraint rows (``domain.staleness``): a frame holding none of the extra labels
whose allowed set changed gets the same outputs under both, so its PNGs stay and only its
report moves to the new provenance (``carried_from`` names the provenance whose run wrote
them). Which labels a frame holds comes from the dataset's occurrence index, never from
reading the PNGs; a label file rewritten since it was indexed is relabelled.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ontolabel.datasets import repository as datasets
from ontolabel.domain.staleness import ConstraintRows
from ontolabel.jobs import label_folders
from ontolabel.jobs.kinds import JobContext
from ontolabel.jobs.params import PseudoLabelParams
from ontolabel.taxonomies.repository import get_taxonomy

from ontolabel_worker.kinds.resolve import PinnedMapping, Resolved
from ontolabel_worker.ml import writer
from ontolabel_worker.ml.data import FramePair
from ontolabel_worker.ml.pipeline import LabelOptions, is_done, output_paths


class Keepable(Resolved):
    """A frame whose outputs from one of ``provenances`` equal this run's, and its label
    file as the index read it."""

    provenances: list[str]
    label_size: int
    label_mtime_ns: int


def keepable_frames(
    ctx: JobContext,
    params: PseudoLabelParams,
    pinned: PinnedMapping,
    out: Path,
    provenance: tuple[str, dict[str, object]],
    rows: ConstraintRows,
    pairs: Sequence[FramePair],
) -> dict[str, Keepable]:
    """Frame key → what it may keep, for the frames of an indexed dataset (keys are frame
    ids) that hold no label an older provenance of the folder maps differently."""
    digest, description = provenance
    older = label_folders.keepable(out, description, rows, exclude=digest)
    if not older or params.dataset_id is None:
        return {}
    with ctx.session_factory() as session:
        dataset = datasets.get_dataset(session, params.dataset_id)
        taxonomy = get_taxonomy(session, dataset.taxonomy_id) if dataset else None
        if taxonomy is None or taxonomy.name != pinned.extra.name:
            ctx.log(
                "the dataset's labels are not in the mapping's extra taxonomy: every frame "
                "of an older provenance is relabelled",
                "warning",
            )
            return {}
        files = datasets.indexed_label_files(session, params.dataset_id)
        affected = {
            d: datasets.frames_with_any_label(session, params.dataset_id, sorted(labels))
            for d, labels in older.items()
        }
    keep: dict[str, Keepable] = {}
    for pair in pairs:
        frame_id = int(pair.key)
        if frame_id not in files:
            continue
        kept = [d for d in older if frame_id not in affected[d]]
        if kept:
            size, mtime = files[frame_id]
            keep[pair.key] = Keepable(provenances=kept, label_size=size, label_mtime_ns=mtime)
    for d, labels in older.items():
        ctx.log(
            f"provenance {d}: extra label id(s) {sorted(labels)} map differently now; "
            f"{len(affected[d])} indexed frame(s) hold them"
        )
    ctx.log(
        f"{len(keep)} of {len(pairs)} frame(s) hold no such label: outputs an older provenance "
        "made of them are kept"
    )
    return keep


def carry_over(
    out: Path,
    pairs: Sequence[FramePair],
    keep: dict[str, Keepable],
    options: LabelOptions,
    provenance: str,
) -> set[str]:
    """Move the reports of ``pairs`` that may keep their outputs to ``provenance``,
    without rewriting their PNGs; the keys carried (or already current)."""
    carried: set[str] = set()
    for pair in pairs:
        entry = keep.get(pair.key)
        if entry is None:
            continue
        if is_done(out, pair, options, provenance):
            carried.add(pair.key)
            continue
        if not _label_unchanged(pair, entry):
            continue
        path = output_paths(out, pair, options)["report"]
        report = writer.read_json(path)
        older = report.get("provenance")
        if older not in entry.provenances or not is_done(out, pair, options, str(older)):
            continue
        report["carried_from"] = report.get("carried_from", older)
        report["provenance"] = provenance
        writer.write_json(path, report)
        carried.add(pair.key)
    return carried


def _label_unchanged(pair: FramePair, entry: Keepable) -> bool:
    try:
        stat = os.stat(pair.label)
    except OSError:
        return False
    return (stat.st_size, stat.st_mtime_ns) == (entry.label_size, entry.label_mtime_ns)
