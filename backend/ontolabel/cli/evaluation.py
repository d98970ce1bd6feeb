"""``ontolabel evaluate``: mIoU of a model, or of a folder of label PNGs, without the server.

It runs an ``evaluate`` job in this process (the API's code path), so the result is stored
and listed by ``ontolabel jobs list`` and ``GET /api/models/evaluations``; the figures
printed are read back from that stored evaluation.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from ontolabel.cli.local_inputs import ModelChoice
    from ontolabel.models.tables import EvaluationRecord


@dataclass(frozen=True)
class Classes:
    """The predicted taxonomy: label ids in channel order, and their names."""

    ids: list[int]
    names: list[str]

    def __post_init__(self) -> None:
        repeated = sorted(name for name, n in Counter(self.names).items() if n > 1)
        if repeated:  # the names key the per-class figures
            raise click.ClickException(f"class names must be unique; repeated: {repeated}")


def _folder(path: Path, option: str) -> Path:
    resolved = path.expanduser().resolve()
    if not resolved.is_dir():
        raise click.ClickException(f"{option} folder {resolved} does not exist")
    return resolved


def _classes_file(path: Path) -> Classes:
    """The non-void classes of a reference ``labels.csv``, in file order, ids as written."""
    from ontolabel.domain.formats import decode_text
    from ontolabel.domain.formats.reference import read_labels_csv
    from ontolabel.domain.taxonomy import VOID_ID

    if not path.is_file():
        raise click.ClickException(f"--classes {path} is not a file")
    text = decode_text(path.read_bytes(), source=str(path))
    taxonomy = read_labels_csv(text, name=path.stem, source=str(path))
    classes = [c for c in taxonomy.classes if c.id != VOID_ID]
    if not classes:
        raise click.ClickException(f"--classes file {path} names no class besides void")
    return Classes([c.id for c in classes], [c.name for c in classes])


def _model_classes(factory: sessionmaker[Session], choice: ModelChoice, model: str) -> Classes:
    """A registered model's taxonomy (its classes in channel order), or a local folder's
    ``config.json`` ``id2label`` (ids 0..N-1 are the channels)."""
    from ontolabel.domain.taxonomy import VOID_ID
    from ontolabel.models.service import config_class_names
    from ontolabel.taxonomies.repository import load_domain_taxonomy

    if choice.record is not None:
        with factory() as session:
            taxonomy = load_domain_taxonomy(session, choice.record.taxonomy_id)
        classes = [c for c in taxonomy.classes if c.id != VOID_ID] if taxonomy else []
        if classes:
            return Classes([c.id for c in classes], [c.name for c in classes])
    elif choice.local is not None and choice.local.is_dir():
        names = config_class_names(choice.local)
        if names:
            return Classes(list(range(len(names))), names)
    raise click.ClickException(
        f"cannot tell the classes of --model {model!r} (no config.json with id2label): give "
        "--classes LABELS_CSV"
    )


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100


def _report(evaluation: EvaluationRecord, as_json: bool) -> None:
    per_class = {
        name: _percent(iou)
        for name, iou in zip(evaluation.class_names, evaluation.per_class_iou, strict=True)
    }
    if as_json:
        click.echo(json.dumps({"miou": _percent(evaluation.mean_iou), "per_class": per_class}))
        return
    miou = _percent(evaluation.mean_iou)
    present = sum(v is not None for v in per_class.values())
    click.echo(
        f"mIoU {'n/a' if miou is None else f'{miou:.2f}%'} over {present} of "
        f"{len(per_class)} classes present, {evaluation.frames} frame(s) "
        f"(evaluation {evaluation.id}, job {evaluation.job_id})"
    )
    width = max(len(name) for name in per_class)
    for name, value in per_class.items():
        click.echo(f"  {name:<{width}}  {'n/a' if value is None else f'{value:6.2f}':>6}")


F = TypeVar("F", bound=Callable[..., Any])


def _path_option(flag: str, help: str, *, required: bool = False) -> Callable[[F], F]:
    """A folder or file option; existence is checked with a clear message in the command."""
    return click.option(
        flag, type=click.Path(path_type=Path), default=None, required=required, help=help
    )


@click.command("evaluate")
@click.option("--model", default=None, help="Registered model name/id, HF folder or checkpoint.")
@_path_option(
    "--predictions", "Instead of --model: a folder of predicted label PNGs (e.g. pseudo-labels)."
)
@_path_option("--images", "Images (with --model; not read with --predictions).")
@_path_option(
    "--labels", "Ground-truth label PNGs: ids of the classes, 255 ignored.", required=True
)
@_path_option("--classes", "labels.csv of the predicted classes (default: the model's id2label).")
@click.option(
    "--json", "as_json", is_flag=True, help="Print only the figures as JSON (progress: stderr)."
)
def evaluate(
    model: str | None,
    predictions: Path | None,
    images: Path | None,
    labels: Path,
    classes: Path | None,
    as_json: bool,
) -> None:
    """Score a model on images, or a folder of label PNGs, against ground-truth labels.

    Frames pair by path relative to their folder without extension. Prints mIoU in percent
    (the mean over the classes present in truth or prediction) and each class's IoU; the
    evaluation is stored (ontolabel jobs list, GET /api/models/evaluations).
    """
    from ontolabel.cli.database import open_database
    from ontolabel.cli.jobs import outputs_of, refusals_as_cli_errors, run_here
    from ontolabel.cli.local_inputs import choose_model, settings_reading
    from ontolabel.core.config import get_settings
    from ontolabel.jobs.params import EvaluateParams
    from ontolabel.models.service import get_evaluation

    if (model is None) == (predictions is None):
        raise click.ClickException("give one of --model MODEL or --predictions DIR")
    if model is not None and images is None:
        raise click.ClickException("--model needs --images DIR: the images it predicts on")
    if predictions is not None and classes is None:
        raise click.ClickException(
            "--predictions needs --classes LABELS_CSV: the labels.csv naming the ids in the PNGs"
        )
    with refusals_as_cli_errors():
        truth = _folder(labels, "--labels")
        scored = _folder(predictions, "--predictions") if predictions else None
        pictures = _folder(images, "--images") if images and model else None
        given = _classes_file(classes.expanduser()) if classes else None
        base, factory = open_database(get_settings())
        choice = choose_model(factory, model) if model is not None else None
        if given is None:  # --predictions come with --classes (checked above)
            assert choice is not None and model is not None
            given = _model_classes(factory, choice, model)
        folders = [truth, *filter(None, [scored, pictures]), *(choice.folders if choice else [])]
        params = EvaluateParams(
            model=choice.ref if choice else None,
            predictions_dir=str(scored) if scored else None,
            images_dir=str(pictures) if pictures else None,
            labels_dir=str(truth),
            class_ids=given.ids,
            class_names=given.names,
        )
        job = run_here(settings_reading(base, folders), params, "cli", err=as_json)
    evaluation_id = outputs_of(job)["evaluation_id"]
    with factory() as session:
        _report(get_evaluation(session, evaluation_id), as_json)


def register(cli: click.Group) -> None:
    """Add this module's commands to the root group."""
    cli.add_command(evaluate)
