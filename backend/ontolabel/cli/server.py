"""``ontolabel serve`` and ``ontolabel db``: run the API, migrate the database."""

from __future__ import annotations

import ipaddress

import click

from ontolabel.accounts import service as accounts
from ontolabel.core.config import Settings, get_settings
from ontolabel.core.db import make_engine, make_session_factory, upgrade_database

FIRST_ADMIN = "ontolabel users add NAME --role admin --password-stdin"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``: nobody else can connect."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def serving_settings(settings: Settings, host: str) -> Settings:
    """The settings to serve on ``host``: any address but loopback forces accounts mode."""
    return settings if is_loopback(host) else settings.model_copy(update={"auth": "accounts"})


def refusal_to_serve(settings: Settings, host: str) -> str | None:
    """Why serving ``settings`` on ``host`` would leave the API open or unmanageable, if so:
    accounts mode with no active admin. ``None``: it may start."""
    if settings.auth != "accounts":
        return None
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_session_factory(engine)() as session:
            if accounts.has_active_admin(session):
                return None
    finally:
        engine.dispose()
    why = "" if is_loopback(host) else f"{host} is reachable from other machines, so "
    return (
        f"{why}the server runs with accounts, and there is no active admin yet: create the "
        f"first one with `{FIRST_ADMIN}` (same ONTOLABEL_HOME / ONTOLABEL_DATABASE_URL), "
        "then sign in with it or use the printed token"
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Migrate the database and serve the API and web app."""
    import uvicorn

    from ontolabel.api.app import create_app

    settings = serving_settings(get_settings(), host)
    settings.home.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.sqlalchemy_url)
    refusal = refusal_to_serve(settings, host)
    if refusal is not None:
        raise click.ClickException(refusal)
    click.echo(
        f"ontolabel on http://{host}:{port}  (database: {settings.sqlalchemy_url}; "
        f"auth: {settings.auth})"
    )
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
