"""Pairing frames by relative path without extension; decoding colour labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ontolabel.domain.labels import color_table
from ontolabel.errors import InvalidInput
from ontolabel_worker.ml.data import batch_by_size, load_frames, pair_frames, read_label
from PIL import Image


def test_pairs_by_relative_path_without_extension(tmp_path: Path) -> None:
    for rel in ("images/a/x.jpg", "images/a/y.jpg", "labels/a/x.png", "labels/b/z.png"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(tmp_path / rel)
    pairs, unpaired = pair_frames(tmp_path / "images", tmp_path / "labels")
    assert [(p.key, p.label_rel) for p in pairs] == [("a/x", "a/x.png")]
    assert unpaired == ["a/y", "b/z"]


def test_colour_labels_decode_through_the_taxonomy_colours(tmp_path: Path) -> None:
    rgb = np.zeros((2, 3, 3), np.uint8)
    rgb[0, 0] = (0x80, 0x40, 0x80)
    rgb[1, 2] = (1, 2, 3)  # a colour no class has
    Image.fromarray(rgb).save(tmp_path / "l.png")
    with pytest.raises(InvalidInput, match="colour image"):
        read_label(tmp_path / "l.png")
    ids = read_label(tmp_path / "l.png", color_table({0: "#000000", 1: "#804080"}))
    assert ids[0, 0] == 1 and ids[0, 1] == 0 and ids[1, 2] not in (0, 1)


def test_batches_group_same_sized_frames_and_report_unreadable_ones(tmp_path: Path) -> None:
    for i, size in enumerate([(4, 6), (4, 6), (5, 6)]):
        for sub in ("images", "labels"):
            (tmp_path / sub).mkdir(exist_ok=True)
            Image.fromarray(np.zeros(size, np.uint8)).save(tmp_path / sub / f"f{i}.png")
    (tmp_path / "images" / "f3.png").write_bytes(b"not a png")
    (tmp_path / "labels" / "f3.png").write_bytes(b"not a png")
    pairs, _ = pair_frames(tmp_path / "images", tmp_path / "labels")
    batches = list(batch_by_size(load_frames(pairs, num_workers=0), batch_size=4))
    assert [[f.pair.key for f in b] for b, _ in batches] == [["f0", "f1"], ["f2"]]
    assert [f.pair.key for _, failed in batches for f in failed] == ["f3"]
