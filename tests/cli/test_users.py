"""``ontolabel users …``, the public-bind refusal of ``serve``, and ONTOLABEL_TOKEN authors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from ontolabel.accounts import service
from ontolabel.cli.main import cli
from ontolabel.cli.server import refusal_to_serve, serving_settings
from ontolabel.core.audit import search_audit_events
from ontolabel.core.config import get_settings
from ontolabel.core.db import make_engine, make_session_factory
from sqlalchemy.orm import Session


def _run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def _token_of(result: Result) -> str:
    return next(line for line in result.output.splitlines() if line.startswith("token: "))[7:]


@contextmanager
def _session() -> Iterator[Session]:
    """A session on the CLI's database (the settings of ``cli_home``)."""
    engine = make_engine(get_settings().sqlalchemy_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def test_users_add_prints_a_token_once_that_names_the_user(cli_home: Path) -> None:
    result = _run(
        "users", "add", "alice", "--role", "admin", "--password-stdin", stdin="s3cret pw\n"
    )
    assert result.exit_code == 0, result.output
    assert "shown only now" in result.output
    token = _token_of(result)
    assert token.startswith("olt_")
    with _session() as session:
        user = service.user_for_token(session, token)
        assert user is not None and (user.name, user.role) == ("alice", "admin")
        # the password signs in too
        assert service.sign_in(session, "alice", "s3cret pw").user.name == "alice"
    listed = _run("users", "list")
    assert "alice" in listed.output and "admin" in listed.output


def test_a_second_token_revoke_and_disable(cli_home: Path) -> None:
    first = _token_of(_run("users", "add", "bob", "--role", "editor"))
    second = _run("users", "token", "bob")
    assert second.exit_code == 0 and _token_of(second) != first
    token_id = second.output.split()[1]
    assert _run("users", "revoke", token_id).exit_code == 0
    with _session() as session:
        assert service.user_for_token(session, _token_of(second)) is None
        assert service.user_for_token(session, first) is not None
    assert _run("users", "disable", "bob").exit_code == 0
    with _session() as session:
        assert service.user_for_token(session, first) is None


def test_a_bad_role_or_name_is_refused(cli_home: Path) -> None:
    assert _run("users", "add", "x", "--role", "root").exit_code == 2
    dup = _run("users", "add", "carol")
    assert dup.exit_code == 0
    again = _run("users", "add", "carol")
    assert again.exit_code == 1 and "already exists" in again.output


def test_cli_writes_are_authored_by_the_token_user(
    cli_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _token_of(_run("users", "add", "alice", "--role", "admin"))
    monkeypatch.setenv("ONTOLABEL_TOKEN", token)
    get_settings.cache_clear()
    assert _run("users", "add", "dora").exit_code == 0
    with _session() as session:
        events, _ = search_audit_events(session, entity="user", action="create")
    assert [e.actor for e in events] == ["alice", "cli"]  # newest first


def test_an_unknown_token_stops_a_cli_write(
    cli_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONTOLABEL_TOKEN", "olt_not-a-token")
    get_settings.cache_clear()
    result = _run("users", "add", "dora")
    assert result.exit_code == 1 and "ONTOLABEL_TOKEN" in result.output


def test_serve_on_a_public_address_without_an_admin_refuses_to_start(cli_home: Path) -> None:
    # when serving on every interface with no account yet (uvicorn would block: it must not run)
    result = _run("serve", "--host", "0.0.0.0", "--port", "1")
    # then it exits 1 saying how to create the first admin
    assert result.exit_code == 1
    assert "ontolabel users add NAME --role admin" in result.output
    assert "0.0.0.0 is reachable from other machines" in result.output


def test_loopback_keeps_the_auth_mode_and_a_public_host_forces_accounts(cli_home: Path) -> None:
    settings = get_settings()
    assert serving_settings(settings, "127.0.0.1").auth == "local"
    assert serving_settings(settings, "::1").auth == "local"
    assert serving_settings(settings, "0.0.0.0").auth == "accounts"
    assert serving_settings(settings, "ontolabel.example.org").auth == "accounts"


def test_serving_may_start_once_an_active_admin_exists(cli_home: Path) -> None:
    _run("users", "add", "viewer-only")  # a viewer is not enough
    public = serving_settings(get_settings(), "0.0.0.0")
    assert refusal_to_serve(public, "0.0.0.0") is not None
    assert _run("users", "add", "alice", "--role", "admin").exit_code == 0
    assert refusal_to_serve(public, "0.0.0.0") is None
    assert _run("users", "disable", "alice").exit_code == 1  # the last active admin stays
