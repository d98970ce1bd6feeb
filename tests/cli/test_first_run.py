"""``make run`` on a fresh home: the shipped catalog beside the demo, and a second run adds nothing.

The commands are read from the Makefile's ``run`` recipe (all but ``serve``), so the test
follows what a first start really does; the demo is asked for two frames per dataset to
keep it quick.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner
from ontolabel.cli.catalog import DEFAULT_CATALOG
from ontolabel.cli.main import cli
from ontolabel.core.config import get_settings
from ontolabel.core.db import make_engine
from ontolabel.domain.catalog import load_catalog
from ontolabel.jobs.tables import Job
from ontolabel.mappings.tables import MappingRecord
from ontolabel.taxonomies.tables import TaxonomyRecord
from sqlalchemy import func, select

MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"


def _run_recipe() -> list[list[str]]:
    """The ``ontolabel`` commands of ``make run`` before ``serve``, as argument lists."""
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", MAKEFILE.read_text(), re.MULTILINE)
    assert recipe, "Makefile has no run target"
    commands = []
    for line in recipe.group(1).splitlines():
        words = shlex.split(line.strip())
        assert words[0] == "$(BIN)/ontolabel", line
        if words[1] == "serve":
            break
        commands.append(words[1:] + (["--frames", "2"] if words[1] == "demo" else []))
    return commands


def _counts() -> tuple[int, int, int, set[str]]:
    engine = make_engine(get_settings().sqlalchemy_url)
    try:
        with engine.connect() as conn:
            taxonomies = conn.scalar(select(func.count()).select_from(TaxonomyRecord))
            mappings = conn.scalar(select(func.count()).select_from(MappingRecord))
            jobs = conn.scalar(select(func.count()).select_from(Job))
            names = set(conn.scalars(select(MappingRecord.name)))
    finally:
        engine.dispose()
    return int(taxonomies or 0), int(mappings or 0), int(jobs or 0), names


def test_make_run_loads_the_catalog_beside_the_demo_and_twice_is_once(cli_home: Path) -> None:
    # given a fresh home and the commands `make run` runs before serving
    catalog = load_catalog(DEFAULT_CATALOG)
    commands = _run_recipe()
    assert ["ontologies", "load"] in commands
    runner = CliRunner()
    # when they run
    for args in commands:
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, f"{args}: {result.output}"
    first = _counts()
    # then every catalog taxonomy and mapping is there, and the demo's too
    taxonomies, mappings, _, names = first
    assert {m.name for m in catalog.mappings} <= names
    assert any(n.startswith("demo-") for n in names)
    assert taxonomies > len(catalog.taxonomies) and mappings > len(catalog.mappings)
    # and when `make run` starts a second time, nothing is added and nothing fails
    for args in commands:
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, f"{args}: {result.output}"
    assert _counts() == first
