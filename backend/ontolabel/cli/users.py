"""``ontolabel users …``: accounts and their API tokens, for the first admin and scripts."""

from __future__ import annotations

import sys

import click
from pydantic import ValidationError

from ontolabel.accounts import service
from ontolabel.accounts.schemas import UserCreate, UserUpdate
from ontolabel.cli.database import open_database
from ontolabel.cli.operator import operator
from ontolabel.core.db import session_scope
from ontolabel.core.users import Role
from ontolabel.errors import OntolabelError

SHOWN_ONCE = "(shown only now: only its hash is stored; send it as ONTOLABEL_TOKEN or Bearer)"


def _refusal(exc: OntolabelError | ValidationError) -> click.ClickException:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        return click.ClickException(f"{field}: {first['msg']}")
    return click.ClickException(exc.message)


def _echo_token(token: str) -> None:
    click.echo(f"token: {token}")
    click.echo(SHOWN_ONCE)


@click.group()
def users() -> None:
    """User accounts and API tokens (the server's accounts mode)."""


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.viewer.value,
    show_default=True,
)
@click.option(
    "--password-stdin", is_flag=True, help="Read a password (first line of stdin) to sign in with."
)
def add(name: str, role: str, password_stdin: bool) -> None:
    """Create a user and print a first API token for them."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    settings, factory = open_database()
    try:
        body = UserCreate(name=name, role=Role(role), password=password)
        with session_scope(factory) as session:
            actor = operator(session, settings)
            account = service.create_account(session, body, actor)
            _row, token = service.issue_token(session, account, actor, "created with the user")
    except (OntolabelError, ValidationError) as exc:
        raise _refusal(exc) from None
    click.echo(f"user {name} ({role}) created")
    _echo_token(token)


@users.command("list")
def list_users() -> None:
    """Every account: name, role, whether active, whether it has a password."""
    _, factory = open_database()
    with factory() as session:
        accounts, _total = service.list_accounts(session, limit=10_000)
        for a in accounts:
            state = "active" if a.active else "disabled"
            password = "password" if a.password_hash else "tokens only"
            click.echo(f"{a.id:>5}  {a.name:<24} {a.role:<7} {state:<9} {password}")


@users.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for.")
def token(name: str, label: str) -> None:
    """Issue a new API token for NAME."""
    settings, factory = open_database()
    try:
        with session_scope(factory) as session:
            account = service.account_named(session, name)
            row, plain = service.issue_token(session, account, operator(session, settings), label)
    except OntolabelError as exc:
        raise _refusal(exc) from None
    click.echo(f"token {row.id} for {name}")
    _echo_token(plain)


@users.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke API token TOKEN_ID (from `users token` or GET /api/tokens); refused at once."""
    settings, factory = open_database()
    try:
        with session_scope(factory) as session:
            service.revoke_token(session, token_id, operator(session, settings))
    except OntolabelError as exc:
        raise _refusal(exc) from None
    click.echo(f"token {token_id} revoked")


@users.command("disable")
@click.argument("name")
def disable(name: str) -> None:
    """Disable NAME: their tokens and sessions are refused from the next request."""
    settings, factory = open_database()
    try:
        with session_scope(factory) as session:
            account = service.account_named(session, name)
            body = UserUpdate(active=False)
            service.update_account(session, account.id, body, operator(session, settings))
    except OntolabelError as exc:
        raise _refusal(exc) from None
    click.echo(f"user {name} disabled")


def register(cli: click.Group) -> None:
    cli.add_command(users)
