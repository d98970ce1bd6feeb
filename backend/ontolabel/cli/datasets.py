"""``ontolabel dataset …`` and ``ontolabel demo``: register, index and sample datasets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy.orm import Session

from ontolabel.cli.database import open_database
from ontolabel.cli.operator import operator
from ontolabel.core.config import Settings, get_settings
from ontolabel.core.db import session_scope
from ontolabel.datasets import service
from ontolabel.datasets.layout import PRESETS
from ontolabel.datasets.schemas import DatasetCreate, SamplingParams
from ontolabel.domain.labels import LABEL_ENCODINGS, LabelEncoding
from ontolabel.domain.taxonomy import Taxonomy, class_differences
from ontolabel.errors import InvalidInput, OntolabelError

if TYPE_CHECKING:
    from ontolabel.taxonomies.schemas import TaxonomyKind


def taxonomy_ref(session: Session, value: str, dataset_name: str) -> str | int:
    """A taxonomy name, or a labels.csv / taxonomy YAML file imported under the dataset's name."""
    path = Path(value)
    if not path.is_file():
        return value
    taxonomy = read_taxonomy_file(path, dataset_name)
    named = "a labels.csv is named after the dataset"
    return stored_taxonomy_id(session, taxonomy, "extra", path, flag="--taxonomy", named=named)


def read_taxonomy_file(path: Path, name: str) -> Taxonomy:
    """A taxonomy YAML file, or a labels.csv read as the taxonomy ``name``."""
    from ontolabel.domain.formats import decode_text
    from ontolabel.domain.formats.native import load_taxonomy
    from ontolabel.domain.formats.reference import read_labels_csv

    text = decode_text(path.read_bytes(), source=str(path))
    if path.suffix.lower() in (".yaml", ".yml"):
        return load_taxonomy(text, source=str(path))
    return read_labels_csv(text, name=name, source=str(path))


def stored_taxonomy_id(
    session: Session,
    taxonomy: Taxonomy,
    kind: TaxonomyKind,
    origin: Path,
    *,
    flag: str,
    named: str,
) -> int:
    """The stored taxonomy of ``taxonomy``'s name, created now if there is none; refused
    when one of that name has other classes (``flag`` takes a stored name; ``named`` says
    where the name came from)."""
    from ontolabel.taxonomies import repository as taxonomy_repository
    from ontolabel.taxonomies import service as taxonomy_service

    existing = taxonomy_repository.get_taxonomy_by_name(session, taxonomy.name)
    if existing is None:
        return taxonomy_service.create_taxonomy(
            session, taxonomy, kind=kind, user=operator(session, get_settings())
        ).id
    stored = taxonomy_repository.load_domain_taxonomy(session, existing.id)
    differences = class_differences(stored.classes if stored else (), taxonomy.classes)
    if differences:  # reusing it would read these labels with the wrong classes
        raise InvalidInput(
            f"taxonomy {taxonomy.name!r} already exists with other classes than {origin} "
            f"({len(differences)} difference(s): {'; '.join(differences[:5])}): to use the "
            f"stored one pass {flag} {taxonomy.name}; to use the file give its taxonomy a name "
            f"not taken yet ({named})",
            field="taxonomy",
        )
    return existing.id


@click.group("dataset")
def dataset() -> None:
    """Register, index and sample datasets."""


@dataset.command("add")
@click.argument("name")
@click.argument("root", type=click.Path(file_okay=False, path_type=Path))
@click.option("--taxonomy", required=True, help="Taxonomy name, or a labels.csv / YAML file.")
@click.option("--preset", type=click.Choice(sorted(PRESETS)), default=None)
@click.option("--images", "image_glob", default=None, help="Image glob relative to ROOT.")
@click.option("--labels", "label_glob", default=None, help="Label glob relative to ROOT.")
@click.option(
    "--pattern", default=None, help="Regex on the image path; groups split/sequence/camera/frame."
)
@click.option("--label-pattern", default=None, help="Regex on the label path (same groups).")
@click.option("--encoding", type=click.Choice(LABEL_ENCODINGS), default=None)
@click.option("--dry-run", is_flag=True, help="Show what would be found; register nothing.")
def add(
    name: str,
    root: Path,
    taxonomy: str,
    preset: str | None,
    image_glob: str | None,
    label_glob: str | None,
    pattern: str | None,
    label_pattern: str | None,
    encoding: LabelEncoding | None,
    dry_run: bool,
) -> None:
    """Register dataset NAME at ROOT (which must lie under ONTOLABEL_DATA_ROOTS)."""
    if preset is None and image_glob is None:
        raise click.UsageError("give --preset or --images (and usually --labels)")
    settings, factory = open_database()
    try:
        with session_scope(factory) as session:
            spec = DatasetCreate(
                name=name,
                root=str(root.expanduser().absolute()),
                taxonomy=taxonomy if dry_run else taxonomy_ref(session, taxonomy, name),
                preset=preset,
                image_glob=image_glob,
                label_glob=label_glob,
                image_regex=pattern,
                label_regex=label_pattern,
                label_encoding=encoding,
            )
            if dry_run:
                _print_dry_run(settings, spec)
                return
            record = service.register_dataset(session, settings, spec, operator(session, settings))
            click.echo(f"registered dataset {record.name!r} (id {record.id}) at {record.root}")
    except OntolabelError as exc:
        raise click.ClickException(exc.message) from None


