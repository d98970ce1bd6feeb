"""Loading teachers and turning their outputs into per-class probabilities.

Sources: a local Hugging Face directory (``save_pretrained``, also what ontolabel's
``train`` writes), a hub id (where a network exists), or a checkpoint file (``.pth`` /
``.safetensors`` holding a model config and a state dict, ontolabel's or the paper's
released teachers; ``checkpoints`` reads them without running their pickles).

Two families: Mask2Former (semantic probabilities from class x mask logits) and any
``AutoModelForSemanticSegmentation`` (SegFormer, …: logits upsampled, then softmax).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from ontolabel.errors import InvalidInput, NotFound
from torch import Tensor, nn

from ontolabel_worker.ml.checkpoints import read_checkpoint

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
ModelKind = Literal["hf_dir", "hub", "checkpoint", "ontolabel"]


@dataclass(frozen=True)
class ModelSpec:
    """Where a model comes from and how far to trust it."""

    kind: ModelKind
    path: str
    allow_pickle: bool = False

    @classmethod
    def guess(cls, path: str, *, allow_pickle: bool = False) -> ModelSpec:
        """A directory is a HF dir, a file a checkpoint, anything else a hub id."""
        p = Path(path).expanduser()
        if p.is_dir():
            return cls("hf_dir", str(p), allow_pickle)
        if p.is_file():
            return cls("checkpoint", str(p), allow_pickle)
        if path.startswith((".", "/", "~")):
            raise NotFound(f"model path {path} does not exist", field="model")
        return cls("hub", path, allow_pickle)


@dataclass
class SegmentationModel:
    """A loaded teacher: the network, its class names (channel order) and normalisation."""

    network: nn.Module
    family: Literal["mask2former", "semantic"]
    class_names: list[str]
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    description: dict[str, Any] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def to(self, device: torch.device | str) -> SegmentationModel:
        self.network.to(device)
        return self

    @property
    def device(self) -> torch.device:
        return next(self.network.parameters()).device

    def normalise(self, images: Tensor) -> Tensor:
        """uint8/float images [B,3,H,W] in 0..255 → the network's normalised input."""
        mean = torch.tensor(self.mean, device=images.device).view(1, -1, 1, 1) * 255
        std = torch.tensor(self.std, device=images.device).view(1, -1, 1, 1) * 255
        return (images.float() - mean) / std

    def probabilities(self, pixel_values: Tensor, size: tuple[int, int]) -> Tensor:
        """Softmax probabilities [B,C,*size] (float32) for normalised ``pixel_values``."""
        out = self.network(pixel_values=pixel_values)
        if self.family == "mask2former":
            classes = out.class_queries_logits.float().softmax(-1)[..., :-1]  # drop no-object
            masks = out.masks_queries_logits.float().sigmoid()
            semantic = torch.einsum("bqc,bqhw->bchw", classes, masks)
            semantic = semantic / semantic.sum(1, keepdim=True).clamp_min(1e-12)
            return F.interpolate(semantic, size=size, mode="bilinear", align_corners=False)
        logits = F.interpolate(out.logits.float(), size=size, mode="bilinear", align_corners=False)
        return logits.softmax(1)


def check_classes(model_names: Sequence[str], source_names: Sequence[str], *, model: str) -> None:
    """The model's ``id2label`` must name the source classes in order; say where not."""
    from ontolabel.models.service import class_differences

    problems = class_differences(model_names, source_names)
    if not problems:
        return
    shown = "; ".join(problems[:12])
    if len(problems) > 12:
        shown += f"; … {len(problems) - 12} more"
    raise InvalidInput(
        f"model {model} does not predict the source taxonomy's classes in order: {shown}. "
        "Register the model with the taxonomy it was trained on, or fix its config's id2label.",
        field="model",
        differences=problems,
    )


def _class_names(config: Any) -> list[str]:
    id2label = {int(k): str(v) for k, v in (getattr(config, "id2label", None) or {}).items()}
    return [id2label[i] for i in sorted(id2label)]


def _normalisation(directory: Path) -> tuple[tuple[float, ...], tuple[float, ...]]:
    processor = directory / "preprocessor_config.json"
    if processor.is_file():
        data = json.loads(processor.read_text())
        return tuple(data.get("image_mean", IMAGENET_MEAN)), tuple(
            data.get("image_std", IMAGENET_STD)
        )
    return IMAGENET_MEAN, IMAGENET_STD


def _network_from_config(config: Any) -> tuple[nn.Module, Literal["mask2former", "semantic"]]:
    from transformers import AutoModelForSemanticSegmentation, Mask2FormerForUniversalSegmentation

    if config.model_type == "mask2former":
        return Mask2FormerForUniversalSegmentation(config), "mask2former"
    return AutoModelForSemanticSegmentation.from_config(config), "semantic"


def _from_pretrained(name: str) -> tuple[nn.Module, Literal["mask2former", "semantic"]]:
    from transformers import (
        AutoConfig,
        AutoModelForSemanticSegmentation,
        Mask2FormerForUniversalSegmentation,
    )

    config = AutoConfig.from_pretrained(name)
    if config.model_type == "mask2former":
        return Mask2FormerForUniversalSegmentation.from_pretrained(name), "mask2former"
    return AutoModelForSemanticSegmentation.from_pretrained(name), "semantic"


def _from_checkpoint(
    path: Path, allow_pickle: bool
) -> tuple[nn.Module, Literal["mask2former", "semantic"]]:
    config, state = read_checkpoint(path, allow_pickle)
    network, family = _network_from_config(config)
    missing, unexpected = network.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise InvalidInput(
            f"checkpoint {path} does not fit a {config.model_type} model built from its config: "
            f"{len(missing)} missing keys (e.g. {missing[:3]}), {len(unexpected)} unexpected "
            f"(e.g. {unexpected[:3]})",
            file=str(path),
        )
    return network, family


def load_model(
    spec: ModelSpec,
    *,
    source_names: Sequence[str] | None = None,
    device: torch.device | str = "cpu",
) -> SegmentationModel:
    """Load ``spec`` in eval mode on ``device``; check its classes against ``source_names``."""
    path = Path(spec.path).expanduser()
    if spec.kind in ("hf_dir", "ontolabel"):
        if not (path / "config.json").is_file():
            raise InvalidInput(
                f"{path} is not a Hugging Face model directory (no config.json); "
                "save the model with save_pretrained",
                field="model",
            )
        network, family = _from_pretrained(str(path))
        mean, std = _normalisation(path)
    elif spec.kind == "hub":
        network, family = _from_pretrained(spec.path)
        mean, std = IMAGENET_MEAN, IMAGENET_STD
    else:
        if not path.is_file():
            raise NotFound(f"checkpoint {path} does not exist", field="model")
        network, family = _from_checkpoint(path, spec.allow_pickle)
        mean, std = _normalisation(path.parent)
    names = _class_names(network.config)
    if source_names is not None:
        check_classes(names, source_names, model=spec.path)
    network.eval().requires_grad_(False)
    model = SegmentationModel(
        network=network,
        family=family,
        class_names=names,
        mean=mean,
        std=std,
        description={
            "kind": spec.kind,
            "path": spec.path,
            "model_type": str(getattr(network.config, "model_type", "")),
        },
    )
    return model.to(device)
