"""Accounts: create and change users, issue and revoke tokens, sign in; look credentials up.

Plain Python over a ``Session`` (no FastAPI): the API's auth dependency and the CLI
both call it. Services only flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from pwdlib import PasswordHash
from sqlalchemy.orm import Session

from ontolabel.accounts import repository
from ontolabel.accounts.schemas import UserCreate, UserUpdate
from ontolabel.accounts.tables import Account, ApiToken, SignInSession
from ontolabel.core.audit import add_audit_event
from ontolabel.core.clock import utcnow
from ontolabel.core.timestamps import as_utc
from ontolabel.core.users import Role, User
from ontolabel.core.writes import start_write
from ontolabel.errors import Conflict, Forbidden, NotFound, Unauthorized

TOKEN_PREFIX = "olt_"
"""Marks an ontolabel token, so a leaked one is recognisable (secret scanners, logs)."""
SESSION_TTL = timedelta(days=7)
LAST_USED_GRANULARITY = timedelta(minutes=1)
"""``last_used_at`` is written at most this often: not a write on every request."""
BAD_SIGN_IN = "wrong user name or password"


@cache
def _passwords() -> PasswordHash:
    return PasswordHash.recommended()  # argon2id with pwdlib's current parameters


@cache
def _unknown_user_hash() -> str:
    """Verified against when the name is unknown, so both failures take the same time."""
    return _passwords().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _passwords().hash(password)


def secret_digest(secret: str) -> str:
    """SHA-256 (hex) of an API token or a session id: what the tables store.

    A fast hash is right here, unlike for passwords: the secrets are
    ``secrets.token_urlsafe(32)``, 256 random bits, so there is no dictionary to try and
    a brute force of 2^256 stays out of reach at any hashing speed. Slow hashes (argon2)
    exist to stretch low-entropy passwords; on every request they would only cost time.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def as_user(account: Account) -> User:
    return User(name=account.name, role=Role(account.role), id=account.id)


def get_account(session: Session, user_id: int) -> Account:
    account = repository.get_account(session, user_id)
    if account is None:
        raise NotFound(f"user {user_id} does not exist", field="user_id")
    return account


def account_named(session: Session, name: str) -> Account:
    account = repository.account_named(session, name)
    if account is None:
        raise NotFound(f"user {name!r} does not exist", field="name")
    return account


def list_accounts(
    session: Session, *, offset: int = 0, limit: int = 100
) -> tuple[Sequence[Account], int]:
    return repository.list_accounts(session, offset=offset, limit=limit)


def has_active_admin(session: Session) -> bool:
    return repository.active_admin_count(session) > 0


def create_account(session: Session, body: UserCreate, actor: User) -> Account:
    start_write(session)  # the name check and the insert under one write lock (SQLite)
    if repository.account_named(session, body.name) is not None:
        raise Conflict(f"a user named {body.name!r} already exists", field="name")
    account = Account(
        name=body.name,
        role=body.role.value,
        password_hash=hash_password(body.password) if body.password else None,
        active=True,
    )
    repository.add(session, account)
    add_audit_event(
        session,
        user=actor,
        action="create",
        entity="user",
        entity_id=account.id,
        detail={"name": account.name, "role": account.role},
    )
    return account


def update_account(session: Session, user_id: int, body: UserUpdate, actor: User) -> Account:
    """Apply ``body``; disabling or a new password ends the user's browser sessions."""
    start_write(session)
    account = get_account(session, user_id)
    detail: dict[str, object] = {}
    demoted = body.role is not None and body.role is not Role.admin
    leaving = account.role == "admin" and account.active and (demoted or body.active is False)
    if leaving and repository.active_admin_count(session) <= 1:
        raise Conflict(
            f"{account.name!r} is the last active admin; make another admin first",
            field="role" if demoted else "active",
        )
    if body.role is not None:
        account.role = detail["role"] = body.role.value
    if body.active is not None:
        account.active = detail["active"] = body.active
    if body.password is not None:
        account.password_hash = hash_password(body.password)
        detail["password_changed"] = True
    if body.active is False or body.password is not None:
        repository.delete_sessions_of(session, account.id)
    session.flush()
    add_audit_event(
        session, user=actor, action="update", entity="user", entity_id=account.id, detail=detail
    )
    return account


