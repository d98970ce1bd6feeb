"""``ontolabel label``: pseudo-label a folder of frames without the server.

The same code path as a ``pseudo_label`` job (plan / run_chunk / finish), run in this
process by the jobs runner; torch loads only inside the command so ``--help`` stays fast.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ontolabel.jobs.params import (
    InlineMapping,
    MappingRef,
    PseudoLabelOptions,
    PseudoLabelParams,
    TTASettings,
)


def _scales(value: str) -> list[float]:
    try:
        scales = [float(s) for s in value.split(",") if s.strip()]
    except ValueError:
        raise click.BadParameter(f"{value!r}: give scales like 0.5,1,1.5") from None
    if not scales or any(s <= 0 for s in scales):
        raise click.BadParameter("scales must be positive numbers")
    return scales


def inline_mapping(extra_file: Path, mapping_file: Path) -> InlineMapping:
    """The mapping and taxonomies from files, as the job's inline documents."""
    from ontolabel.domain.formats import decode_text
    from ontolabel.domain.formats.native import dump_mapping, dump_taxonomy, load_mapping
    from ontolabel.domain.formats.reference import read_labels_csv, read_mapping_csv
    from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass

    extra_bytes, mapping_bytes = extra_file.read_bytes(), mapping_file.read_bytes()
    extra_text = decode_text(extra_bytes, source=str(extra_file))
    extra = read_labels_csv(extra_text, name=extra_file.stem, source=str(extra_file))
    text = decode_text(mapping_bytes, source=str(mapping_file))
    if mapping_file.suffix.lower() == ".csv":
        mapping = read_mapping_csv(
            text, extra_taxonomy=extra.name, source_taxonomy="source", source=str(mapping_file)
        ).mapping
    else:
        mapping = load_mapping(text, source=str(mapping_file))
    source = Taxonomy(
        name=mapping.source_taxonomy,
        classes=tuple(
            TaxonomyClass(id=r.source_id, name=r.source_name.strip()) for r in mapping.source_rows
        ),
    )
    return InlineMapping(
        mapping=dump_mapping(mapping),
        extra=dump_taxonomy(extra),
        source=dump_taxonomy(source),
        # No revision names a file: its absolute path and content digest stand in for one.
        description={
            "file": str(mapping_file.resolve()),
            "sha256": hashlib.sha256(mapping_bytes).hexdigest(),
            "extra_labels": str(extra_file.resolve()),
            "extra_labels_sha256": hashlib.sha256(extra_bytes).hexdigest(),
        },
    )


_TTA = TTASettings()
_NUMBER_FLAGS = {
    "void_threshold": "--void-threshold",
    "confidence_floor": "--confidence-floor",
    "batch_size": "--batch-size",
    "soft_top_k": "--soft-top-k",
    "num_workers": "--workers",
    "chunk_frames": "--chunk-frames",
}


def _contract_options(command: Callable[..., None]) -> Callable[..., None]:
    """The numeric ``PseudoLabelOptions`` as options: defaults and help from the contract."""
    for name, flag in reversed(_NUMBER_FLAGS.items()):
        field = PseudoLabelOptions.model_fields[name]
        command = click.option(
            flag,
            name,
            default=field.default,
            show_default=True,
            type=type(field.default),
            help=field.description,
        )(command)
    return command


_FROM_CONFIG = {("tta", "scales"): "scales", ("tta", "flip"): "no_flip", ("priors",): "no_priors"}
_FROM_CONFIG[("options", "num_workers")] = "num_workers"


def _with_config(config_file: Path | None, **given: Any) -> dict[str, Any]:
    """The job's TTA, options and priors: the paper's ``config_inference.yaml`` (if given)
    where the command line left an option at its default; its other keys are listed."""
    if config_file is None:
        return given
    import yaml

    from ontolabel.jobs.paper_inference import import_inference_config

    doc = yaml.safe_load(config_file.read_text())
    if not isinstance(doc, dict):
        raise click.ClickException(f"--config {config_file} is not a YAML mapping of settings")
    imported = import_inference_config(doc)
    for line in imported.unmapped:
        click.echo(f"--config: {line}", err=True)
    source = click.get_current_context().get_parameter_source
    for path, option in _FROM_CONFIG.items():
        section = imported.fields
        for key in path[:-1]:
            section = section.get(key, {})
        if path[-1] in section and source(option) is click.core.ParameterSource.DEFAULT:
            value = section[path[-1]]
            if len(path) == 1:
                given[path[0]] = value
            else:
                given[path[0]] = {**given[path[0]], path[1]: value}
    return given


