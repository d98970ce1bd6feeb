"""The paper's training ``config.yaml`` as ``TrainParams`` settings, and back.

``import_config`` reads the reference trainer's document (``../shared/TRAINING.md``,
``reference/data-priors/config.yaml``) into the contract's fields, per-dataset settings
keyed by the names the document uses (weights, ``train_with_val``, augmentation
overrides), and a line for every key ontolabel has no equivalent for. ``export_config``
writes a job's parameters in the same shape, with what the paper's trainer has no key for
under ``ontolabel:``, which the import reads back. Pure: no files, no database.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ontolabel.jobs.train_params import TrainData, TrainParams

JSON = dict[str, Any]

AUGMENT_KEYS = (
    "max_crop_size",
    "min_crop_size",
    "max_crop_scale",
    "min_crop_scale",
    "flip",
    "brightness",
    "contrast",
    "hue_shift",
    "saturation",
    "blur_prob",
    "gaussian_noise",
    "noise_prob",
)
"""``augmentation.base`` keys that are ``AugmentSettings`` fields of the same name."""

SIMPLE: tuple[tuple[str, str], ...] = (
    ("training_params.batch_size", "batch_size"),
    ("training_params.epochs", "epochs"),
    ("training_params.num_workers", "num_workers"),
    ("training_params.validation_interval", "val_every"),
    ("patience", "patience"),
    ("gradclip", "optim.grad_clip"),
    ("init_head", "model.init_head"),
    ("model_config.no_object_weight", "model.no_object_weight"),
    ("lr_scheduler.warmup_epochs", "optim.warmup_epochs"),
    *((f"augmentation.base.{key}", f"augment.{key}") for key in AUGMENT_KEYS),
    ("augmentation.base.affine.shear", "augment.shear"),
)
"""(paper key, contract field) pairs that carry the same value."""

OPTIMIZERS = {"AdamW": "adamw", "Adam": "adam", "SGD": "sgd"}
SCHEDULES = {
    "MultiStepLR": "multistep",
    "PolynomialLR": "poly",
    "CosineAnnealingLR": "cosine",
    "ConstantLR": "constant",
}
SCHEDULE_KEYS = {
    "MultiStepLR": (("gamma", "gamma"), ("milestones", "milestones")),
    "PolynomialLR": (("power", "poly_power"),),
    "CosineAnnealingLR": (("eta_min", "min_lr"),),
    "ConstantLR": (),
}
OPTIMIZER_KEYS = ("lr", "encoder_lr", "weight_decay", "momentum")

ONTOLABEL_KEYS = (
    "steps",
    "augment.crop",
    "optim.schedule",
    "optim.accumulation",
    "fine_tune_epochs",
    "checkpoint_every",
    "precision",
    "seed",
    "max_seconds",
)
"""Settings the paper's trainer has no key for, exported under ``ontolabel:``."""

NO_EQUIVALENT = {
    "dataset": "datasets are the job's data entries (folders, datasets, pseudo_label jobs)",
    "source_dataset": "the source is the first data entry",
    "validation_datasets": "validation sets are the job's val entries",
    "master_labels": "each pseudo_label job names its mapping",
    "color_map": "colours come from the taxonomy",
    "pseudo_labels_root": "pseudo-labels are named by their pseudo_label job",
    "size": "the model is chosen by preset, registered model or folder",
    "augmentation.base.image_dim": "frames are read at their own size; crops are `crop` px",
    "training_params.save_interval": "only the best model and a resume checkpoint are kept",
    "training_params.first_epoch_save": "the best model is saved from the first epoch",
    "tensorboard_imgs": "TensorBoard gets scalars only",
}
"""Why a key of the paper's document is not imported."""

ACCEPTED: dict[str, tuple[Any, str]] = {
    "seg_task": ("semantic", "semantic segmentation is the only task"),
    "model": ("mask2former", "the model is chosen by preset, registered model or folder"),
    "training_params.save_best": (True, "only the best model is kept"),
    "optimizer.freeze_backbone": (False, "the encoder always trains (at encoder_lr)"),
    "resume": (True, "an interrupted job always resumes from its checkpoint"),
    "optimizer.SGD.nesterov": (False, "SGD runs without Nesterov momentum"),
}
"""Keys whose paper value is what ontolabel always does; any other value is reported."""


@dataclass(frozen=True)
class DatasetSettings:
    """What the document says about one dataset it names."""

    weight: float | None = None
    merge_val: bool = False
    augment: JSON = field(default_factory=dict)


@dataclass(frozen=True)
class ImportedConfig:
    """A paper ``config.yaml`` in ontolabel's terms."""

    fields: JSON
    """``TrainParams`` fields, nested as in the contract (data, val and the start left out)."""
    pretrained: str | None
    """The document's start weights: a hub id or a path, as ``--model`` would name them."""
    datasets: dict[str, DatasetSettings]
    """Per dataset name: its sampling weight, train+val merge and augmentation overrides."""
    unmapped: list[str]
    """``key: why`` for each key with no equivalent."""


