"""One typed contract per job kind: what ``POST /api/jobs``, the CLI and the worker share.

Each kind's parameters are a pydantic model with ``extra="forbid"`` and their ranges and
defaults written here once. The API validates a request against it (422 naming the field,
nothing queued), stores the validated dump (defaults filled in, so a later default change
never alters what an old job meant), and the worker validates the stored row back into
the same model before it plans, so no kind reads an untyped dict.

References name what the API shows: a mapping by id and revision *number*, a model by
its registry id (a local path only in the CLI's own jobs), a dataset by id. Folders are
absolute paths that must lie under the allowed data roots or the output root (checked
when the job is created and again on the worker, whose settings may differ).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from ontolabel.core.schemas import Body
from ontolabel.domain.labeling import (
    DEFAULT_ADD_MIN_SHARE,
    DEFAULT_EVIDENCE_FRAMES,
    DEFAULT_MAX_ITEMS,
    DEFAULT_MIN_PIXELS,
    DEFAULT_REMOVE_MAX_SHARE,
    DEFAULT_TTA_SCALES,
    DEFAULT_VOID_THRESHOLD,
)

MAX_IDS = 100_000
"""Bound on id lists in a request (frame ids, class ids)."""

FolderPath = Annotated[
    str,
    StringConstraints(min_length=1, max_length=4096, strip_whitespace=True),
    Field(description="An absolute folder under an allowed data root or the output root."),
]
Device = Annotated[
    str,
    StringConstraints(pattern=r"^(cpu|cuda(:\d{1,2})?)$"),
    Field(description="cpu, cuda or cuda:N; default: cuda when a GPU is visible."),
]
Precision = Literal["bf16", "fp16", "fp32"]

FOLDER_FIELDS = ("images_dir", "labels_dir", "predictions_dir", "output_dir")
"""Parameters naming folders: checked against the allowed roots (``jobs.references``)."""


class Contract(Body):
    """Base of every job contract: unknown keys are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def exactly_one(self, *names: str) -> None:
        """Refuse unless exactly one of the fields ``names`` is given (not None)."""
        if sum(getattr(self, n) is not None for n in names) != 1:
            raise ValueError(f"give exactly one of {', '.join(names)}")

    def only_with(self, name: str, partner: str) -> None:
        """Refuse ``name`` without ``partner``."""
        if getattr(self, name) is not None and getattr(self, partner) is None:
            raise ValueError(f"{name} goes with {partner}")


# --- references ----------------------------------------------------------------------


