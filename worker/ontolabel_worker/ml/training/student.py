"""The network a student trains: a preset built from its config, or weights to start from.

Both families of ``ml.models`` train: Mask2Former (the model's own matching loss over
per-class masks, ``targets``) and any ``AutoModelForSemanticSegmentation`` (cross-entropy
on logits upsampled to the labels). ``id2label`` is the taxonomy's non-void classes, so a
saved student describes its own classes and loads through ``ml.models.load_model``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from ontolabel.domain.taxonomy import VOID_ID
from ontolabel.jobs.train_params import ModelPreset, StudentModel
from torch import Tensor, nn

from ontolabel_worker.ml.models import ModelSpec, SegmentationModel, load_model
from ontolabel_worker.ml.training.targets import mask_targets

if TYPE_CHECKING:
    from transformers import Mask2FormerConfig, SegformerConfig

SEGFORMER_SIZES: dict[str, dict[str, list[int]]] = {
    # hidden sizes / depths / heads per stage
    "nano": {"hidden_sizes": [8, 16], "depths": [1, 1], "heads": [1, 1]},
    "tiny": {"hidden_sizes": [16, 32, 64, 128], "depths": [1, 1, 1, 1], "heads": [1, 1, 2, 4]},
    "b0": {"hidden_sizes": [32, 64, 160, 256], "depths": [2, 2, 2, 2], "heads": [1, 2, 5, 8]},
}


def _labels(class_names: Sequence[str]) -> dict[str, Any]:
    return {
        "id2label": dict(enumerate(class_names)),
        "label2id": {name: i for i, name in enumerate(class_names)},
    }


def segformer_config(class_names: Sequence[str], size: str = "tiny") -> SegformerConfig:
    """A randomly initialisable SegFormer config naming ``class_names`` in order."""
    from transformers import SegformerConfig

    preset = SEGFORMER_SIZES[size]
    stages = len(preset["hidden_sizes"])
    kwargs: dict[str, Any] = dict(
        num_channels=3,
        num_encoder_blocks=stages,
        depths=preset["depths"],
        sr_ratios=[8, 4, 2, 1][-stages:] if stages == 4 else [2, 1],
        hidden_sizes=preset["hidden_sizes"],
        patch_sizes=[7, 3, 3, 3][:stages],
        strides=[4, 2, 2, 2][:stages],
        num_attention_heads=preset["heads"],
        mlp_ratios=[4] * stages,
        decoder_hidden_size=max(16, preset["hidden_sizes"][-1]),
        num_labels=len(class_names),
        semantic_loss_ignore_index=VOID_ID,
        **_labels(class_names),
    )
    return SegformerConfig(**kwargs)


def mask2former_config(class_names: Sequence[str]) -> Mask2FormerConfig:
    """A Mask2Former config naming ``class_names``, with a 1-layer-per-stage tiny Swin backbone."""
    from transformers import Mask2FormerConfig, SwinConfig

    # transformers' stubs miss the PretrainedConfig kwargs: pass them as a dict
    common: dict[str, Any] = {"out_features": ["stage1", "stage2", "stage3", "stage4"]}
    swin = SwinConfig(
        embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1], window_size=4, **common
    )
    labels: dict[str, Any] = {"num_labels": len(class_names), **_labels(class_names)}
    return Mask2FormerConfig(
        backbone_config=swin,
        hidden_dim=32,
        mask_feature_size=32,
        feature_size=32,
        num_queries=8,
        encoder_layers=1,
        decoder_layers=2,
        encoder_feedforward_dim=64,
        dim_feedforward=64,
        num_attention_heads=2,
        **labels,
    )


def _preset(preset: ModelPreset, class_names: Sequence[str]) -> SegmentationModel:
    from transformers import Mask2FormerForUniversalSegmentation, SegformerForSemanticSegmentation

    names = list(class_names)
    if preset == "mask2former-swin-tiny":
        network: nn.Module = Mask2FormerForUniversalSegmentation(mask2former_config(names))
        return SegmentationModel(network=network, family="mask2former", class_names=names)
    size = preset.removeprefix("segformer-")
    network = SegformerForSemanticSegmentation(segformer_config(names, size))
    return SegmentationModel(network=network, family="semantic", class_names=names)


def _relabelled(config: Any, class_names: Sequence[str]) -> Any:
    config = copy.deepcopy(config)
    labels = _labels(class_names)
    config.id2label, config.label2id = labels["id2label"], labels["label2id"]
    config.num_labels = len(class_names)
    return config


def _head_keys(network: nn.Module, config: Any) -> set[str]:
    """State keys whose shape follows the class count (the classification head, and
    Mask2Former's no-object weights): two empty copies on the meta device differ there."""
    names = list(config.id2label.values())
    with torch.device("meta"):
        fewer = type(network)(_relabelled(config, names)).state_dict()
        more = type(network)(_relabelled(config, [*names, "__probe__"])).state_dict()
    return {key for key, value in fewer.items() if value.shape != more[key].shape}


def _new_head(loaded: SegmentationModel, class_names: Sequence[str]) -> SegmentationModel:
    """The loaded weights under a fresh head for ``class_names``: everything else copied.

    Done by hand rather than with ``ignore_mismatched_sizes``, which keeps the old head
    whenever the two class lists happen to have the same length."""
    config = _relabelled(loaded.network.config, class_names)
    fresh = type(loaded.network)(config)
    head = _head_keys(fresh, config)
    kept = {k: v for k, v in loaded.network.state_dict().items() if k not in head}
    missing, unexpected = fresh.load_state_dict(kept, strict=False)
    if set(missing) - head or unexpected:
        raise ValueError(
            f"cannot move {loaded.description.get('path')} onto a new head: missing "
            f"{sorted(set(missing) - head)[:3]}, unexpected {unexpected[:3]}"
        )
    return SegmentationModel(
        network=fresh,
        family=loaded.family,
        class_names=list(class_names),
        mean=loaded.mean,
        std=loaded.std,
        description=loaded.description,
    )


def _set_no_object_weight(network: nn.Module, weight: float) -> None:
    """Mask2Former's weight of the no-object class in its classification loss. Its loss
    keeps it in a buffer that a checkpoint's state overrides, so both are set."""
    config: Any = network.config
    config.no_object_weight = weight
    criterion: Any = network.criterion
    criterion.eos_coef = weight
    with torch.no_grad():
        criterion.empty_weight[-1] = weight


def build_student(
    model: StudentModel, class_names: Sequence[str], init_path: str | None
) -> SegmentationModel:
    """The network to train (train mode, gradients on) naming ``class_names`` in order.

    ``init_path`` (a ``save_pretrained`` folder, a checkpoint file or a hub id, resolved
    from ``model.init`` / ``model.hub_id``) starts it from weights; a different class list
    needs ``model.init_head``."""
    if model.preset is not None:
        student = _preset(model.preset, class_names)
    elif init_path is None:
        raise ValueError("the student starts from weights (init or hub_id) but no path was given")
    else:
        student = load_model(ModelSpec.guess(init_path))
        if student.class_names != list(class_names):
            if not model.init_head:
                raise ValueError(
                    f"{init_path} predicts {student.class_names}, not the taxonomy's "
                    f"{list(class_names)}; set init_head to train a new head"
                )
            student = _new_head(student, class_names)
    if student.family == "mask2former":
        _set_no_object_weight(student.network, model.no_object_weight)
    student.network.train().requires_grad_(True)
    return student


def _encoder(network: nn.Module, family: str) -> nn.Module | None:
    """The backbone: Mask2Former's ``pixel_level_module.encoder`` (where the paper's trainer
    splits it), else the model's base (SegFormer's ``segformer``: its encoder, without the
    decode head). None for a model that is its own base."""
    inner: Any = network
    if family == "mask2former":
        encoder: nn.Module = inner.model.pixel_level_module.encoder
        return encoder
    base: nn.Module | None = getattr(inner, "base_model", None)
    return None if base is None or base is network else base


def encoder_parameters(
    network: nn.Module, family: str
) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """(the backbone's parameters, all others): the two learning-rate groups."""
    encoder = _encoder(network, family)
    inside = set() if encoder is None else {id(p) for p in encoder.parameters()}
    params = list(network.parameters())
    return [p for p in params if id(p) in inside], [p for p in params if id(p) not in inside]


def student_loss(network: nn.Module, family: str, pixel_values: Tensor, labels: Tensor) -> Tensor:
    """The training loss of a batch: normalised images [B,3,H,W], channel labels [B,H,W]
    with 255 ignored. ``network`` may be wrapped (DDP), so the family is passed.

    Mask2Former: its own loss (Hungarian matching, mask and class terms, auxiliary
    layers) from per-class targets. Others: cross-entropy on logits upsampled to the
    labels, as SegFormer's own loss, except that a batch with no labelled pixel gives 0,
    not NaN."""
    if family == "mask2former":
        targets = [mask_targets(label) for label in labels]
        out = network(
            pixel_values=pixel_values,
            mask_labels=[t.mask_labels for t in targets],
            class_labels=[t.class_labels for t in targets],
        )
        return out.loss
    logits = network(pixel_values=pixel_values).logits
    logits = F.interpolate(logits.float(), size=labels.shape[-2:], mode="bilinear")
    labelled = (labels != VOID_ID).sum().clamp_min(1)
    return F.cross_entropy(logits, labels, ignore_index=VOID_ID, reduction="sum") / labelled


def save_student(student: SegmentationModel, out_dir: Path, record: dict[str, Any]) -> None:
    """``save_pretrained`` (safetensors, config with id2label), the normalisation as
    ``load_model`` reads it, and the training record."""
    out_dir.mkdir(parents=True, exist_ok=True)
    network: Any = student.network
    network.save_pretrained(out_dir)
    processor = {"image_mean": list(student.mean), "image_std": list(student.std)}
    (out_dir / "preprocessor_config.json").write_text(json.dumps(processor))
    (out_dir / "ontolabel_training.json").write_text(json.dumps(record, indent=1))