def _print_dry_run(settings: Settings, spec: DatasetCreate) -> None:
    report = service.dry_run(settings, spec)
    click.echo(f"images: {report.images}  labels: {report.labels}  pairs: {report.paired}")
    for group, values in report.examples.items():
        if values:
            click.echo(f"  {group}: {', '.join(values)}")
    if report.unpaired_total:
        click.echo(f"unpaired: {report.unpaired_total}")
        for u in report.unpaired:
            click.echo(f"  {u.reason}")
    if report.off_pattern_total:
        click.echo(f"matching the glob but not the pattern: {report.off_pattern_total}")
        for rel in report.off_pattern:
            click.echo(f"  {rel}")


@dataset.command("list")
def list_cmd() -> None:
    """Registered datasets."""
    _, factory = open_database()
    with factory() as session:
        items, _ = service.list_datasets(session)
        for d in items:
            click.echo(f"{d.id:>4}  {d.name:<24} {d.frame_count:>8} frames  {d.root}")


@dataset.command("index")
@click.argument("name")
def index_cmd(name: str) -> None:
    """Index NAME here (incremental), showing progress; exit 1 if the job fails."""
    from ontolabel.cli.jobs import run_following

    settings, factory = open_database()
    try:
        with factory() as session:
            dataset_id = service.dataset_named(session, name).id
        with session_scope(factory) as session:
            job_id = service.start_index(session, settings, dataset_id, operator(session, settings))
    except OntolabelError as exc:
        raise click.ClickException(exc.message) from None
    if run_following(settings, factory, job_id) != "succeeded":
        raise SystemExit(1)


@dataset.command("sample")
@click.argument("name")
@click.option("--every", type=int, default=None, help="Every Nth frame per sequence and camera.")
@click.option("--camera", default=None)
@click.option("--label", "labels", multiple=True, help="Label name or id (frames containing any).")
@click.option("--random", "random_k", type=int, default=None, help="K frames at random.")
@click.option("--per-label", type=int, default=None, help="At least K frames per label.")
@click.option("--seed", type=int, default=0, show_default=True)
def sample(
    name: str,
    every: int | None,
    camera: str | None,
    labels: tuple[str, ...],
    random_k: int | None,
    per_label: int | None,
    seed: int,
) -> None:
    """Print one image path per line (relative to ROOT), in sequence/frame order."""
    _, factory = open_database()
    with factory() as session:
        try:
            record = service.dataset_named(session, name)
            label_ids = [service.label_id(session, record.taxonomy_id, x) for x in labels]
            params = SamplingParams(
                every=every, camera=camera, labels=label_ids, random=random_k,
                per_label=per_label, seed=seed,
            )  # fmt: skip
            paths = service.sample_paths(session, record.id, service.rule_of(params))
        except OntolabelError as exc:
            raise click.ClickException(exc.message) from None
    for path in paths:
        click.echo(path)


@dataset.command("stale")
@click.argument("name")
@click.option("--folder", required=True, help="A pseudo_label job's output folder.")
@click.option("--mapping", "mapping_ref", required=True, help="Mapping name or id.")
@click.option("--revision", type=int, default=None, help="Revision number (default: head).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole count as JSON.")
def stale(name: str, folder: str, mapping_ref: str, revision: int | None, as_json: bool) -> None:
    """Print "N frames stale": frames of FOLDER a rerun with the revision relabels."""
    from ontolabel.datasets.staleness import stale_frames
    from ontolabel.mappings import repository as mappings

    settings, factory = open_database()
    with factory() as session:
        try:
            record = service.dataset_named(session, name)
            mapping = mappings.get_mapping_by_name(session, mapping_ref)
            if mapping is None and not mapping_ref.isdigit():
                raise InvalidInput(f"mapping {mapping_ref!r} does not exist", field="mapping")
            mapping_id = mapping.id if mapping is not None else int(mapping_ref)
            folder_path = str(Path(folder).expanduser().resolve())
            count = stale_frames(session, settings, record.id, folder_path, mapping_id, revision)
        except OntolabelError as exc:
            raise click.ClickException(exc.message) from None
    if as_json:
        click.echo(count.model_dump_json(indent=1))
        return
    click.echo(f"{count.message} of {count.frames} in {count.folder} (revision {count.revision})")
    for group in count.provenances:
        changed = "all" if group.changed_labels is None else group.changed_labels
        click.echo(
            f"  {group.provenance}: {group.stale} of {group.frames} stale, made with "
            f"{group.mapping}; changed labels: {changed}"
        )


@click.command("demo")
@click.option("--frames", default=None, type=int, help="Frames per dataset (default: small).")
@click.option(
    "--teacher/--no-teacher",
    default=False,
    help="Also queue (once) a ~3-minute CPU training job whose model, demo-teacher, "
    "makes the frame view's pseudo-label preview work; the server runs it.",
)
def demo(frames: int | None, teacher: bool) -> None:
    """Write the synthetic demo world, load its taxonomies and mappings, index it."""
    from ontolabel.demo.world import install_demo, queue_teacher

    settings, _ = open_database()
    report = install_demo(settings, frames_per_dataset=frames, echo=click.echo)
    click.echo(report)
    if teacher:
        click.echo(queue_teacher(settings))


def register(cli: click.Group) -> None:
    """Add this module's commands to the root group."""
    cli.add_command(dataset)
    cli.add_command(demo)