class ModelRef(Contract):
    """A registered model (``id``), or, in the operator's own CLI jobs only, a local folder
    or checkpoint file (``path``): a job sent over the API names a model by id (422 on
    ``path``), so every checkpoint a server's workers load was registered first."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"id": 1}]})

    id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="Registered model id.")
    path: FolderPath | None = Field(
        default=None,
        description="CLI jobs only (the API answers 422: register the model and give its id). "
        "A save_pretrained folder or .pth/.safetensors file under an allowed root.",
    )
    kind: Literal["hf_dir", "checkpoint", "ontolabel"] | None = Field(
        default=None, description="With path: how to load it (default: guessed from the path)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        self.exactly_one("id", "path")  # a registered model knows its kind
        self.only_with("kind", "path")
        return self


class InlineMapping(Contract):
    """A mapping and its two taxonomies as native YAML documents (the CLI's files)."""

    mapping: str = Field(min_length=1, description="Native YAML of the mapping.")
    extra: str = Field(min_length=1, description="Native YAML of the extra taxonomy.")
    source: str = Field(min_length=1, description="Native YAML of the source taxonomy.")
    description: dict[str, Any] = Field(
        default_factory=dict, description="Where the documents came from (file, sha256)."
    )


class MappingRef(Contract):
    """A stored mapping by id and revision number (default: head when the job is created),
    or an inline document."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"mapping_id": 3, "revision": 5}]})

    mapping_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    revision: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="Revision number as the API shows it; omitted: the head, pinned at creation.",
    )
    inline: InlineMapping | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        self.exactly_one("mapping_id", "inline")
        self.only_with("revision", "mapping_id")
        return self


# --- shared settings -------------------------------------------------------------------


class TTASettings(Contract):
    """Test-time augmentation (DESIGN.md rule 6): softmax averaged over flip x scales."""

    scales: list[Annotated[float, Field(gt=0, le=4)]] = Field(
        default=list(DEFAULT_TTA_SCALES), min_length=1, max_length=16
    )
    flip: bool = True
    precision: Precision = Field(default="bf16", description="Autocast on CUDA; CPU runs fp32.")
    max_pixels: int | None = Field(
        default=None, ge=1024, description="Tile views above this many pixels (default: auto)."
    )
    tile: int = Field(default=512, ge=64, le=4096, description="Tile side when tiling.")


PREVIEW_TTA = TTASettings(scales=[1.0], flip=False)
"""Previews favour speed: one view."""


class ConstraintSettings(Contract):
    """Rules 4 and 5 of DESIGN.md, and whether to apply the mapping at all."""

    void_threshold: float = Field(default=DEFAULT_VOID_THRESHOLD, ge=0, le=1)
    confidence_floor: float = Field(default=0.0, ge=0, le=1)


class PseudoLabelOptions(ConstraintSettings):
    """What a pseudo-label job writes besides the labels, and how it runs."""

    save_prediction: bool = Field(default=False, description="Also write the unconstrained argmax.")
    soft_top_k: int = Field(default=0, ge=0, le=16, description="Also write top-k probabilities.")
    batch_size: int = Field(default=2, ge=1, le=256)
    num_workers: int = Field(default=2, ge=0, le=64, description="Frame-loading processes.")
    writer_threads: int = Field(default=4, ge=1, le=64)
    chunk_frames: int = Field(default=16, ge=1, le=4096, description="Frames per chunk task.")
    device: Device | None = None


class FrameSelection(Contract):
    """Frames of a registered dataset (``dataset_id``, optionally ``frame_ids``), or the
    image/label pairs of two folders (paired by relative path without extension)."""

    dataset_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    frame_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(
        default=None, max_length=MAX_IDS, description="Only these frames of the dataset."
    )
    images_dir: FolderPath | None = None
    labels_dir: FolderPath | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        folders = self.images_dir is not None or self.labels_dir is not None
        if self.dataset_id is not None and folders:
            raise ValueError("give dataset_id or images_dir + labels_dir, not both")
        if self.dataset_id is None:
            if self.frame_ids is not None:
                raise ValueError("frame_ids go with dataset_id")
            if self.images_dir is None or self.labels_dir is None:
                raise ValueError("give dataset_id, or both images_dir and labels_dir")
        return self


# --- the kinds -----------------------------------------------------------------------


class JobParams(Contract):
    """Base of each kind's parameters; ``kind`` names the job kind it belongs to."""

    kind: ClassVar[str]


class IndexParams(JobParams):
    """Walk a dataset's tree and index its frames and class histograms."""

    kind: ClassVar[str] = "index"
    model_config = ConfigDict(json_schema_extra={"examples": [{"dataset_id": 2}]})

    dataset_id: int = Field(ge=1, le=2**31 - 1)
    workers: int | None = Field(default=None, ge=1, le=64, description="Reader processes.")


class PseudoLabelParams(FrameSelection, JobParams):
    """Label extra frames: the teacher's TTA softmax constrained by the mapping, argmax."""

    kind: ClassVar[str] = "pseudo_label"
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "model": {"id": 1},
                    "dataset_id": 2,
                    "mapping": {"mapping_id": 3, "revision": 5},
                    "tta": {"scales": [0.5, 1, 1.5], "flip": True},
                    "options": {"void_threshold": 0.5, "save_prediction": True},
                }
            ]
        }
    )

    model: ModelRef
    mapping: MappingRef
    tta: TTASettings = TTASettings()
    options: PseudoLabelOptions = PseudoLabelOptions()
    priors: bool = Field(
        default=True,
        description="Constrain by the mapping; false writes the teacher's own argmax "
        "(the Naive Student baseline).",
    )
    output_dir: FolderPath | None = Field(
        default=None, description="Write here instead of <output root>/<job id>."
    )


class PreviewFrame(Contract):
    """One frame to cache teacher probabilities for, by key and file paths."""

    key: str = Field(min_length=1, max_length=512)
    image: FolderPath
    label: FolderPath | None = None


class PreviewParams(JobParams):
    """Cache the teacher's probabilities of some frames so previews follow mapping edits."""

    kind: ClassVar[str] = "preview"
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"model": {"id": 1}, "dataset_id": 2, "frame_ids": [17]}]}
    )

    model: ModelRef
    dataset_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    frame_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(
        default=None, max_length=MAX_IDS
    )
    images_dir: FolderPath | None = None
    labels_dir: FolderPath | None = None
    frames: list[PreviewFrame] | None = Field(default=None, max_length=MAX_IDS)
    taxonomy_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="Taxonomy of the labels (their colours)."
    )
    model_key: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._-]{1,120}$",
        description="Cache folder name (default: from the model).",
    )
    max_side: int = Field(default=512, ge=16, le=8192, description="Cached resolution.")
    dtype: Literal["uint8", "float16"] = "uint8"
    tta: TTASettings = PREVIEW_TTA
    device: Device | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        sources = [
            self.dataset_id is not None,
            self.images_dir is not None or self.labels_dir is not None,
            self.frames is not None,
        ]
        if sum(sources) != 1:
            raise ValueError("give one of dataset_id, images_dir + labels_dir, or frames")
        if self.frame_ids is not None and self.dataset_id is None:
            raise ValueError("frame_ids go with dataset_id")
        if (self.images_dir is None) != (self.labels_dir is None):
            raise ValueError("images_dir and labels_dir go together")
        return self


