"""Bulk writes for the index job, one strategy per database.

At 140k frames and ~1M histogram rows the ORM (and even Core executemany) costs more
CPU than decoding the labels. SQLite gets the driver's C-level ``executemany``;
PostgreSQL gets ``COPY`` for inserts and one ``UPDATE … FROM unnest(…)`` per batch, one
array parameter per column (``executemany`` of UPDATEs is a round trip per row there,
and a ``VALUES`` list with a parameter per value costs 7x the client CPU to bind and the
server to parse). Values are plain Python (JSON columns already serialised); table and
column names are ours, never a client's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

Row = Sequence[Any]
UPDATE_BATCH = 5000


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_rows(session: Session, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
    """Append ``rows`` (tuples in ``columns`` order) to ``table`` in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    names = ", ".join(columns)
    if _is_postgres(session):
        raw = connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(rows))


def update_rows(
    session: Session,
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Sequence[Row],
) -> int:
    """``UPDATE table SET columns… WHERE id = row[0]``; ``types`` are the PostgreSQL casts.

    Returns how many rows there were to update (fewer than ``rows`` if some are gone)."""
    if not rows:
        return 0
    connection = session.connection()
    if not _is_postgres(session):
        sets = ", ".join(f"{c} = ?" for c in columns)
        return connection.exec_driver_sql(
            f"UPDATE {table} SET {sets} WHERE id = ?", [(*r[1:], r[0]) for r in rows]
        ).rowcount
    arrays = ", ".join(f"%s::{t}[]" for t in ("integer", *types))
    sets = ", ".join(f"{c} = v.{c}" for c in columns)
    names = ", ".join(("id", *columns))
    statement = (
        f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v({names}) WHERE {table}.id = v.id"
    )
    updated = 0
    for start in range(0, len(rows), UPDATE_BATCH):
        part = rows[start : start + UPDATE_BATCH]
        values = tuple(list(c) for c in zip(*part, strict=True))
        updated += connection.exec_driver_sql(statement, values).rowcount
    return updated