def import_config(doc: Mapping[str, Any]) -> ImportedConfig:
    """The contract's settings for the paper's training document ``doc``."""
    leaves = dict(_leaves(doc))
    fields: JSON = {}
    unmapped: list[str] = []

    def take(key: str) -> Any:
        return leaves.pop(key)

    for paper, ours in SIMPLE:
        if paper in leaves:
            _put(fields, ours, take(paper))
    _import_optimizer(doc, leaves, fields, unmapped)
    _import_schedule(doc, leaves, fields, unmapped)
    datasets = _import_datasets(doc, leaves)
    for key, (value, why) in ACCEPTED.items():
        if key in leaves and take(key) != value:
            unmapped.append(f"{key}: {why}")
    for key, value in dict(doc.get("ontolabel") or {}).items():
        _put(fields, key, value)
    leaves = {k: v for k, v in leaves.items() if not _under(k, "ontolabel")}
    pretrained = leaves.pop("pretrained", None)
    for key in sorted(leaves):
        section = next((k for k in NO_EQUIVALENT if _under(key, k)), key)
        if not any(u.startswith(f"{section}:") for u in unmapped):  # one line per section
            unmapped.append(f"{section}: {NO_EQUIVALENT.get(section, 'no equivalent')}")
    return ImportedConfig(
        fields=fields,
        pretrained=None if pretrained is None else str(pretrained),
        datasets=datasets,
        unmapped=unmapped,
    )


def apply_datasets(
    config: ImportedConfig, data: list[TrainData]
) -> tuple[list[TrainData], list[str]]:
    """``data`` with the document's settings for the entries of those names, and a line for
    each setting no entry took."""
    notes = []
    out = []
    for entry in data:
        settings = config.datasets.get(entry.name or "")
        if settings is None:
            out.append(entry)
            continue
        update: JSON = {}
        if settings.augment:
            update["augment"] = settings.augment
        if settings.weight is not None:
            update["weight"] = settings.weight
        if settings.merge_val and entry.dataset_id is None:
            notes.append(f"train_with_val: {entry.name} is not a registered dataset (no val split)")
        elif settings.merge_val:
            update["merge_val"] = True
        out.append(TrainData.model_validate({**entry.model_dump(), **update}))
    named = {d.name for d in data}
    notes += [f"{n}: no data entry of that name" for n in config.datasets if n not in named]
    return out, notes


def export_config(params: TrainParams) -> JSON:
    """``params`` in the shape of the paper's ``config.yaml`` (plus ``ontolabel:``)."""
    values = params.model_dump(mode="json")
    names = [d.name or f"data{i}" for i, d in enumerate(params.data)]
    val_names = [v.name or f"val{i}" for i, v in enumerate(params.val)]
    doc: JSON = {
        "dataset": list(dict.fromkeys([*names, *val_names])),
        "seg_task": "semantic",
        "source_dataset": names[0],
        "validation_datasets": val_names,
        "train_with_val": [n for n, d in zip(names, params.data, strict=True) if d.merge_val],
    }
    for paper, ours in SIMPLE:
        value = _get(values, ours)
        if value is not None:
            _put(doc, paper, value)
    doc["training_params"]["save_best"] = True
    doc["training_params"]["dataset_weights"] = {
        n: d.weight for n, d in zip(names, params.data, strict=True)
    }
    for n, d in zip(names, params.data, strict=True):
        if d.augment is not None:
            overrides = d.augment.model_dump(mode="json", exclude_none=True)
            doc["augmentation"][n] = _paper_augment(overrides)
    _export_optimizer(params, doc)
    _export_schedule(params, doc)
    model, init = params.model, params.model.init
    registered = None if init is None or init.id is None else str(init.id)  # as --model takes it
    doc["pretrained"] = model.hub_id or (init.path if init else None) or registered or model.preset
    ontolabel = {key: _get(values, key) for key in ONTOLABEL_KEYS}
    doc["ontolabel"] = {key: value for key, value in ontolabel.items() if value is not None}
    return doc


# --- the parts -----------------------------------------------------------------------


def _chosen(
    doc: Mapping[str, Any],
    part: str,
    choices: Mapping[str, str],
    leaves: JSON,
    unmapped: list[str],
) -> tuple[str, JSON] | None:
    """The ``name`` a part (``optimizer``, ``lr_scheduler``) picks and its own section; the
    sections of the names not chosen do nothing, so their keys are dropped unreported."""
    settings = dict(doc.get(part) or {})
    name = settings.get("name")
    if name is None:
        return None
    leaves.pop(f"{part}.name")
    for other in choices:
        if other != name:
            for key in [k for k in leaves if k.startswith(f"{part}.{other}.")]:
                del leaves[key]
    if name not in choices:
        unmapped.append(f"{part}.name: {name!r} is not one of {', '.join(choices)}")
        return None
    return name, dict(settings.get(name) or {})