class EvaluateParams(JobParams):
    """Score a model, or a folder of predicted label PNGs, against ground truth.

    ``class_ids`` (and ``class_names``) are the predicted taxonomy, in channel order. With
    ``mapping`` the ground truth is in its extra taxonomy: a label allowing exactly one
    source class (and no void) becomes that class, every other label is ignored.
    """

    kind: ClassVar[str] = "evaluate"
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "predictions_dir": "/data/outputs/14",
                    "labels_dir": "/data/city/gt",
                    "class_ids": [0, 1, 2],
                    "class_names": ["road", "sidewalk", "building"],
                }
            ]
        }
    )

    model: ModelRef | None = None
    predictions_dir: FolderPath | None = None
    dataset_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    frame_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(
        default=None, max_length=MAX_IDS
    )
    images_dir: FolderPath | None = None
    labels_dir: FolderPath | None = None
    class_ids: list[Annotated[int, Field(ge=0, le=65535)]] = Field(min_length=1, max_length=65536)
    class_names: list[Annotated[str, StringConstraints(max_length=200)]] | None = Field(
        default=None, max_length=65536
    )
    mapping: MappingRef | None = None
    tta: TTASettings = PREVIEW_TTA
    device: Device | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.model is None) == (self.predictions_dir is None):
            raise ValueError("give exactly one of model or predictions_dir")
        if self.predictions_dir is not None:
            if self.labels_dir is None or self.dataset_id is not None:
                raise ValueError("predictions_dir is scored against labels_dir")
        elif self.dataset_id is None and (self.images_dir is None or self.labels_dir is None):
            raise ValueError("a model is scored on dataset_id or images_dir + labels_dir")
        if self.class_names is not None and len(self.class_names) != len(self.class_ids):
            raise ValueError(
                f"class_names has {len(self.class_names)} names for {len(self.class_ids)} ids"
            )
        if len(set(self.class_ids)) != len(self.class_ids):
            raise ValueError("class_ids has repeated ids")
        return self


class SuggestOptions(Contract):
    """How ``suggest`` ranks cells (``domain.suggestions``); defaults written there once."""

    add_min_share: float = Field(
        default=DEFAULT_ADD_MIN_SHARE,
        ge=0,
        le=1,
        description="Suggest an absent cell once this share of the label's pixels is predicted.",
    )
    remove_max_share: float = Field(
        default=DEFAULT_REMOVE_MAX_SHARE,
        ge=0,
        le=1,
        description="Suggest removing an allowed cell predicted on less than this share.",
    )
    min_pixels: int = Field(
        default=DEFAULT_MIN_PIXELS, ge=1, description="Labels with fewer pixels are not judged."
    )
    evidence_frames: int = Field(default=DEFAULT_EVIDENCE_FRAMES, ge=1, le=1000)
    max_items: int = Field(default=DEFAULT_MAX_ITEMS, ge=1, le=10_000)


class SuggestParams(FrameSelection, JobParams):
    """Suggest mapping cells to add and remove, and score conflicts, from the teacher's own
    (unconstrained) predictions on extra frames. Frames whose teacher probabilities a
    ``preview`` job cached for this model are read from that cache instead of re-run."""

    kind: ClassVar[str] = "suggest"
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"model": {"id": 1}, "dataset_id": 2, "mapping": {"mapping_id": 3}},
            ]
        }
    )

    model: ModelRef
    mapping: MappingRef
    sample_set_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="With dataset_id: that sample set's frames."
    )
    tta: TTASettings = PREVIEW_TTA
    void_threshold: float = Field(default=DEFAULT_VOID_THRESHOLD, ge=0, le=1)
    options: SuggestOptions = SuggestOptions()
    reuse_previews: bool = Field(
        default=True, description="Read probabilities a preview job cached for this model."
    )
    model_key: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._-]{1,120}$",
        description="Preview cache folder to read (default: the model's, as preview uses).",
    )
    chunk_frames: int = Field(default=16, ge=1, le=4096, description="Frames per chunk task.")
    device: Device | None = None

    @model_validator(mode="after")
    def _sample_set(self) -> Self:
        self.only_with("sample_set_id", "dataset_id")
        if self.sample_set_id is not None and self.frame_ids is not None:
            raise ValueError("give sample_set_id or frame_ids, not both")
        return self
