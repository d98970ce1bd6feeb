"""``ontolabel train``: train a student on folders without the server.

The same ``TrainParams`` as ``POST /api/jobs`` (kind ``train``), run in this process by the
jobs runner; the best model's ``save_pretrained`` folder is copied to ``--out``, where
``ontolabel label --model`` and ``ontolabel evaluate --model`` load it. ``--config`` reads
the paper's ``config.yaml`` (``jobs.paper_config``); options given on the command line
override its values. Torch loads only inside the job, so ``--help`` stays fast.
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import click
from sqlalchemy.orm import Session, sessionmaker

from ontolabel.jobs.paper_config import ImportedConfig, apply_datasets, import_config
from ontolabel.jobs.train_params import (
    ModelPreset,
    TrainData,
    TrainParams,
    ValData,
    folders_name,
)

if TYPE_CHECKING:
    from ontolabel.domain.taxonomy import Taxonomy

PRESETS = get_args(ModelPreset)
DEFAULT_MODEL = "segformer-b0"
"""Used without --model and without a config's ``pretrained``."""


@dataclass(frozen=True)
class FolderPair:
    """``IMAGES:LABELS[:WEIGHT]``: two folders paired by relative path without extension."""

    images: Path
    labels: Path
    weight: float | None = None


def parse_folder_pair(value: str, option: str, *, weighted: bool) -> FolderPair:
    """``value`` as folders that exist (and a weight where ``weighted``); else exit 1."""
    form = "IMAGES:LABELS[:WEIGHT]" if weighted else "IMAGES:LABELS"
    parts = value.split(":")
    if len(parts) not in ((2, 3) if weighted else (2,)) or not all(parts):
        raise click.ClickException(f"{option} {value!r}: give {form}")
    weight = None
    if len(parts) == 3:
        try:
            weight = float(parts[2])
        except ValueError:
            raise click.ClickException(f"{option} {value!r}: WEIGHT must be a number") from None
    folders = []
    for part, what in zip(parts[:2], ("IMAGES", "LABELS"), strict=True):
        path = Path(part).expanduser().resolve()
        if not path.is_dir():
            raise click.ClickException(f"{option} {value!r}: {what} folder {path} does not exist")
        folders.append(path)
    return FolderPair(folders[0], folders[1], weight)


@dataclass(frozen=True)
class TrainOptions:
    """What the command line asked for; None where it said nothing."""

    data: list[FolderPair]
    val: list[FolderPair] = field(default_factory=list)
    steps: int | None = None
    epochs: int | None = None
    batch_size: int | None = None
    crop: int | None = None
    lr: float | None = None
    encoder_lr: float | None = None
    patience: int | None = None
    seed: int | None = None
    device: str | None = None

    def fields(self) -> dict[str, Any]:
        """The contract's fields these options set, nested as in ``TrainParams``."""
        given = {
            "steps": self.steps,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "patience": self.patience,
            "seed": self.seed,
            "device": self.device,
        }
        out: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        optim = {"lr": self.lr, "encoder_lr": self.encoder_lr}
        if any(v is not None for v in optim.values()):
            out["optim"] = {k: v for k, v in optim.items() if v is not None}
        if self.crop is not None:
            out["augment"] = {"crop": self.crop}
        return out


def train_params(
    options: TrainOptions,
    taxonomy_id: int,
    start: dict[str, Any],
    config: ImportedConfig | None = None,
) -> tuple[TrainParams, list[str]]:
    """The job's contract: the config's settings, with the options given over them, and a
    line for each per-dataset setting of the config that no ``--data`` took.

    ``start`` is the model's start (``{"preset": …}``, ``{"init": …}`` or ``{"hub_id": …}``);
    the first ``--data`` is the source. Entries are named by their folder, so a config's
    per-dataset settings apply to the ``--data`` of that name.
    """
    fields = copy.deepcopy(config.fields) if config else {}
    given = options.fields()
    for budget, other in (("steps", "epochs"), ("epochs", "steps")):
        if budget in given:
            fields.pop(other, None)
    _merge(fields, given)
    data = [
        TrainData(images_dir=str(p.images), labels_dir=str(p.labels), name=_name(p))
        for p in options.data
    ]
    notes: list[str] = []
    if config is not None:
        data, notes = apply_datasets(config, data)
    data = [  # a weight on the command line beats the config's
        d if p.weight is None else d.model_copy(update={"weight": p.weight})
        for d, p in zip(data, options.data, strict=True)
    ]
    val = [
        ValData(images_dir=str(p.images), labels_dir=str(p.labels), name=_name(p))
        for p in options.val
    ]
    fields["model"] = {**fields.get("model", {}), **start}
    params = TrainParams.model_validate(
        {**fields, "taxonomy_id": taxonomy_id, "data": data, "val": val}
    )
    return params, notes


