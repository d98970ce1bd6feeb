"""Loading the shipped catalog: complete, idempotent, and a changed file is a new revision."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner
from ontolabel.cli.catalog import DEFAULT_CATALOG, load_catalog_dir
from ontolabel.cli.main import cli
from ontolabel.core.config import Settings, get_settings
from ontolabel.core.db import make_engine, session_scope
from ontolabel.core.users import User
from ontolabel.domain.catalog import Catalog, load_catalog
from ontolabel.mappings import repository, service
from ontolabel.mappings.catalog import CATALOG_MESSAGE, load_catalog_into_db
from sqlalchemy.orm import Session, sessionmaker
from taxonomies.factories import dump_ontology


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    if not (DEFAULT_CATALOG / "mappings").is_dir():
        pytest.skip(f"no catalog at {DEFAULT_CATALOG}")
    return load_catalog(DEFAULT_CATALOG)


def test_second_load_changes_nothing(settings: Settings, catalog: Catalog) -> None:
    # given the catalog loaded once
    first = load_catalog_dir(settings, DEFAULT_CATALOG)
    assert len(first.created_mappings) == len(catalog.mappings)
    assert len(first.created_taxonomies) == len(catalog.taxonomies)
    engine = make_engine(settings.sqlalchemy_url)
    before = dump_ontology(engine)
    # when loaded again
    second = load_catalog_dir(settings, DEFAULT_CATALOG)
    # then nothing changed, not even the audit log
    assert not second.changed
    assert dump_ontology(engine) == before
    engine.dispose()


def test_changed_mapping_file_becomes_a_new_revision(
    session_factory: sessionmaker[Session], catalog: Catalog
) -> None:
    loader = User(name="catalog")
    with session_scope(session_factory) as session:
        load_catalog_into_db(session, catalog, loader)
    # given one mapping file whose first row gained a label
    entry = catalog.mappings[0]
    first, *rest = entry.mapping.rows
    edited_first = dataclasses.replace(first, extra_labels=(*first.extra_labels, "new-label"))
    edited = dataclasses.replace(entry.mapping, rows=(edited_first, *rest))
    changed = Catalog(
        taxonomies=catalog.taxonomies,
        mappings=[dataclasses.replace(entry, mapping=edited), *catalog.mappings[1:]],
    )
    # when the catalog is loaded again
    with session_scope(session_factory) as session:
        report = load_catalog_into_db(session, changed, loader)
    # then exactly that mapping has a revision 2 with the catalog message
    assert report.revised_mappings == [entry.name]
    assert not report.created_mappings and not report.updated_taxonomies
    with session_factory() as session:
        record = repository.get_mapping_by_name(session, entry.name)
        assert record is not None
        head = service.get_mapping(session, record.id).head
    assert (head.number, head.message, head.author) == (2, CATALOG_MESSAGE, "catalog")
    assert "new-label" in head.rows[0].extra_labels


def test_cli_loads_into_the_configured_database(
    settings: Settings, catalog: Catalog, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ONTOLABEL_HOME", str(settings.home))
    monkeypatch.setenv("ONTOLABEL_DATABASE_URL", settings.sqlalchemy_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        first = runner.invoke(cli, ["ontologies", "load", "--dir", str(DEFAULT_CATALOG)])
        second = runner.invoke(cli, ["ontologies", "load", "--dir", str(DEFAULT_CATALOG)])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    assert "created mapping" in first.output
    assert second.exit_code == 0, second.output
    assert "unchanged" in second.output
    assert "created" not in second.output
