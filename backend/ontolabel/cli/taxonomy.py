"""``ontolabel taxonomy rename|merge|split|revert|changes``: safe taxonomy changes.

The same service as ``POST /api/taxonomies/{id}/changes``: ``--dry-run`` counts what a
change touches and stores nothing; applying it saves new mapping revisions in one
transaction, and ``revert CHANGE_ID`` restores what was there.
"""

from __future__ import annotations

import json
from typing import Any

import click
from pydantic import BaseModel, TypeAdapter
from sqlalchemy.orm import Session

from ontolabel.cli.database import open_database
from ontolabel.cli.jobs import refusals_as_cli_errors
from ontolabel.core.db import session_scope
from ontolabel.core.users import User
from ontolabel.errors import NotFound
from ontolabel.taxonomies import changes, repository
from ontolabel.taxonomies.change_schemas import (
    TaxonomyChangeCreate,
    TaxonomyChangePreview,
    TaxonomyChangeRead,
)

USER = User(name="cli")
_BODY: TypeAdapter[TaxonomyChangeCreate] = TypeAdapter(TaxonomyChangeCreate)


def _taxonomy_id(session: Session, taxonomy: str) -> int:
    record = repository.get_taxonomy_by_name(session, taxonomy)
    if record is None and taxonomy.isdigit():
        record = repository.get_taxonomy(session, int(taxonomy))
    if record is None:
        raise NotFound(f"no taxonomy named {taxonomy!r}", field="taxonomy")
    return record.id


def _print_preview(preview: TaxonomyChangePreview) -> None:
    for m in preview.mappings:
        rows = ", ".join(str(r) for r in m.rows)
        click.echo(
            f"  mapping {m.name} ({m.side}, r{m.head_revision}): {m.cells} cell(s), rows {rows}"
        )
    click.echo(
        f"  decisions: {preview.verifications_reset} reset, "
        f"{preview.verifications_carried} carried over"
    )
    click.echo(f"  label pixels: {preview.label_pixels} in {preview.label_frames} frame(s)")
    for d in preview.datasets:
        click.echo(f"    dataset {d.name}: {d.pixels} pixels, {d.frames} frame(s)")
    click.echo(f"  models: {', '.join(m.name for m in preview.models) or 'none'}")


def _report(result: BaseModel, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.model_dump(mode="json"), indent=2))
    elif isinstance(result, TaxonomyChangePreview):
        click.echo(f"dry run: {result.op} touches")
        _print_preview(result)
    else:
        assert isinstance(result, TaxonomyChangeRead)
        click.echo(f"change {result.id} applied: {result.message}")
        for m in result.mappings:
            click.echo(f"  mapping {m.name}: revision {m.before} -> {m.after}")
        click.echo(f"undo with: ontolabel taxonomy revert {result.id}")


def _run(taxonomy: str, body: dict[str, Any], dry_run: bool, as_json: bool) -> None:
    with refusals_as_cli_errors():
        change = _BODY.validate_python(body)
        _, factory = open_database()
        with session_scope(factory) as session:
            taxonomy_id = _taxonomy_id(session, taxonomy)
            result: BaseModel
            if dry_run:
                result = changes.preview_change(session, taxonomy_id, change)
            else:
                applied = changes.apply_change(session, taxonomy_id, change, user=USER)
                result = changes.read_change(applied)
    _report(result, as_json)


_DRY_RUN = click.option("--dry-run", is_flag=True, help="Count what it touches; store nothing.")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
_MESSAGE = click.option("-m", "--message", default="", help="Why; kept on each new revision.")


@click.group()
def taxonomy() -> None:
    """Rename, merge and split the classes of a stored taxonomy, safely."""