def _name(pair: FolderPair) -> str:
    return folders_name(str(pair.images), str(pair.labels))


def _merge(target: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def read_config(path: Path) -> ImportedConfig:
    """The paper's ``config.yaml`` at ``path``; exit 1 if it is not one."""
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise click.ClickException(f"--config {path}: {exc}") from None
    if not isinstance(doc, dict):
        raise click.ClickException(f"--config {path} is not a YAML mapping of settings")
    return import_config(doc)


# --- what the names on the command line are ------------------------------------------


def classes_taxonomy(session: Session, value: str) -> int:
    """``--classes``: a labels.csv (or taxonomy YAML) stored as a taxonomy if it is not yet,
    a model folder's ``id2label`` (ids 0..N-1), or a stored taxonomy's name."""
    from ontolabel.cli.datasets import read_taxonomy_file, stored_taxonomy_id
    from ontolabel.datasets.service import find_taxonomy
    from ontolabel.errors import InvalidInput

    path = Path(value).expanduser().resolve()
    if path.is_file():
        name = path.parent.name if path.stem == "labels" else path.stem
        taxonomy = read_taxonomy_file(path, name)
        named = "a labels.csv is named after its folder, another .csv after its file"
        return stored_taxonomy_id(session, taxonomy, "source", path, flag="--classes", named=named)
    if path.is_dir():
        taxonomy = _model_folder_taxonomy(path)
        named = "a model folder's classes are named after the folder"
        return stored_taxonomy_id(session, taxonomy, "source", path, flag="--classes", named=named)
    try:
        return find_taxonomy(session, value).id
    except InvalidInput:
        raise click.ClickException(
            f"--classes {value!r} is neither a labels.csv, a model folder with id2label, nor "
            "a stored taxonomy"
        ) from None


def _model_folder_taxonomy(folder: Path) -> Taxonomy:
    from ontolabel.domain.taxonomy import VOID_ID, Taxonomy, TaxonomyClass
    from ontolabel.models.service import config_class_names

    names = config_class_names(folder)
    if not names:
        raise click.ClickException(f"--classes {folder} has no config.json with id2label")
    classes = [TaxonomyClass(id=i, name=n) for i, n in enumerate(names)]
    return Taxonomy(name=folder.name, classes=(*classes, TaxonomyClass(VOID_ID, "void")))


def model_start(factory: sessionmaker[Session], value: str) -> tuple[dict[str, Any], list[Path]]:
    """``--model``: a preset, a registered model (name or id), a save_pretrained folder or a
    hub id; and the folders the job must be allowed to read for it."""
    from ontolabel.models.service import find_model, list_models

    if value in PRESETS:
        return {"preset": value}, []
    with factory() as session:
        record = find_model(session, value)
        registered = [m.name for m in list_models(session)[0]] if record is None else []
    if record is not None:
        return {"init": {"id": record.id}}, []
    local = Path(value).expanduser().resolve()
    if local.is_dir():
        return {"init": {"path": str(local)}}, [local]
    if local.exists():
        raise click.ClickException(
            f"--model {value}: a checkpoint file cannot start training; give a "
            "save_pretrained folder"
        )
    if value.count("/") == 1 and not value.startswith((".", "/", "~")):
        return {"hub_id": value}, []
    raise click.ClickException(
        f"--model {value!r} is neither a preset ({', '.join(PRESETS)}), a registered model "
        f"(registered: {', '.join(registered) or 'none yet'}), a save_pretrained folder, nor a "
        "hub id"
    )


def _out_folder(out: Path) -> Path:
    """``--out``, refused when it holds something other than a model (it is replaced)."""
    out = out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise click.ClickException(f"--out {out} is a file")
    if out.is_dir() and any(out.iterdir()) and not (out / "config.json").is_file():
        raise click.ClickException(
            f"--out {out} is not empty and holds no model: give a new or empty folder"
        )
    return out


def _copy_model(best: Path, out: Path) -> None:
    """``best`` to ``out`` whole: copied beside it, then swapped in."""
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(best, tmp)
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)