def _import_optimizer(
    doc: Mapping[str, Any], leaves: JSON, fields: JSON, unmapped: list[str]
) -> None:
    chosen = _chosen(doc, "optimizer", OPTIMIZERS, leaves, unmapped)
    if chosen is None:
        return
    name, section = chosen
    _put(fields, "optim.optimizer", OPTIMIZERS[name])
    if "encoder_lr" not in section:
        _put(fields, "optim.encoder_lr", None)  # one rate for every parameter
    for key in OPTIMIZER_KEYS:
        if key in section:
            _put(fields, f"optim.{key}", leaves.pop(f"optimizer.{name}.{key}"))


def _import_schedule(
    doc: Mapping[str, Any], leaves: JSON, fields: JSON, unmapped: list[str]
) -> None:
    chosen = _chosen(doc, "lr_scheduler", SCHEDULES, leaves, unmapped)
    if chosen is None:
        return
    name, section = chosen
    _put(fields, "optim.schedule", SCHEDULES[name])
    for paper, ours in SCHEDULE_KEYS[name]:
        if paper not in section:
            continue
        leaves.pop(f"lr_scheduler.{name}.{paper}")
        value = section[paper]
        if ours == "milestones":
            value = _milestone_fractions(value, _get(fields, "epochs"), unmapped)
            if value is None:
                continue
        _put(fields, f"optim.{ours}", value)


def _milestone_fractions(
    milestones: list[float], epochs: int | None, unmapped: list[str]
) -> list[float] | None:
    """Fractions of all steps: the document's own (all < 1), or epochs over ``epochs``."""
    if all(0 < m < 1 for m in milestones):
        return list(milestones)
    if epochs and all(0 < m < epochs for m in milestones):
        return [m / epochs for m in milestones]
    unmapped.append(
        f"lr_scheduler.MultiStepLR.milestones: {milestones} are neither fractions nor "
        "epochs within training_params.epochs"
    )
    return None


def _import_datasets(doc: Mapping[str, Any], leaves: JSON) -> dict[str, DatasetSettings]:
    weights = dict((doc.get("training_params") or {}).get("dataset_weights") or {})
    merged = [str(n) for n in doc.get("train_with_val") or []]
    augmentation = dict(doc.get("augmentation") or {})
    overrides = {str(n): dict(v or {}) for n, v in augmentation.items() if n != "base"}
    per_dataset = ["training_params.dataset_weights", "train_with_val"]
    per_dataset += [f"augmentation.{name}" for name in overrides]
    for key in [k for k in leaves if any(_under(k, section) for section in per_dataset)]:
        del leaves[key]
    names = dict.fromkeys([*map(str, weights), *merged, *overrides])
    return {
        name: DatasetSettings(
            weight=None if name not in weights else float(weights[name]),
            merge_val=name in merged,
            augment=_our_augment(overrides.get(name, {})),
        )
        for name in names
    }


def _our_augment(paper: JSON) -> JSON:
    """A dataset's augmentation overrides in the contract's names (``affine.shear``)."""
    out = {k: v for k, v in paper.items() if k != "affine"}
    if "shear" in (paper.get("affine") or {}):
        out["shear"] = paper["affine"]["shear"]
    return out


def _paper_augment(ours: JSON) -> JSON:
    out = {k: v for k, v in ours.items() if k != "shear"}
    if "shear" in ours:
        out["affine"] = {"shear": ours["shear"]}
    return out


def _export_optimizer(params: TrainParams, doc: JSON) -> None:
    optim = params.optim
    name = next(k for k, v in OPTIMIZERS.items() if v == optim.optimizer)
    section: JSON = {"lr": optim.lr, "weight_decay": optim.weight_decay}
    if optim.encoder_lr is not None:
        section["encoder_lr"] = optim.encoder_lr
    if name == "SGD":
        section["momentum"] = optim.momentum
    doc["optimizer"] = {"freeze_backbone": False, "name": name, name: section}


def _export_schedule(params: TrainParams, doc: JSON) -> None:
    optim = params.optim
    name = next(k for k, v in SCHEDULES.items() if v == optim.schedule)
    schedule = doc.setdefault("lr_scheduler", {})
    schedule["name"] = name
    dumped = optim.model_dump(mode="json")
    schedule[name] = {paper: dumped[ours] for paper, ours in SCHEDULE_KEYS[name]}


def _leaves(doc: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``a.b.c`` → value for every non-mapping value (lists are values)."""
    for key, value in doc.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, f"{path}.")
        else:
            yield path, value


def _under(key: str, section: str) -> bool:
    return key == section or key.startswith(f"{section}.")


def _put(target: JSON, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def _get(source: JSON, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(source, dict) or part not in source:
            return None
        source = source[part]
    return source