@taxonomy.command()
@click.argument("taxonomy_name", metavar="TAXONOMY")
@click.argument("class_name", metavar="CLASS")
@click.argument("new_name")
@_DRY_RUN
@_JSON
@_MESSAGE
def rename(
    taxonomy_name: str, class_name: str, new_name: str, dry_run: bool, as_json: bool, message: str
) -> None:
    """Give CLASS of TAXONOMY (name or id) the name NEW_NAME in every mapping."""
    body = {"op": "rename", "class": class_name, "new_name": new_name, "message": message}
    _run(taxonomy_name, body, dry_run, as_json)


@taxonomy.command()
@click.argument("taxonomy_name", metavar="TAXONOMY")
@click.argument("classes", nargs=-1, required=True)
@click.option("--into", required=True, help="The merged class's name (one of CLASSES or new).")
@_DRY_RUN
@_JSON
@_MESSAGE
def merge(
    taxonomy_name: str,
    classes: tuple[str, ...],
    into: str,
    dry_run: bool,
    as_json: bool,
    message: str,
) -> None:
    """Make CLASSES one class named --into.

    In an extra taxonomy every merged class keeps its id (label PNGs hold them); in a
    source taxonomy the class named --into (else the first) is kept and the others removed.
    """
    body = {"op": "merge", "classes": list(classes), "into": into, "message": message}
    _run(taxonomy_name, body, dry_run, as_json)


def _part(text: str) -> dict[str, Any]:
    """``NAME`` or ``NAME:ID``."""
    name, sep, class_id = text.rpartition(":")
    if sep and class_id.lstrip("-").isdigit():
        return {"name": name, "id": int(class_id)}
    return {"name": text}


@taxonomy.command()
@click.argument("taxonomy_name", metavar="TAXONOMY")
@click.argument("class_name", metavar="CLASS")
@click.option(
    "--into",
    "parts",
    multiple=True,
    required=True,
    help="A part, NAME or NAME:ID; give it once per part (the first keeps CLASS's id).",
)
@click.option(
    "--cells",
    type=click.Choice(["copy", "first"]),
    default="copy",
    show_default=True,
    help="copy: every part gets CLASS's cells; first: only the first part does.",
)
@_DRY_RUN
@_JSON
@_MESSAGE
def split(
    taxonomy_name: str,
    class_name: str,
    parts: tuple[str, ...],
    cells: str,
    dry_run: bool,
    as_json: bool,
    message: str,
) -> None:
    """Make CLASS several classes, one per --into."""
    body = {
        "op": "split",
        "class": class_name,
        "into": [_part(p) for p in parts],
        "cells": cells,
        "message": message,
    }
    _run(taxonomy_name, body, dry_run, as_json)


@taxonomy.command()
@click.argument("change_id", type=int)
@_JSON
@_MESSAGE
def revert(change_id: int, as_json: bool, message: str) -> None:
    """Undo change CHANGE_ID: classes, mappings and decisions as they were before it."""
    with refusals_as_cli_errors():
        _, factory = open_database()
        with session_scope(factory) as session:
            found = changes.find_change(session, change_id)
            record = changes.revert_change(
                session, found.taxonomy_id, change_id, message=message or None, user=USER
            )
            result = changes.read_change(record)
    if as_json:
        click.echo(json.dumps(result.model_dump(mode="json"), indent=2))
        return
    click.echo(f"change {change_id} reverted")
    for m in result.revert_revisions or []:
        click.echo(f"  mapping {m.name}: revision {m.before} -> {m.after}")


@taxonomy.command("changes")
@click.argument("taxonomy_name", metavar="TAXONOMY")
def list_changes(taxonomy_name: str) -> None:
    """The changes applied to TAXONOMY, newest first."""
    with refusals_as_cli_errors():
        _, factory = open_database()
        with session_scope(factory) as session:
            items, _ = changes.list_changes(session, _taxonomy_id(session, taxonomy_name))
    for c in items:
        state = f"reverted by {c.reverted_by}" if c.reverted_at else "applied"
        click.echo(
            f"{c.id}\t{c.op}\t{c.author}\t{c.created_at:%Y-%m-%d %H:%M}\t{state}\t{c.message}"
        )


def register(cli: click.Group) -> None:
    cli.add_command(taxonomy)
