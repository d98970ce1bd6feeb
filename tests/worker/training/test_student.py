"""The student network: presets, a start from saved weights, both families' losses."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from ontolabel.jobs.train_params import OptimSettings, StudentModel
from ontolabel_worker.ml.models import SegmentationModel
from ontolabel_worker.ml.training.optim import build_optimizer
from ontolabel_worker.ml.training.student import (
    build_student,
    encoder_parameters,
    student_loss,
)

from ..conftest import SOURCE_NAMES, mask2former_dir
from .conftest import COLOURS, NAMES


def colour_batch(size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """Four crops whose class (channel 0..2) is their pixels' colour; the last crop is
    entirely ignored (255), as a crop of a frame's unlabelled border can be."""
    torch.manual_seed(0)
    labels = torch.randint(0, 3, (4, 1, size // 8, size // 8))
    labels = labels.repeat_interleave(8, 2).repeat_interleave(8, 3)[:, 0]
    images = torch.tensor(COLOURS, dtype=torch.uint8)[labels].permute(0, 3, 1, 2)
    labels[3] = 255
    return images, labels


def losses(student: SegmentationModel, steps: int, lr: float) -> list[float]:
    """Training losses of ``steps`` AdamW steps on ``colour_batch``."""
    images, labels = colour_batch()
    settings = OptimSettings(lr=lr, encoder_lr=None, weight_decay=0.0)
    optimizer = build_optimizer(settings, student.network, student.family)
    seen = []
    for _ in range(steps):
        loss = student_loss(student.network, student.family, student.normalise(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seen.append(float(loss.detach()))
    return seen


def test_mask2former_trains_on_semantic_labels_with_the_contracts_no_object_weight() -> None:
    # given the tiny Mask2Former preset with a no-object weight that is not the default
    torch.manual_seed(0)
    model = StudentModel(preset="mask2former-swin-tiny", no_object_weight=0.02)
    student = build_student(model, NAMES, init_path=None)
    # then its loss weighs the no-object class with it
    criterion = student.network.criterion  # type: ignore[union-attr]
    assert criterion.empty_weight.tolist() == pytest.approx([1.0, 1.0, 1.0, 0.02])
    # when it takes a few steps on crops that include an all-ignored one
    seen = losses(student, steps=12, lr=1e-2)
    # then the loss is finite and falls on average
    assert all(torch.isfinite(torch.tensor(seen)))
    assert sum(seen[-4:]) < 0.8 * sum(seen[:4])


def test_segformer_learns_a_trivial_task() -> None:
    # given the nano SegFormer and crops whose class is their colour
    torch.manual_seed(0)
    student = build_student(StudentModel(preset="segformer-nano"), NAMES, init_path=None)
    # when it trains on them
    seen = losses(student, steps=25, lr=3e-3)
    # then the loss falls well below where it started
    assert seen[-1] < 0.5 * seen[0]


def test_a_batch_with_nothing_labelled_has_zero_loss_not_nan() -> None:
    student = build_student(StudentModel(preset="segformer-nano"), NAMES, init_path=None)
    images, labels = colour_batch()
    loss = student_loss(student.network, "semantic", student.normalise(images), labels * 0 + 255)
    assert float(loss.detach()) == 0.0


def test_a_start_from_weights_with_other_classes_gets_a_new_head_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    # given a saved Mask2Former with five classes, and a student taxonomy of three
    saved = mask2former_dir(tmp_path / "init", SOURCE_NAMES)
    model = StudentModel(init={"path": str(saved)}, no_object_weight=0.05)
    # when the student starts from it
    student = build_student(model, NAMES, init_path=str(saved))
    # then it names the taxonomy's classes, with a head of their size and the contract's
    # no-object weight (not the one saved in the checkpoint's buffer)
    network = student.network
    assert student.class_names == NAMES
    assert network.config.id2label == dict(enumerate(NAMES))
    assert network.class_predictor.out_features == len(NAMES) + 1  # type: ignore[union-attr]
    assert network.criterion.empty_weight.tolist() == pytest.approx([1, 1, 1, 0.05])  # type: ignore[union-attr]
    # and everything but the head holds the saved weights
    from transformers import Mask2FormerForUniversalSegmentation

    original = Mask2FormerForUniversalSegmentation.from_pretrained(saved).state_dict()
    mine = network.state_dict()
    assert all(torch.equal(mine[k], original[k]) for k in mine if k.startswith("model."))
    assert network.training and all(p.requires_grad for p in network.parameters())


def test_a_start_from_weights_with_the_same_count_of_other_classes_still_gets_a_new_head(
    tmp_path: Path,
) -> None:
    # given a saved model whose five classes are not the student's five
    saved = mask2former_dir(tmp_path / "init", SOURCE_NAMES)
    names = ["a", "b", "c", "d", "e"]
    # when the student starts from it with init_head
    student = build_student(StudentModel(init={"path": str(saved)}), names, str(saved))
    # then the old head's weights are not carried over under the new names
    from transformers import Mask2FormerForUniversalSegmentation

    original = Mask2FormerForUniversalSegmentation.from_pretrained(saved)
    head = student.network.class_predictor.weight  # type: ignore[union-attr]
    assert not torch.equal(head, original.class_predictor.weight)


def test_other_classes_without_init_head_are_refused(tmp_path: Path) -> None:
    saved = mask2former_dir(tmp_path / "init", SOURCE_NAMES)
    model = StudentModel(init={"path": str(saved)}, init_head=False)
    with pytest.raises(ValueError, match="init_head"):
        build_student(model, NAMES, init_path=str(saved))


@pytest.mark.parametrize(
    ("preset", "prefix"),
    [
        ("segformer-nano", "segformer."),
        ("mask2former-swin-tiny", "model.pixel_level_module.encoder."),
    ],
)
def test_the_backbone_is_the_encoder_group(preset: str, prefix: str) -> None:
    # given a preset and the optimiser of the paper's two rates
    student = build_student(StudentModel(preset=preset), NAMES, init_path=None)  # type: ignore[arg-type]
    settings = OptimSettings(lr=1e-4, encoder_lr=1e-5)
    optimizer = build_optimizer(settings, student.network, student.family, scale=0.1)
    # then the backbone (and only it) trains at the encoder's rate, each times the scale
    names = {id(p): n for n, p in student.network.named_parameters()}
    encoder, rest = encoder_parameters(student.network, student.family)
    assert encoder and rest
    assert all(names[id(p)].startswith(prefix) for p in encoder)
    assert not any(names[id(p)].startswith(prefix) for p in rest)
    rates = {g["name"]: g["lr"] for g in optimizer.param_groups}
    assert rates == pytest.approx({"encoder": 1e-6, "decoder": 1e-5})
