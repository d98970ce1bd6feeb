"""Migration 0004 builds exactly what models/tables.py declares."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from ontolabel.core.db import make_engine
from ontolabel.core.tables import metadata


# Comparing reflects every table, and SQLite cannot reflect the frames table's expression
# index (outside the tables this test checks): alembic and SQLAlchemy say so, harmlessly.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_models_tables_do_not_drift_from_migration_0004(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            drift = [op for op in compare_metadata(context, metadata) if _mine(op)]
    finally:
        engine.dispose()
    assert drift == []


def _mine(op: object) -> bool:
    text = repr(op)
    return "'models'" in text or "'evaluations'" in text or "Table('models'" in text
