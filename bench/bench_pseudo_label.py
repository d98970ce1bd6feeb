"""Pseudo-labelling throughput and preview latency.

CPU: images/s for a small random SegFormer through the full path (load, TTA, constrain,
PNG writing). GPU (when ``torch.cuda.is_available()``): images/s with full TTA for a
Swin-L-sized Mask2Former (random weights) on 1024x2048 frames, bf16 batched vs fp32 one
image at a time, and model FLOP utilisation against the bf16 dense peak (H200 ~989 TFLOP/s).
Also the API preview's re-apply latency (numpy, 512 px longest side, 19 classes).

    .venv/bin/python -m bench.bench_pseudo_label [--frames 8]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

NAMES19 = [f"class{i}" for i in range(19)]


def _frames(root: Path, n: int, size: tuple[int, int]) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    for i in range(n):
        for sub, arr in (
            ("images", rng.integers(0, 255, (*size, 3), dtype=np.uint8)),
            ("labels", rng.integers(0, 19, size, dtype=np.uint8)),
        ):
            (root / sub).mkdir(parents=True, exist_ok=True)
            Image.fromarray(arr).save(root / sub / f"f{i:03d}.png")
    return root / "images", root / "labels"


def _identity_table(num_classes: int) -> object:
    from ontolabel.domain.constraint import AllowedTable

    table = np.eye(num_classes, dtype=bool) | (
        np.random.default_rng(1).random((num_classes,) * 2) < 0.1
    )
    return AllowedTable(
        table=table,
        void=np.zeros(num_classes, dtype=bool),
        source_ids=np.arange(num_classes, dtype=np.int64),
        extra_ids=np.arange(num_classes, dtype=np.int64),
    )


def cpu_throughput(frames: int, size: tuple[int, int], scales: tuple[float, ...]) -> float:
    import torch
    from ontolabel_worker.ml.constrain import DeviceTable
    from ontolabel_worker.ml.data import pair_frames
    from ontolabel_worker.ml.models import ModelSpec, load_model
    from ontolabel_worker.ml.pipeline import LabelOptions, label_frames
    from ontolabel_worker.ml.training.student import segformer_config
    from ontolabel_worker.ml.tta import TTAConfig
    from transformers import SegformerForSemanticSegmentation

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        torch.manual_seed(0)
        SegformerForSemanticSegmentation(segformer_config(NAMES19, "tiny")).save_pretrained(
            root / "model"
        )
        model = load_model(ModelSpec("hf_dir", str(root / "model")))
        pairs, _ = pair_frames(*_frames(root / "data", frames, size))
        table = DeviceTable.from_allowed_table(_identity_table(19))  # type: ignore[arg-type]
        options = LabelOptions(num_workers=1, batch_size=2)
        tta = TTAConfig(scales=scales, flip=True)
        label_frames(model, pairs[:2], table, tta, options, root / "warm")
        started = time.perf_counter()
        label_frames(model, pairs, table, tta, options, root / "out")
        return frames / (time.perf_counter() - started)


def preview_latency_ms() -> float:
    from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass
    from ontolabel.preview.render import palette, render

    rng = np.random.default_rng(0)
    probs = rng.random((19, 256, 512)).astype(np.float32)
    probs /= probs.sum(0, keepdims=True)
    label = rng.integers(0, 19, (256, 512))
    table = _identity_table(19)
    colors = palette(Taxonomy("s", tuple(TaxonomyClass(i, n) for i, n in enumerate(NAMES19))))
    render(probs, label, table, colors)  # type: ignore[arg-type]
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        render(probs, label, table, colors)  # type: ignore[arg-type]
        runs.append(time.perf_counter() - started)
    return float(np.median(runs) * 1000)


def gpu_throughput(frames: int) -> None:
    """Swin-L-sized Mask2Former, 19 classes, full TTA on 1024x2048: bf16 batched vs fp32."""
    import torch
    from ontolabel_worker.ml.models import SegmentationModel
    from ontolabel_worker.ml.tta import TTAConfig, predict
    from torch.utils.flop_counter import FlopCounterMode
    from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation, SwinConfig

    swin_kwargs: dict[str, Any] = {
        "embed_dim": 192, "depths": [2, 2, 18, 2], "num_heads": [6, 12, 24, 48],
        "window_size": 12, "out_features": ["stage1", "stage2", "stage3", "stage4"],
    }  # fmt: skip
    swin = SwinConfig(**swin_kwargs)
    kwargs: dict[str, Any] = {"num_labels": 19, "id2label": dict(enumerate(NAMES19))}
    config = Mask2FormerConfig(backbone_config=swin, num_queries=100, **kwargs)
    network: Any = Mask2FormerForUniversalSegmentation(config)
    network = network.cuda().eval()
    model = SegmentationModel(network=network, family="mask2former", class_names=NAMES19)
    images = torch.randint(0, 255, (frames, 3, 1024, 2048), dtype=torch.uint8).pin_memory()
    size = (1024, 2048)
    with FlopCounterMode(display=False) as counter:
        predict(model, images[:1].cuda(), size, TTAConfig(precision="fp32"))
    flops_per_image = counter.get_total_flops()
    for label, batch, precision in (("bf16 batched", 2, "bf16"), ("fp32 one-at-a-time", 1, "fp32")):
        tta = TTAConfig(precision=precision)  # type: ignore[arg-type]
        predict(model, images[:batch].cuda(non_blocking=True), size, tta)
        torch.cuda.synchronize()
        started = time.perf_counter()
        for i in range(0, frames, batch):
            predict(model, images[i : i + batch].cuda(non_blocking=True), size, tta)
        torch.cuda.synchronize()
        rate = frames / (time.perf_counter() - started)
        mfu = rate * flops_per_image / 989e12
        print(
            f"GPU {label}: {rate:.2f} images/s, "
            f"{flops_per_image / 1e12:.1f} TFLOP/image, MFU {mfu:.1%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=8)
    args = parser.parse_args()
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    size = (256, 512)
    for scales in ((1.0,), (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)):
        rate = cpu_throughput(args.frames, size, scales)
        print(
            f"CPU SegFormer-tiny {size[0]}x{size[1]}, flip x {len(scales)} scale(s): "
            f"{rate:.2f} images/s"
        )
    print(f"preview re-apply (19 classes, 256x512, 3 PNGs): {preview_latency_ms():.1f} ms")
    if torch.cuda.is_available():
        gpu_throughput(args.frames)
    else:
        print("GPU: not available here (the Mask2Former Swin-L / MFU figures need CUDA)")


if __name__ == "__main__":
    main()
