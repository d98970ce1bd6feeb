"""Accounts for API tests: an accounts-mode client and tokens of users by name and role.

``auth_headers(client, "bob")`` signs a request as bob (an editor, created on first use)
when the client's app runs with accounts, and is empty on a local-mode app, where every
request is the local admin: factories take a ``user`` and work on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from weakref import WeakKeyDictionary

from fastapi.testclient import TestClient
from ontolabel.accounts import repository, service
from ontolabel.accounts.schemas import UserCreate
from ontolabel.api.app import create_app
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.core.users import Role, User
from sqlalchemy.orm import Session, sessionmaker

SETUP = User(name="test-setup")
"""The actor of the accounts tests create (their audit events)."""


def token_in(
    factory: sessionmaker[Session], name: str, role: Role = Role.editor, password: str | None = None
) -> str:
    """A new API token of ``name``, whose account is made with ``role`` if it is missing."""
    with session_scope(factory) as session:
        account = repository.account_named(session, name)
        if account is None:
            body = UserCreate(name=name, role=role, password=password)
            account = service.create_account(session, body, SETUP)
        _row, token = service.issue_token(session, account, SETUP)
    return token


_tokens: WeakKeyDictionary[object, dict[str, str]] = WeakKeyDictionary()


def token_for(client: TestClient, name: str, role: Role = Role.editor) -> str:
    """``name``'s token on the client's app, made once per app (later calls write nothing)."""
    known = _tokens.setdefault(client.app, {})
    if name not in known:
        factory = client.app.state.session_factory  # type: ignore[attr-defined]
        known[name] = token_in(factory, name, role)
    return known[name]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def auth_headers(client: TestClient, name: str, role: Role = Role.editor) -> dict[str, str]:
    """Act as ``name`` on an accounts-mode app; nothing on a local one."""
    if client.app.state.settings.auth == "local":  # type: ignore[attr-defined]
        return {}
    return bearer(token_for(client, name, role))


@contextmanager
def accounts_client(settings: Settings, *, as_admin: str | None = "admin") -> Iterator[TestClient]:
    """A TestClient over an accounts-mode app; by default its requests act as an admin
    (``as_admin``), so factories can set things up; pass ``headers`` to act as another."""
    app = create_app(settings.model_copy(update={"auth": "accounts"}))
    try:
        with TestClient(app) as client:
            if as_admin is not None:
                client.headers.update(bearer(token_for(client, as_admin, Role.admin)))
            yield client
    finally:
        app.state.engine.dispose()
