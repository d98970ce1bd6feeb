"""Atomic writes and skipping frames whose outputs are complete."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from ontolabel.domain.constraint import allowed_table
from ontolabel.domain.formats.reference import read_labels_csv, read_mapping_csv
from ontolabel_worker.ml import writer
from ontolabel_worker.ml.constrain import DeviceTable
from ontolabel_worker.ml.data import pair_frames
from ontolabel_worker.ml.models import ModelSpec, load_model
from ontolabel_worker.ml.pipeline import LabelOptions, is_done, label_frames, output_paths
from ontolabel_worker.ml.tta import TTAConfig

from .conftest import EXTRA_CSV, MAPPING_CSV


def test_atomic_png_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.png"
    writer.write_png(target, np.full((4, 5), 7, dtype=np.uint8))
    assert writer.png_complete(target, (4, 5))
    assert [p.name for p in target.parent.iterdir()] == ["b.png"]


def test_truncated_png_is_not_complete(tmp_path: Path) -> None:
    target = tmp_path / "x.png"
    writer.write_png(target, np.zeros((40, 50), dtype=np.uint8) + np.arange(50, dtype=np.uint8))
    target.write_bytes(target.read_bytes()[:-20])
    assert not writer.png_complete(target, (40, 50))


def test_second_run_skips_done_frames_and_redoes_broken_ones(
    tiny_segformer: Path, frames: Callable[..., tuple[Path, Path]], tmp_path: Path
) -> None:
    # given three frames labelled once
    images, labels = frames(["a", "sub/b", "sub/c"])
    pairs, _ = pair_frames(images, labels)
    extra = read_labels_csv(EXTRA_CSV, name="extra")
    parsed = read_mapping_csv(MAPPING_CSV, extra_taxonomy="extra", source_taxonomy="src")
    table = DeviceTable.from_allowed_table(allowed_table(parsed.mapping, extra, parsed.source))
    model = load_model(ModelSpec("hf_dir", str(tiny_segformer)))
    options = LabelOptions(num_workers=0, save_prediction=True, soft_top_k=2)
    tta = TTAConfig(scales=(1.0,), flip=False)
    out = tmp_path / "out"
    first = label_frames(model, pairs, table, tta, options, out)
    assert [r.key for r in first] == ["a", "sub/b", "sub/c"] and all(not r.error for r in first)
    assert all(is_done(out, p, options) for p in pairs)
    # when one output is truncated and the job runs again
    broken = output_paths(out, pairs[1], options)["label"]
    broken.write_bytes(broken.read_bytes()[:10])
    done: list[int] = []
    second = label_frames(model, pairs, table, tta, options, out, on_done=done.append)
    # then only that frame is redone, and every frame is counted
    assert [r.key for r in second] == ["sub/b"]
    assert sum(done) == 3
    assert writer.png_complete(broken, (32, 64))
    with np.load(output_paths(out, pairs[0], options)["soft"]) as soft:
        assert soft["ids"].shape == (2, 32, 64) and soft["probs"].dtype == np.uint8
