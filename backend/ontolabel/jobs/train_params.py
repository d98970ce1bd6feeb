"""The ``train`` job's contract: a student on the source plus pseudo-labelled extra data.

One typed config for REST, the CLI (``ontolabel train``) and the worker, after the
paper's trainer (``../shared/TRAINING.md``): weighted sampling over datasets, the paper's
augmentation, AdamW with a separate encoder learning rate, warm-up then a schedule,
validation every N epochs, early stopping with patience, then a fine-tune of the best
checkpoint on the source alone at a tenth of the learning rate.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, ClassVar, Literal, Self

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from ontolabel.core.schemas import FloatPair
from ontolabel.jobs.params import Contract, Device, FolderPath, JobParams, ModelRef, Precision

ModelPreset = Literal["segformer-nano", "segformer-tiny", "segformer-b0", "mask2former-swin-tiny"]
"""Architectures ontolabel can build from a config (random weights, or then loaded)."""


class TrainData(Contract):
    """One training dataset: a registered dataset's split, two folders, or the output of
    a finished ``pseudo_label`` job (its labels beside the images it labelled)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        default=None, description="Shown in logs and metrics (default: from the source)."
    )
    dataset_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    split: str | None = Field(
        default="train", max_length=100, description="With dataset_id: the split to train on."
    )
    merge_val: bool = Field(
        default=False, description="With dataset_id: also train on its val split."
    )
    images_dir: FolderPath | None = None
    labels_dir: FolderPath | None = None
    pseudo_label_job: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="A finished pseudo_label job's output."
    )
    weight: float = Field(default=1.0, gt=0, le=1e6, description="Sampling weight.")
    augment: AugmentOverrides | None = Field(
        default=None, description="This dataset's augmentation, over the job's."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        sources = [
            self.dataset_id is not None,
            self.images_dir is not None or self.labels_dir is not None,
            self.pseudo_label_job is not None,
        ]
        if sum(sources) != 1:
            raise ValueError("give one of dataset_id, images_dir + labels_dir, pseudo_label_job")
        if (self.images_dir is None) != (self.labels_dir is None):
            raise ValueError("images_dir and labels_dir go together")
        return self


def folders_name(images_dir: str, labels_dir: str) -> str:
    """A folder pair's default name: the folder both lie in (``/data/city/{images,labels}``
    is ``city``), else the images folder's."""
    images, labels = PurePath(images_dir), PurePath(labels_dir)
    if images.parent == labels.parent and images.parent.name:
        return images.parent.name
    return images.name


class ValData(Contract):
    """A validation set: a registered dataset's split or two folders (source ids)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    dataset_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    split: str | None = Field(default="val", max_length=100)
    images_dir: FolderPath | None = None
    labels_dir: FolderPath | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        folders = self.images_dir is not None and self.labels_dir is not None
        if (self.dataset_id is not None) == folders:
            raise ValueError("give dataset_id (+ split) or images_dir + labels_dir")
        return self


class AugmentOverrides(Contract):
    """Any subset of the augmentation, e.g. one dataset's crop scales (as the paper's
    per-dataset entries in ``config.yaml``)."""

    min_crop_size: int | None = Field(default=None, ge=8, le=100_000)
    max_crop_size: int | None = Field(default=None, ge=8, le=100_000)
    min_crop_scale: float | None = Field(default=None, gt=0, le=1)
    max_crop_scale: float | None = Field(default=None, gt=0, le=1)
    flip: float | None = Field(default=None, ge=0, le=1)
    brightness: FloatPair | None = None
    contrast: FloatPair | None = None
    saturation: FloatPair | None = None
    hue_shift: FloatPair | None = None
    blur_prob: float | None = Field(default=None, ge=0, le=1)
    gaussian_noise: float | None = Field(default=None, ge=0, le=1)
    noise_prob: float | None = Field(default=None, ge=0, le=1)
    shear: FloatPair | None = None


class AugmentSettings(Contract):
    """The paper's augmentation (``config.yaml`` ``augmentation.base``, same names; its
    ``affine.shear`` is ``shear``), on ``torchvision.transforms.v2`` with image and label
    transformed together (``ontolabel_worker.ml.augment`` explains each setting)."""

    crop: int = Field(default=512, ge=16, le=4096, description="Side of the training crops.")
    min_crop_size: int = Field(
        default=64,
        ge=1,
        le=100_000,
        description="The paper's 240 only binds on frames under ~380 px, where it pads "
        "instead of cropping; 64 keeps the paper's windows and still crops small frames.",
    )
    max_crop_size: int = Field(default=14_400, ge=1, le=100_000)
    min_crop_scale: float = Field(default=0.67, gt=0, le=1)
    max_crop_scale: float = Field(default=0.95, gt=0, le=1)
    flip: float = Field(default=0.5, ge=0, le=1)
    brightness: FloatPair = (0.85, 1.15)
    contrast: FloatPair = (0.85, 1.15)
    saturation: FloatPair = (0.85, 1.15)
    hue_shift: FloatPair = Field(default=(-3.0, 3.0), description="Degrees.")
    blur_prob: float = Field(default=0.005, ge=0, le=1)
    gaussian_noise: float = Field(default=0.01, ge=0, le=1, description="Sigma, of 0-1.")
    noise_prob: float = Field(default=0.0025, ge=0, le=1)
    shear: FloatPair = Field(default=(-2.0, 2.0), description="Degrees.")


class OptimSettings(Contract):
    """AdamW in two groups (encoder / the rest), warm-up, then a schedule stepped per step."""

    optimizer: Literal["adamw", "adam", "sgd"] = "adamw"
    lr: float = Field(default=1e-4, gt=0, le=10)
    encoder_lr: float | None = Field(
        default=1e-5, gt=0, le=10, description="The backbone's rate (default: lr when null)."
    )
    weight_decay: float = Field(default=0.05, ge=0, le=1)
    momentum: float = Field(default=0.9, ge=0, lt=1, description="SGD only.")
    schedule: Literal["multistep", "poly", "cosine", "constant"] = "multistep"
    milestones: list[Annotated[float, Field(gt=0, lt=1)]] = Field(
        default=[0.9, 0.95], max_length=16, description="multistep: fractions of all steps."
    )
    gamma: float = Field(default=0.1, gt=0, le=1)
    poly_power: float = Field(default=0.9, gt=0, le=10)
    min_lr: float = Field(default=1e-6, ge=0, description="cosine: the final rate.")
    warmup_epochs: float = Field(default=1.0, ge=0, le=1000)
    grad_clip: float | None = Field(default=1.0, gt=0, description="Max gradient norm.")
    accumulation: int = Field(default=1, ge=1, le=1024, description="Batches per step.")


class StudentModel(Contract):
    """What to train: a preset built from its config, or weights to start from."""

    preset: ModelPreset | None = Field(
        default=None, description="Build this architecture (random weights unless `init`)."
    )
    init: ModelRef | None = Field(
        default=None, description="Start from a registered model or a save_pretrained folder."
    )
    hub_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$",
        description="Start from a Hugging Face hub id (needs a network).",
    )
    init_head: bool = Field(
        default=True, description="A new classification head when the class list differs."
    )
    no_object_weight: float = Field(default=0.005, gt=0, le=1, description="Mask2Former only.")

    @model_validator(mode="after")
    def _one_start(self) -> Self:
        self.exactly_one("preset", "init", "hub_id")
        return self


class TrainParams(JobParams):
    """Train a student on the source plus pseudo-labelled data; the first `data` entry is
    the source (validation, and the fine-tune at the end, use it)."""

    kind: ClassVar[str] = "train"
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "taxonomy_id": 4,
                    "data": [
                        {"dataset_id": 2, "split": "train"},
                        {"pseudo_label_job": 14, "weight": 0.5},
                    ],
                    "val": [{"dataset_id": 2, "split": "val"}],
                    "model": {"preset": "segformer-b0"},
                    "epochs": 50,
                    "register_as": "student-1",
                }
            ]
        }
    )

    taxonomy_id: int = Field(
        ge=1, le=2**31 - 1, description="The student's taxonomy: its non-void classes, in order."
    )
    data: list[TrainData] = Field(min_length=1, max_length=64)
    val: list[ValData] = Field(default_factory=list, max_length=16)
    model: StudentModel
    augment: AugmentSettings = AugmentSettings()
    optim: OptimSettings = OptimSettings()
    epochs: int | None = Field(default=None, ge=1, le=100_000)
    steps: int | None = Field(default=None, ge=1, le=100_000_000)
    batch_size: int = Field(default=4, ge=1, le=1024, description="Per process.")
    num_workers: int = Field(default=2, ge=0, le=64)
    val_every: int = Field(default=1, ge=1, le=1000, description="Validate every N epochs.")
    patience: int = Field(default=15, ge=1, le=10_000, description="Epochs without gain.")
    fine_tune_epochs: int = Field(
        default=0,
        ge=0,
        le=10_000,
        description="Then fine-tune the best checkpoint on the source alone at 0.1x the rate.",
    )
    checkpoint_every: int = Field(
        default=200, ge=1, le=1_000_000, description="Steps between resume checkpoints."
    )
    precision: Precision = Field(default="bf16", description="Autocast on CUDA; CPU is fp32.")
    num_processes: int = Field(default=1, ge=1, le=64, description="Accelerate processes.")
    device: Device | None = None
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    max_seconds: float | None = Field(default=None, gt=0, description="Stop after this long.")
    register_as: str | None = Field(
        default=None, min_length=1, max_length=200, description="Register the best model."
    )

    @model_validator(mode="after")
    def _budget(self) -> Self:
        self.exactly_one("epochs", "steps")
        return self


TrainData.model_rebuild()
