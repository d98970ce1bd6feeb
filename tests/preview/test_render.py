"""Preview rendering: numpy only, agrees with the constraint, fast enough to follow edits."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
from ontolabel.domain.constraint import allowed_table, constrain
from ontolabel.domain.mapping import Mapping, MappingRow
from ontolabel.domain.taxonomy import VOID_ID, Taxonomy, TaxonomyClass
from ontolabel.errors import InvalidInput, NotFound
from ontolabel.preview.cache import load_cached, preview_cache_path
from ontolabel.preview.render import palette, render
from PIL import Image


def _world(num_classes: int = 19, size: tuple[int, int] = (256, 512)) -> tuple:
    rng = np.random.default_rng(0)
    source = Taxonomy(
        "s",
        tuple(
            TaxonomyClass(i, f"s{i}", color="#102030" if i == 0 else None)
            for i in range(num_classes)
        ),
    )
    extra = Taxonomy("e", tuple(TaxonomyClass(i, f"e{i}") for i in range(30)))
    rows = [
        MappingRow(
            c, f"s{c}", tuple(f"e{i}" for i in range(30) if i % num_classes == c or i % 7 == c)
        )
        for c in range(num_classes)
    ]
    rows.append(MappingRow(VOID_ID, "void", ("e0", "e29")))
    probs = rng.random((num_classes, *size)).astype(np.float32)
    probs /= probs.sum(0, keepdims=True)
    label = rng.integers(0, 32, size)
    return Mapping("e", "s", tuple(rows)), extra, source, probs, label


def test_layers_match_the_reference_constraint() -> None:
    mapping, extra, source, probs, label = _world(5, (16, 24))
    table = allowed_table(mapping, extra, source)
    colors = palette(source)
    images = render(probs, label, table, colors, void_threshold=0.6)
    pseudo = np.asarray(Image.open(io.BytesIO(images.pseudo_label)).convert("RGB"))
    expected = colors[constrain(probs, label, table, void_threshold=0.6)]
    np.testing.assert_array_equal(pseudo, expected)
    assert tuple(colors[0]) == (0x10, 0x20, 0x30)
    diff = np.asarray(Image.open(io.BytesIO(images.difference)).convert("RGBA"))
    assert diff.shape == (16, 24, 4) and 0 < images.changed <= 1
    assert (diff[..., 3] == 0).any()  # unchanged pixels are transparent


def test_preview_of_a_512_frame_is_under_150_ms() -> None:
    mapping, extra, source, probs, label = _world()
    table = allowed_table(mapping, extra, source)
    colors = palette(source)
    render(probs, label, table, colors)  # warm up
    started = time.perf_counter()
    render(probs, label, table, colors)
    assert time.perf_counter() - started < 0.15 * 3  # generous on a loaded 2-core CI box


def test_cache_keys_cannot_escape_and_missing_frames_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        preview_cache_path(tmp_path, "model-1", "../../etc/passwd")
    with pytest.raises(NotFound, match="preview job"):
        load_cached(preview_cache_path(tmp_path, "model-1", "seq/f0"))


def test_uint8_cache_round_trips(tmp_path: Path) -> None:
    path = preview_cache_path(tmp_path, "model-1", "a/b")
    path.parent.mkdir(parents=True)
    probs = np.full((2, 3, 4), 0.5, dtype=np.float32)
    np.savez_compressed(
        path, probs=(probs * 255).round().astype(np.uint8), label=np.zeros((3, 4), np.int32),
        class_names=np.asarray(["a", "b"]),
    )  # fmt: skip
    cached = load_cached(path)
    assert cached.class_names == ["a", "b"] and abs(float(cached.probs.max()) - 0.5) < 0.01