@click.command("train")
@click.option(
    "--data",
    "data",
    multiple=True,
    required=True,
    metavar="IMAGES:LABELS[:WEIGHT]",
    help="Training folders (paired by path without extension); the first is the source. "
    "WEIGHT: its sampling weight (default 1).",
)
@click.option(
    "--classes",
    required=True,
    metavar="LABELS_CSV_OR_MODEL_DIR",
    help="The student's classes: a labels.csv (stored as a taxonomy if new), a model "
    "folder's id2label, or a stored taxonomy name. Label PNGs hold these ids.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Receives the best model's save_pretrained folder.",
)
@click.option(
    "--model",
    default=None,
    help=f"A preset ({', '.join(PRESETS)}), registered model, save_pretrained folder or hub "
    f"id to start from [default: the config's pretrained, else {DEFAULT_MODEL}].",
)
@click.option(
    "--val", "val", multiple=True, metavar="IMAGES:LABELS", help="A validation set (repeatable)."
)
@click.option("--steps", type=int, default=None, help="Train this many steps ...")
@click.option("--epochs", type=int, default=None, help="... or this many epochs.")
@click.option("--batch-size", type=int, default=None, help="Frames per step and process.")
@click.option("--crop", type=int, default=None, help="Side of the training crops.")
@click.option("--lr", type=float, default=None, help="Learning rate.")
@click.option("--encoder-lr", type=float, default=None, help="The encoder's learning rate.")
@click.option("--patience", type=int, default=None, help="Epochs without gain before stopping.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    default=None,
    help="The paper's config.yaml; options given here override its values.",
)
@click.option("--seed", type=int, default=None)
@click.option("--device", default=None, help="cpu, cuda or cuda:N [default: cuda if present].")
def train(
    data: tuple[str, ...],
    classes: str,
    out: Path,
    model: str | None,
    val: tuple[str, ...],
    steps: int | None,
    epochs: int | None,
    batch_size: int | None,
    crop: int | None,
    lr: float | None,
    encoder_lr: float | None,
    patience: int | None,
    config_file: Path | None,
    seed: int | None,
    device: str | None,
) -> None:
    """Train a student on image/label folders; the best model lands in OUT.

    Settings not given are the train job's defaults (docs/training.md), or the --config's.
    Progress, one line per epoch (loss, validation mIoU, ETA), and TensorBoard logs under
    the job's output folder.
    """
    from ontolabel.cli.database import open_database
    from ontolabel.cli.jobs import outputs_of, refusals_as_cli_errors, run_here
    from ontolabel.cli.local_inputs import settings_reading
    from ontolabel.core.config import get_settings
    from ontolabel.core.db import session_scope

    if steps is not None and epochs is not None:
        raise click.ClickException("give --steps or --epochs, not both")
    config = read_config(config_file.expanduser()) if config_file else None
    for line in config.unmapped if config else []:
        click.echo(f"warning: --config {line} (not used)", err=True)
    options = TrainOptions(
        data=[parse_folder_pair(v, "--data", weighted=True) for v in data],
        val=[parse_folder_pair(v, "--val", weighted=False) for v in val],
        steps=steps,
        epochs=epochs,
        batch_size=batch_size,
        crop=crop,
        lr=lr,
        encoder_lr=encoder_lr,
        patience=patience,
        seed=seed,
        device=device,
    )
    if steps is None and epochs is None and not (config and "epochs" in config.fields):
        raise click.ClickException("give --steps N or --epochs N (or a --config with epochs)")
    out = _out_folder(out)
    with refusals_as_cli_errors():
        base, factory = open_database(get_settings())
        start, model_folders = model_start(
            factory, model or (config.pretrained if config else None) or DEFAULT_MODEL
        )
        with session_scope(factory) as session:
            taxonomy_id = classes_taxonomy(session, classes)
        params, notes = train_params(options, taxonomy_id, start, config)
        for line in notes:
            click.echo(f"warning: --config {line}", err=True)
        folders = [f for p in [*options.data, *options.val] for f in (p.images, p.labels)]
        job = run_here(settings_reading(base, [*folders, *model_folders]), params, "cli")
    outputs = outputs_of(job)
    _copy_model(Path(outputs["model_dir"]), out)
    fitness = outputs.get("best_fitness")
    click.echo(
        f"trained {outputs.get('epochs')} epoch(s), {outputs.get('steps')} step(s), best "
        f"fitness {'n/a' if fitness is None else f'{fitness:.4f}'} -> {out} (job {job.id}; "
        f"TensorBoard: {Path(outputs['model_dir']).parent / 'tensorboard'})"
    )


def register(cli: click.Group) -> None:
    """Add this module's commands to the root group."""
    cli.add_command(train)