def _own_account_id(user: User) -> int:
    if user.id is None:
        raise Conflict(
            f"{user.name!r} has no account (the server runs without accounts, or this is "
            "an operator); create one with POST /api/users or `ontolabel users add`"
        )
    return user.id


def issue_token(
    session: Session, account: Account, actor: User, name: str = ""
) -> tuple[ApiToken, str]:
    """A new token of ``account``; the plain token is returned here and never again."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=account.id, name=name, token_hash=secret_digest(token), prefix=token[:10]
    )
    repository.add(session, row)
    add_audit_event(
        session,
        user=actor,
        action="create",
        entity="api_token",
        entity_id=row.id,
        detail={"user": account.name, "name": name, "prefix": row.prefix},
    )
    return row, token


def issue_own_token(session: Session, user: User, name: str = "") -> tuple[ApiToken, str]:
    return issue_token(session, get_account(session, _own_account_id(user)), user, name)


def tokens_of(session: Session, user: User) -> Sequence[ApiToken]:
    return repository.tokens_of(session, user.id) if user.id is not None else []


def revoke_token(session: Session, token_id: int, actor: User) -> ApiToken:
    """Revoke a token: one's own, or anyone's for an admin; effective on the next request."""
    token = repository.get_token(session, token_id)
    if token is None:
        raise NotFound(f"token {token_id} does not exist", field="token_id")
    if token.user_id != actor.id and not actor.is_admin:
        raise Forbidden(f"token {token_id} belongs to another user; only an admin may revoke it")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        add_audit_event(
            session,
            user=actor,
            action="revoke",
            entity="api_token",
            entity_id=token.id,
            detail={"prefix": token.prefix},
        )
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user of an unrevoked token, or ``None``."""
    found = repository.token_with_account(session, secret_digest(token))
    if found is None:
        return None
    row, account = found
    now = utcnow()
    if row.last_used_at is None or now - as_utc(row.last_used_at) > LAST_USED_GRANULARITY:
        row.last_used_at = now
        session.flush()
    return as_user(account)


@dataclass(frozen=True)
class SignIn:
    """A new browser session: the cookie's secret, its CSRF token, who signed in."""

    session_id: str
    csrf_token: str
    user: User


def sign_in(session: Session, name: str, password: str) -> SignIn:
    """Check the password and open a session; one message whatever was wrong."""
    start_write(session)
    account = repository.account_named(session, name)
    known = account.password_hash if account and account.active else None
    ok, _ = _passwords().verify_and_update(password, known or _unknown_user_hash())
    if account is None or known is None or not ok:
        raise Unauthorized(BAD_SIGN_IN)
    now = utcnow()
    repository.delete_expired_sessions(session, now)
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    row = SignInSession(
        session_hash=secret_digest(session_id),
        user_id=account.id,
        csrf_token=csrf,
        created_at=now,
        expires_at=now + SESSION_TTL,
    )
    repository.add(session, row)
    user = as_user(account)
    add_audit_event(session, user=user, action="sign_in", entity="user", entity_id=account.id)
    return SignIn(session_id=session_id, csrf_token=csrf, user=user)


def user_for_session(session: Session, session_id: str) -> tuple[User, str] | None:
    """The active user of an unexpired session and its CSRF token, or ``None``."""
    found = repository.session_with_account(session, secret_digest(session_id), utcnow())
    if found is None:
        return None
    row, account = found
    return as_user(account), row.csrf_token


def sign_out(session: Session, session_id: str) -> None:
    repository.delete_session(session, secret_digest(session_id))
