"""The CLI's one way into the database: a schema this code knows, or a message saying why not.

The embedded SQLite file (no ``ONTOLABEL_DATABASE_URL``) belongs to this user alone and is
migrated on first use. A configured database is shared with a server and workers that may
still run the old code, so migrating it is the operator's call: a command that finds it
behind names the command to run instead.
"""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ontolabel.core.config import Settings, get_settings
from ontolabel.core.db import SchemaState, schema_state, upgrade_database
from ontolabel.jobs.runner import session_factory_for


def open_database(settings: Settings | None = None) -> tuple[Settings, sessionmaker[Session]]:
    """The settings and a session factory over a database at this code's newest revision."""
    settings = settings or get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    url = settings.sqlalchemy_url
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        state = schema_state(url)
        if not state.known:
            raise click.ClickException(
                f"the database {shown} is at revision {state.current}, newer than this "
                f"ontolabel knows (its newest is {state.head}): upgrade ontolabel"
            )
        if not state.is_current:
            if settings.database_url is not None:
                raise click.ClickException(_behind(shown, state))
            upgrade_database(url)
    except SQLAlchemyError as exc:
        first_line = str(exc).splitlines()[0]
        raise click.ClickException(f"cannot open the database {shown}: {first_line}") from None
    return settings, session_factory_for(settings)


def _behind(shown: str, state: SchemaState) -> str:
    where = f"is at revision {state.current}" if state.current else "has no ontolabel tables yet"
    return (
        f"the database {shown} {where}; this ontolabel needs {state.head}: run "
        "`ontolabel db upgrade` (with the same ONTOLABEL_DATABASE_URL) first"
    )
