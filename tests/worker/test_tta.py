"""TTA: shapes at label resolution, flips undone, tiles for large scales, scales that do not fit."""

from __future__ import annotations

import json
import resource
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from ontolabel.domain.constraint import allowed_table
from ontolabel.domain.formats.reference import read_labels_csv, read_mapping_csv
from ontolabel_worker.ml.constrain import DeviceTable
from ontolabel_worker.ml.data import pair_frames
from ontolabel_worker.ml.models import ModelSpec, load_model
from ontolabel_worker.ml.pipeline import LabelOptions, label_frames, output_paths
from ontolabel_worker.ml.tta import TTAConfig, predict

from .conftest import EXTRA_CSV, MAPPING_CSV

HUGE_SCALE = 500.0
"""On a 32x64 frame: a 16000x32000 float input (6 GB) before the model even runs."""


def test_flip_views_are_flipped_back(tiny_segformer: Path) -> None:
    # given a model and an asymmetric image
    model = load_model(ModelSpec("hf_dir", str(tiny_segformer)))
    torch.manual_seed(0)
    images = torch.randint(0, 255, (2, 3, 32, 64), dtype=torch.uint8)
    size = (16, 48)  # label resolution differs from the image's
    # when TTA runs with flip at one scale
    both = predict(model, images, size, TTAConfig(scales=(1.0,), flip=True)).probs
    # then it is the mean of the plain view and the flipped view flipped back
    plain = predict(model, images, size, TTAConfig(scales=(1.0,), flip=False)).probs
    mirrored = predict(model, images.flip(-1), size, TTAConfig(scales=(1.0,), flip=False)).probs
    torch.testing.assert_close(both, (plain + mirrored.flip(-1)) / 2, atol=1e-5, rtol=0)
    assert both.shape == (2, 5, 16, 48)


def test_scales_average_to_a_distribution(tiny_mask2former: Path) -> None:
    model = load_model(ModelSpec("hf_dir", str(tiny_mask2former)))
    images = torch.randint(0, 255, (1, 3, 32, 64), dtype=torch.uint8)
    result = predict(model, images, (32, 64), TTAConfig(scales=(0.5, 1.0, 1.5)))
    assert result.probs.shape == (1, 5, 32, 64)
    torch.testing.assert_close(result.probs.sum(1), torch.ones(1, 32, 64), atol=1e-4, rtol=0)
    assert result.notes == [[]]


def test_large_scales_run_in_tiles(tiny_segformer: Path) -> None:
    # given a pixel budget below the 2x view
    model = load_model(ModelSpec("hf_dir", str(tiny_segformer)))
    images = torch.randint(0, 255, (1, 3, 32, 64), dtype=torch.uint8)
    config = TTAConfig(scales=(1.0, 2.0), flip=True, max_pixels=32 * 64, tile=40)
    # then the result still covers the frame with a distribution per pixel
    probs = predict(model, images, (32, 64), config).probs
    torch.testing.assert_close(probs.sum(1), torch.ones(1, 32, 64), atol=1e-4, rtol=0)


def _address_space() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


@contextmanager
def memory_limited(headroom: int = 2 << 30) -> Iterator[None]:
    """Let this process map only ``headroom`` more bytes: the allocator really fails (ENOMEM)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + headroom
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def test_a_scale_that_does_not_fit_is_skipped_and_noted(tiny_segformer: Path) -> None:
    # given a model, a frame and a scale whose resized input cannot be allocated
    model = load_model(ModelSpec("hf_dir", str(tiny_segformer)))
    images = torch.randint(0, 255, (1, 3, 32, 64), dtype=torch.uint8)
    config = TTAConfig(scales=(1.0, HUGE_SCALE), flip=True, max_pixels=None)
    # when TTA runs with memory really limited
    with memory_limited():
        result = predict(model, images, (32, 64), config)
    # then the other scales still count, and the skipped one is named, not dropped silently
    assert result.notes == [[f"scale {HUGE_SCALE} skipped: out of memory"]]
    alone = predict(model, images, (32, 64), TTAConfig(scales=(1.0,), flip=True)).probs
    torch.testing.assert_close(result.probs, alone, atol=1e-5, rtol=0)


def test_the_skipped_scale_is_recorded_in_the_frame_report(
    tiny_segformer: Path, frames: Callable[..., tuple[Path, Path]], tmp_path: Path
) -> None:
    # given frames, a mapping and TTA with one scale too large for memory
    images, labels = frames(["seq/a"])
    pairs, _ = pair_frames(images, labels)
    extra = read_labels_csv(EXTRA_CSV, name="extra")
    parsed = read_mapping_csv(MAPPING_CSV, extra_taxonomy="extra", source_taxonomy="src")
    table = DeviceTable.from_allowed_table(allowed_table(parsed.mapping, extra, parsed.source))
    model = load_model(ModelSpec("hf_dir", str(tiny_segformer)))
    options = LabelOptions(num_workers=0, writer_threads=1)
    out = tmp_path / "out"
    # when the frame is labelled
    with memory_limited():
        reports = label_frames(
            model, pairs, table, TTAConfig(scales=(1.0, HUGE_SCALE)), options, out
        )
    # then it is labelled from the scales that fit, and its report names the one skipped
    assert [r.error for r in reports] == [None]
    paths = output_paths(out, pairs[0], options)
    assert paths["label"].is_file()
    report = json.loads(paths["report"].read_text())
    assert report["notes"] == [f"scale {HUGE_SCALE} skipped: out of memory"]
