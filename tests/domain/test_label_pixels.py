"""Zero-copy pixel views and the run-aware byte histogram, against numpy and Pillow."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ontolabel.domain.label_pixels import byte_counts, byte_view
from ontolabel.domain.labels import decode_label, label_histogram
from PIL import Image


@st.composite
def runs_of_bytes(draw: st.DrawFn) -> np.ndarray:
    """Byte strings made of runs (as labels are) of random lengths, any total length."""
    runs = draw(
        st.lists(st.tuples(st.integers(0, 255), st.integers(1, 40)), min_size=0, max_size=60)
    )
    return np.array([v for v, n in runs for _ in range(n)], dtype=np.uint8)


@settings(max_examples=200, deadline=None)
@given(runs_of_bytes())
def test_byte_counts_equals_bincount(data: np.ndarray) -> None:
    expected = np.bincount(data, minlength=256)
    assert byte_counts(data).tolist() == expected.tolist()


def test_byte_counts_random_and_long_runs() -> None:
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, 100_003).astype(np.uint8)
    runs = np.repeat(rng.integers(0, 256, 500).astype(np.uint8), rng.integers(1, 3000, 500))
    for data in (noise, runs, np.zeros(0, np.uint8), np.full(17, 255, np.uint8)):
        assert byte_counts(data).tolist() == np.bincount(data, minlength=256).tolist()


def test_byte_counts_refuses_other_arrays() -> None:
    with pytest.raises(ValueError, match="uint8"):
        byte_counts(np.zeros(8, dtype=np.uint16))
    with pytest.raises(ValueError, match="contiguous"):
        byte_counts(np.zeros(16, dtype=np.uint8)[::2])


def _png(image: Image.Image) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    buf.seek(0)
    return Image.open(buf)


@pytest.mark.parametrize("mode", ["L", "P"])
def test_byte_view_is_the_decoded_pixels(mode: str) -> None:
    rng = np.random.default_rng(0)
    arr = np.repeat(rng.integers(0, 40, (37, 1)), 53, axis=1).astype(np.uint8)
    arr[5:9, 7:30] = 200
    image = Image.fromarray(arr, mode="L")
    if mode == "P":
        image = image.convert("P")
        image.putdata(arr.ravel().tolist())
    with _png(image) as loaded:
        assert loaded.mode == mode
        with byte_view(loaded) as pixels:
            assert pixels is not None
            assert not pixels.flags.writeable
            assert pixels.reshape(37, 53).tolist() == arr.tolist()
        pillow = {i: c for i, c in enumerate(loaded.histogram()) if c}
        assert label_histogram(loaded, "id") == pillow
        assert decode_label(loaded, "id").tolist() == arr.tolist()


@pytest.mark.parametrize("mode", ["I;16", "RGB", "1"])
def test_byte_view_declines_other_modes(mode: str) -> None:
    with byte_view(Image.new(mode, (4, 3))) as pixels:
        assert pixels is None


@pytest.fixture
def small_blocks() -> Iterator[None]:
    """Pillow allocating images in 4 KiB blocks, so a larger one's rows are not contiguous."""
    size = Image.core.get_block_size()
    Image.core.set_block_size(4096)
    try:
        yield
    finally:
        Image.core.set_block_size(size)


def test_rows_in_several_blocks_fall_back_to_pillow(small_blocks: None) -> None:
    arr = (np.arange(200 * 300) % 7).reshape(200, 300).astype(np.uint8)
    with _png(Image.fromarray(arr, mode="L")) as loaded:
        with byte_view(loaded) as pixels:
            assert pixels is None  # 60 KB of rows across 4 KiB blocks
        assert label_histogram(loaded, "id") == {
            int(v): int(c) for v, c in zip(*np.unique(arr, return_counts=True), strict=True)
        }
        assert decode_label(loaded, "id").tolist() == arr.tolist()
