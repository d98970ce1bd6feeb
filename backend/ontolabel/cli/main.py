"""The ``ontolabel`` command: a thin client over the same services the API uses."""

from __future__ import annotations

import click

from ontolabel import __version__
from ontolabel.cli import (
    catalog,
    datasets,
    evaluation,
    jobs,
    labeling,
    mapping,
    ontology,
    server,
    suggestions,
    taxonomy,
    training,
    users,
)


@click.group()
@click.version_option(__version__, prog_name="ontolabel")
def cli() -> None:
    """Unify the label spaces of semantic-segmentation datasets."""


for module in (
    ontology,
    server,
    datasets,
    labeling,
    suggestions,
    training,
    evaluation,
    catalog,
    jobs,
    taxonomy,
    mapping,
    users,
):
    module.register(cli)


if __name__ == "__main__":
    cli()
