"""``ontolabel ontologies load``: put the shipped taxonomies and mappings into the database."""

from __future__ import annotations

from pathlib import Path

import click

from ontolabel.cli.database import open_database
from ontolabel.cli.operator import operator
from ontolabel.core.config import Settings, get_settings
from ontolabel.core.db import session_scope
from ontolabel.domain.catalog import load_catalog
from ontolabel.mappings.catalog import CatalogLoadReport, load_catalog_into_db

DEFAULT_CATALOG = Path(__file__).resolve().parents[3] / "ontologies"
"""The ``ontologies/`` folder at the root of the source tree."""


def load_catalog_dir(settings: Settings, root: Path, *, user: str = "catalog") -> CatalogLoadReport:
    """Open the database (migrating the embedded one), then load ``root`` in one transaction."""
    catalog = load_catalog(root)  # parse everything before touching the database
    _, factory = open_database(settings)
    with session_scope(factory) as session:
        return load_catalog_into_db(session, catalog, operator(session, settings, user))


@click.group()
def ontologies() -> None:
    """The taxonomies and mappings that ship with ontolabel."""


@ontologies.command()
@click.option(
    "--dir",
    "root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=DEFAULT_CATALOG,
    show_default=True,
    help="Catalog folder to load.",
)
def load(root: Path) -> None:
    """Load the catalog into the configured database; a second run changes nothing."""
    report = load_catalog_dir(get_settings(), root)
    for label, names in (
        ("created taxonomy", report.created_taxonomies),
        ("updated taxonomy", report.updated_taxonomies),
        ("created mapping", report.created_mappings),
        ("new revision of mapping", report.revised_mappings),
    ):
        for name in names:
            click.echo(f"{label}: {name}")
    click.echo(
        f"catalog loaded from {root}: "
        + ("changes committed" if report.changed else f"{len(report.unchanged)} entries unchanged")
    )


def register(cli: click.Group) -> None:
    cli.add_command(ontologies)
