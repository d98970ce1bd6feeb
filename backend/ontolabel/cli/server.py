"""``ontolabel serve`` and ``ontolabel db``: run the API, migrate the database."""

from __future__ import annotations

import click

from ontolabel.core.config import get_settings
from ontolabel.core.db import upgrade_database


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Migrate the database and serve the API and web app."""
    import uvicorn

    from ontolabel.api.app import create_app

    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.sqlalchemy_url)
    click.echo(f"ontolabel on http://{host}:{port}  (database: {settings.sqlalchemy_url})")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        # Beyond this many open connections a client is answered 503 at once, rather
        # than the server taking more than it can queue; the backlog holds a burst of
        # new connections until they are accepted.
        limit_concurrency=settings.max_connections,
        backlog=max(2048, settings.max_connections),
    )


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command()
def upgrade() -> None:
    """Apply all migrations."""
    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.sqlalchemy_url)
    click.echo("database is up to date")


def register(cli: click.Group) -> None:
    cli.add_command(serve)
    cli.add_command(db)
