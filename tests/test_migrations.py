"""Migrations build exactly the schema the table classes declare, on each database."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from ontolabel.core.db import make_engine
from ontolabel.core.tables import metadata
from sqlalchemy import Table, inspect

# SQLite cannot reflect expression indexes (ix_frames_dataset_shuffle), so Alembic skips
# comparing it there and says so; PostgreSQL reflects and compares it.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index",
    "ignore:autogenerate skipping metadata-specified expression-based index",
)

ONTOLOGY_TABLES = {
    "taxonomies",
    "taxonomy_classes",
    "mappings",
    "mapping_revisions",
    "audit_events",
}


def _table_of(op: Any) -> str | None:
    """The table a drift entry from ``compare_metadata`` is about."""
    if isinstance(op, list):  # column modifications come grouped
        return _table_of(op[0])
    for item in op[1:]:
        if isinstance(item, Table):
            return str(item.name)
        table = getattr(item, "table", None)
        if isinstance(table, Table):
            return str(table.name)
        if isinstance(item, str):  # ("modify_type", schema, table name, column, ...)
            return item
    return None


def _drift(db_url: str) -> list[Any]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_upgrade_creates_every_declared_table(db_url: str) -> None:
    # given a fresh database migrated to head (the db_url fixture runs the upgrade)
    engine = make_engine(db_url)
    try:
        present = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    # then every table the code declares exists
    assert set(metadata.tables) <= present


def test_ontology_tables_do_not_drift_from_migration_0001(db_url: str) -> None:
    drift = [op for op in _drift(db_url) if _table_of(op) in ONTOLOGY_TABLES]
    assert drift == []


def test_whole_schema_does_not_drift_from_the_migration_chain(db_url: str) -> None:
    assert _drift(db_url) == []
