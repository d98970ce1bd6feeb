"""Student training throughput.

CPU: training images/s of a small random SegFormer (``segformer-tiny``) at crop 128 through
the whole ``ml.training.train`` path (256x512 PNGs decoded in a DataLoader worker, the
paper's augmentation, loss, AdamW, schedule, the step's all-reduces), against two
baselines measured in the same run with the same model and batch size: the forward pass
alone (no gradients), and forward + backward + optimiser step on tensors already in
memory (no data path). The ratios say what training costs over inference and what the
data path adds. Each figure is from the median step.

GPU (when ``torch.cuda.is_available()``): training steps of a Mask2Former with a
Swin-B-sized backbone (embed 128, depths 2-2-18-2; random weights, 19 classes) at the
paper's 512x1024 crops, batch 4 (the paper's batch per GPU), bf16 autocast vs fp32, with
model FLOP utilisation against the bf16 dense peak (H200 ~989 TFLOP/s), FLOPs of a
training step counted by ``torch.utils.flop_counter``.

    .venv/bin/python -m bench.bench_train [--steps 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

NAMES19 = [f"class{i}" for i in range(19)]
PEAK_BF16 = 989e12
CROP = 128
BATCH = 4


def _frames(root: Path, n: int, size: tuple[int, int]) -> Path:
    rng = np.random.default_rng(0)
    for sub in ("images", "labels"):
        (root / sub).mkdir(parents=True)
    for i in range(n):
        image = rng.integers(0, 255, (*size, 3), dtype=np.uint8)
        Image.fromarray(image).save(root / "images" / f"f{i:03d}.png")
        label = rng.integers(0, 19, size, dtype=np.uint8)
        Image.fromarray(label).save(root / "labels" / f"f{i:03d}.png")
    return root


def _params(root: Path, steps: int) -> Any:
    from ontolabel.jobs.train_params import TrainParams

    return TrainParams.model_validate(
        {
            "taxonomy_id": 1,
            "data": [{"images_dir": str(root / "images"), "labels_dir": str(root / "labels")}],
            "model": {"preset": "segformer-tiny"},
            "augment": {"crop": CROP},
            "optim": {"schedule": "constant", "warmup_epochs": 0},
            "steps": steps,
            "batch_size": BATCH,
            "num_workers": 1,
            "checkpoint_every": 1_000_000,
            "device": "cpu",
        }
    )


def cpu_rates(steps: int) -> dict[str, float]:
    """images/s: the full training path, forward only, and a step without the data path."""
    import torch
    from ontolabel_worker.ml.data import pair_frames
    from ontolabel_worker.ml.training.data import TrainSource
    from ontolabel_worker.ml.training.loop import train
    from ontolabel_worker.ml.training.optim import build_optimizer
    from ontolabel_worker.ml.training.run import TrainHooks, TrainRun
    from ontolabel_worker.ml.training.student import build_student, student_loss

    with tempfile.TemporaryDirectory() as tmp:
        root = _frames(Path(tmp) / "data", 32, (256, 512))
        params = _params(root, steps)
        pairs, _ = pair_frames(root / "images", root / "labels")
        run = TrainRun(
            params=params,
            class_names=NAMES19,
            class_ids=list(range(19)),
            sources=[TrainSource("bench", pairs)],
            val=[],
            init_path=None,
            out_dir=Path(tmp) / "out",
        )
        stamps: list[float] = []
        train(run, TrainHooks(on_step=lambda *_: stamps.append(time.perf_counter())))
        full = BATCH / statistics.median(np.diff(stamps))  # the first step's warm-up left out

    torch.manual_seed(0)
    student = build_student(params.model, NAMES19, init_path=None)
    network = student.network
    images = torch.randint(0, 255, (BATCH, 3, CROP, CROP), dtype=torch.uint8)
    labels = torch.randint(0, 19, (BATCH, CROP, CROP))
    pixels = student.normalise(images)

    def timed(step: Any) -> float:
        """images/s of the median step (a shared machine's stalls land in the tail)."""
        step()
        durations = []
        for _ in range(steps):
            started = time.perf_counter()
            step()
            durations.append(time.perf_counter() - started)
        return BATCH / statistics.median(durations)

    network.eval()
    with torch.no_grad():
        forward = timed(lambda: network(pixel_values=pixels))
    network.train()
    optimizer = build_optimizer(params.optim, network, student.family)

    def train_step() -> None:
        loss = student_loss(network, student.family, pixels, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return {"train": full, "forward": forward, "step": timed(train_step)}


def gpu_rates(steps: int) -> None:
    """Swin-B-sized Mask2Former training steps at 512x1024, batch 4: bf16 vs fp32, MFU."""
    import torch
    from ontolabel.jobs.train_params import OptimSettings
    from ontolabel_worker.ml.training.optim import build_optimizer
    from ontolabel_worker.ml.training.student import student_loss
    from torch.utils.flop_counter import FlopCounterMode
    from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation, SwinConfig

    swin_kwargs: dict[str, Any] = {
        "embed_dim": 128, "depths": [2, 2, 18, 2], "num_heads": [4, 8, 16, 32],
        "window_size": 12, "out_features": ["stage1", "stage2", "stage3", "stage4"],
    }  # fmt: skip
    kwargs: dict[str, Any] = {"num_labels": 19, "id2label": dict(enumerate(NAMES19))}
    config = Mask2FormerConfig(backbone_config=SwinConfig(**swin_kwargs), **kwargs)
    network: Any = Mask2FormerForUniversalSegmentation(config)
    network = network.cuda().train()
    optimizer = build_optimizer(OptimSettings(), network, "mask2former")
    batch, size = 4, (512, 1024)
    pixels = torch.randn(batch, 3, *size, device="cuda")
    labels = torch.randint(0, 19, (batch, *size), device="cuda")
    labels[:, :, : size[1] // 8] = 255

    def step(dtype: torch.dtype | None) -> None:
        with torch.autocast("cuda", dtype=dtype or torch.float32, enabled=dtype is not None):
            loss = student_loss(network, "mask2former", pixels, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
        optimizer.step()

    with FlopCounterMode(display=False) as counter:
        step(None)
    flops_per_image = counter.get_total_flops() / batch
    for label, dtype in (("bf16", torch.bfloat16), ("fp32", None)):
        for _ in range(3):
            step(dtype)
        torch.cuda.synchronize()
        started = time.perf_counter()
        for _ in range(steps):
            step(dtype)
        torch.cuda.synchronize()
        rate = steps * batch / (time.perf_counter() - started)
        print(
            f"GPU Mask2Former Swin-B-sized train {size[0]}x{size[1]} batch {batch} {label}: "
            f"{rate:.2f} images/s, {flops_per_image / 1e12:.2f} TFLOP/image, "
            f"MFU {rate * flops_per_image / PEAK_BF16:.1%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    rates = cpu_rates(args.steps)
    print(
        f"CPU SegFormer-tiny crop {CROP}, batch {BATCH}: train() {rates['train']:.1f} images/s; "
        f"forward only {rates['forward']:.1f} images/s (train / forward "
        f"{rates['train'] / rates['forward']:.2f}); step on in-memory tensors "
        f"{rates['step']:.1f} images/s (train / step {rates['train'] / rates['step']:.2f})"
    )
    if torch.cuda.is_available():
        gpu_rates(args.steps)
    else:
        print(
            "GPU: not available here (the Mask2Former Swin-B bf16/fp32 and MFU figures need CUDA)"
        )


if __name__ == "__main__":
    main()
