"""``ontolabel mapping compose|inverse``: the mapping algebra on files or stored mappings.

A ``MAPPING`` argument is a file (reference CSV or native YAML, by extension) when one
exists at that path; otherwise the name (or id) of a stored mapping, read at its head.
Files need no database.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click

from ontolabel.cli.database import open_database
from ontolabel.cli.jobs import refusals_as_cli_errors
from ontolabel.cli.ontology import NATIVE_SUFFIXES, read_mapping_file, read_taxonomy_file
from ontolabel.core.db import session_scope
from ontolabel.domain.formats.native import dump_mapping
from ontolabel.domain.formats.reference import write_mapping_csv
from ontolabel.domain.mapping import Mapping, compose, inverse_view
from ontolabel.errors import NotFound
from ontolabel.mappings import repository, service
from ontolabel.taxonomies import repository as taxonomy_repository


@dataclasses.dataclass(frozen=True)
class _Loaded:
    mapping: Mapping
    extra_names: tuple[str, ...]


def _stored(ref: str) -> _Loaded:
    with refusals_as_cli_errors():
        _, factory = open_database()
        with session_scope(factory) as session:
            record = repository.get_mapping_by_name(session, ref)
            if record is None and ref.isdigit():
                record = repository.get_mapping(session, int(ref))
            if record is None:
                raise NotFound(f"{ref!r} is neither a file nor a stored mapping's name or id")
            _, mapping, _ = service.load_domain_mapping(session, record.id)
            extra = taxonomy_repository.load_domain_taxonomy(session, record.extra_taxonomy_id)
            return _Loaded(mapping, tuple(extra.names) if extra else ())


def _load(ref: str, *, extra_name: str) -> _Loaded:
    path = Path(ref)
    if path.is_file():
        return _Loaded(read_mapping_file(path, extra_name=extra_name).mapping, ())
    return _stored(ref)


@click.group("mapping")
def mapping_group() -> None:
    """Compose mappings and read them per extra label."""


@mapping_group.command("compose")
@click.argument("first", metavar="A")
@click.argument("second", metavar="B")
@click.option("-o", "--out", "out_path", type=click.Path(path_type=Path), help=".csv or .yaml.")
@click.option("--extra-name", default="extra", help="A's extra taxonomy, when A is a CSV.")
def compose_command(first: str, second: str, out_path: Path | None, extra_name: str) -> None:
    """Chain A (e→s) and B (s→t) into e→t; native YAML on stdout unless --out.

    B, when a CSV, is read as a mapping of A's source taxonomy.
    """
    a = _load(first, extra_name=extra_name).mapping
    b = _load(second, extra_name=a.source_taxonomy).mapping
    try:
        composed = compose(a, b)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if out_path is None:
        click.echo(dump_mapping(composed), nl=False)
        return
    native = out_path.suffix.lower() in NATIVE_SUFFIXES
    text = dump_mapping(composed) if native else write_mapping_csv(composed)
    out_path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out_path}", err=True)


@mapping_group.command("inverse")
@click.argument("ref", metavar="MAPPING")
@click.option(
    "--extra",
    "extra_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The extra taxonomy (labels.csv or .yaml): lists its unmapped labels too.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def inverse_command(ref: str, extra_path: Path | None, as_json: bool) -> None:
    """Per extra label of MAPPING, the source classes it may become (and whether void)."""
    loaded = _load(ref, extra_name="extra")
    names = read_taxonomy_file(extra_path).names if extra_path else loaded.extra_names
    views = inverse_view(loaded.mapping, names)
    if as_json:
        click.echo(
            json.dumps([{**dataclasses.asdict(v), "unmapped": v.unmapped} for v in views], indent=2)
        )
        return
    for v in views:
        targets = [f"{n} ({i})" for i, n in zip(v.source_ids, v.source_names, strict=True)]
        if v.void:
            targets.append("void")
        click.echo(f"{v.label}\t{', '.join(targets) if targets else 'unmapped'}")


def register(cli: click.Group) -> None:
    cli.add_command(mapping_group)