Command = TypeVar("Command", bound=Callable[..., object])


def labeling_inputs(command: Command) -> Command:
    """The inputs ``label`` and ``suggest`` share: a teacher, frames, their labels' taxonomy
    and the mapping onto the teacher's classes."""
    folder = click.Path(exists=True, file_okay=False, path_type=Path)
    file = click.Path(exists=True, dir_okay=False, path_type=Path)
    options = [
        click.option(
            "--model",
            "model",
            required=True,
            help="Registered model name, HF folder or checkpoint.",
        ),
        click.option("--images", type=folder, required=True),
        click.option("--labels", type=folder, required=True),
        click.option(
            "--extra",
            type=file,
            required=True,
            help="labels.csv of the extra taxonomy (the ids in the label PNGs).",
        ),
        click.option(
            "--mapping",
            type=file,
            required=True,
            help="Reference master_labels CSV or native YAML mapping onto the model's classes.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command("label")
@labeling_inputs
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--scales", default=",".join(f"{s:g}" for s in _TTA.scales), show_default=True)
@click.option("--no-flip", is_flag=True, help="Skip the horizontal-flip views.")
@_contract_options
@click.option(
    "--device", type=click.Choice(["cpu", "cuda"]), default=None, help="Default: cuda if present."
)
@click.option("--save-prediction", is_flag=True, help="Also write the argmax without priors.")
@click.option(
    "--no-priors",
    is_flag=True,
    help="Write the teacher's own argmax, ignoring the mapping (the Naive Student's labels).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The paper's config_inference.yaml: its TTA, priors and workers where no option "
    "here is given; keys with no equivalent are listed.",
)
@click.option(
    "--allow-pickle", is_flag=True, help="Load a .pth checkpoint's pickles (trusted files only)."
)
def label(
    model: str,
    images: Path,
    labels: Path,
    extra: Path,
    mapping: Path,
    out: Path,
    scales: str,
    no_flip: bool,
    device: str | None,
    save_prediction: bool,
    no_priors: bool,
    allow_pickle: bool,
    config_file: Path | None,
    **numbers: Any,
) -> None:
    """Pseudo-label extra frames: teacher TTA softmax constrained by the mapping, then argmax.

    Images and labels pair by path relative to their folder without extension; outputs
    mirror the label paths under OUT (labels/a/b.png -> OUT/a/b.png) plus OUT/manifest.json.
    """
    from ontolabel.cli.database import open_database
    from ontolabel.cli.jobs import outputs_of, refusals_as_cli_errors, run_here
    from ontolabel.cli.local_inputs import choose_model, settings_reading
    from ontolabel.core.config import get_settings

    base = get_settings()
    out = out.expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    with refusals_as_cli_errors():
        _, factory = open_database(base)
        choice = choose_model(factory, model)
        settings = settings_reading(
            base,
            [images.resolve(), labels.resolve(), out, *choice.folders],
            trusted_pickle=choice.local if allow_pickle else None,
        )
        params = PseudoLabelParams(
            model=choice.ref,
            images_dir=str(images.resolve()),
            labels_dir=str(labels.resolve()),
            mapping=MappingRef(inline=inline_mapping(extra, mapping)),
            **_with_config(
                config_file,
                tta={"scales": _scales(scales), "flip": not no_flip},
                options={"device": device, "save_prediction": save_prediction, **numbers},
                priors=not no_priors,
            ),
            output_dir=str(out),
        )
        job = run_here(settings, params, "cli")
    outputs = outputs_of(job)
    click.echo(
        f"labelled {outputs.get('labelled')} frame(s), {outputs.get('errors')} error(s) -> {out} "
        f"(manifest: {outputs.get('manifest')})"
    )


def register(cli: click.Group) -> None:
    """Add this module's commands to the root group."""
    cli.add_command(label)
