"""A ``suggest`` job's outputs from a teacher that knows the truth, computed by the same domain
functions the worker's ``finish`` calls (``rank``, ``heatmap``), so tests that insert such a
job read the shape a real one writes, without a model or a GPU."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from ontolabel.domain.constraint import allowed_table
from ontolabel.domain.mapping import Mapping, MappingRow
from ontolabel.domain.suggestions import Cooccurrence, count_frame, heatmap, rank
from ontolabel.domain.taxonomy import VOID_ID, Taxonomy, TaxonomyClass


def planted_outputs(
    extra_labels: Sequence[str],
    source_classes: Sequence[tuple[int, str]],
    rows: dict[str, list[str]],
    truth: dict[str, str],
    frames: Sequence[str] = ("seq0/cam0_000.png", "seq0/cam0_001.png"),
    void: Sequence[str] = (),
) -> dict[str, Any]:
    """Outputs of a suggest job on ``frames``: every frame holds each extra label in a band,
    and the teacher predicts ``truth[label]`` (a source class name) there with 0.9.

    ``rows``: the mapping (source class name → extra labels), as the job pinned it; ``void``:
    its void row's labels.
    """
    extra = Taxonomy("extra", tuple(TaxonomyClass(i, n) for i, n in enumerate(extra_labels)))
    source = Taxonomy("source", tuple(TaxonomyClass(i, n) for i, n in source_classes))
    mapping = Mapping(
        "extra",
        "source",
        (
            *(MappingRow(i, n, tuple(rows.get(n, ()))) for i, n in source_classes),
            MappingRow(VOID_ID, "void", tuple(void)),
        ),
    )
    table = allowed_table(mapping, extra, source)
    column = {n: k for k, (_, n) in enumerate(source_classes)}
    band, width = 8, 16  # 128 pixels a label a frame: above rank's default min_pixels
    height = band * len(extra_labels)
    label = np.repeat(np.arange(len(extra_labels)), band)[:, None].repeat(width, 1)
    probs = np.full((len(source_classes), height, width), 0.1 / len(source_classes), np.float32)
    for e, name in enumerate(extra_labels):
        if name in truth:
            probs[column[truth[name]], band * e : band * (e + 1)] += 0.9
    co = Cooccurrence.of(count_frame(f, probs, label, table) for f in frames)
    names = dict(enumerate(extra_labels))
    source_names = [n for _, n in source_classes]
    return {
        **rank(co, table, names, source_names).to_json(),
        "matrix": heatmap(co, table, names, source_names),
        "frames": len(co.frames),
        "errors": 0,
        "from_preview_cache": 0,
        "frame_ids": {},
    }
