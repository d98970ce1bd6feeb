"""Who is asking, and may they: the credential and role dependencies of every route.

In ``local`` mode every request acts as the local admin. In ``accounts`` mode a request
proves who it is with ``Authorization: Bearer <token>`` (CLI, scripts) or the browser's
session cookie; a cookie-authenticated write must also echo the session's CSRF token in
``X-CSRF-Token``, which another origin's page cannot read (docs/api.md, "Accounts and
roles"). The lookups live in ``accounts.service``; this module only speaks HTTP.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from fastapi import Depends, Request

from ontolabel.accounts import service
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.core.users import Role, User
from ontolabel.errors import Forbidden, Unauthorized

SESSION_COOKIE = "ontolabel_session"
CSRF_COOKIE = "ontolabel_csrf"
CSRF_HEADER = "X-CSRF-Token"
LOCAL_USER = User(name="local", role=Role.admin)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIGN_IN_HINT = (
    "send `Authorization: Bearer <token>` (create one with `ontolabel users token NAME`) "
    "or sign in with POST /api/auth/login"
)


@dataclass(frozen=True)
class Credentials:
    """The request's user and how it proved it; ``csrf_token`` for cookie sign-ins."""

    user: User
    via: Literal["local", "token", "cookie"]
    csrf_token: str | None = None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(f"the Authorization header is not `Bearer <token>`: {SIGN_IN_HINT}")
    return token.strip()


def _check_csrf(request: Request, expected: str) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        raise Forbidden(
            f"missing CSRF token: a signed-in browser's {request.method} must send the "
            f"{CSRF_HEADER} header (its value is in GET /api/auth/me and the "
            f"{CSRF_COOKIE} cookie)"
        )
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden(f"invalid CSRF token in {CSRF_HEADER}: read it again from GET /api/auth/me")


def _look_up(request: Request) -> Credentials:
    token, cookie = _bearer(request), request.cookies.get(SESSION_COOKIE)
    if token is None and not cookie:
        raise Unauthorized(f"sign-in needed: {SIGN_IN_HINT}")
    # A short session of its own: streaming routes must not pin a request session, and
    # a token's last use is recorded whatever the route does with its own.
    with session_scope(request.app.state.session_factory) as session:
        if token is not None:
            user = service.user_for_token(session, token)
            if user is None:
                raise Unauthorized(
                    f"the API token is unknown, revoked or its user disabled: {SIGN_IN_HINT}"
                )
            return Credentials(user=user, via="token")
        found = service.user_for_session(session, cookie or "")
    if found is None:
        raise Unauthorized("the sign-in has expired or was ended: sign in again")
    user, csrf = found
    _check_csrf(request, csrf)
    return Credentials(user=user, via="cookie", csrf_token=csrf)


def credentials(request: Request) -> Credentials:
    """The request's credentials, looked up once per request."""
    cached: Credentials | None = getattr(request.state, "credentials", None)
    if cached is not None:
        return cached
    settings: Settings = request.app.state.settings
    found = Credentials(LOCAL_USER, "local") if settings.auth == "local" else _look_up(request)
    request.state.credentials = found
    return found


def current_user(request: Request) -> User:
    """Who is acting: 401 in accounts mode without valid credentials."""
    return credentials(request).user


def requiring(role: Role) -> Callable[[User], User]:
    """A dependency: the current user, or 403 unless their role includes ``role``."""

    def check(user: User = Depends(current_user)) -> User:
        if not user.has(role):
            raise Forbidden(f"this needs the {role} role; {user.name!r} is {user.role}")
        return user

    check.__name__ = f"require_{role}"
    return check


require_viewer = requiring(Role.viewer)
require_editor = requiring(Role.editor)
require_admin = requiring(Role.admin)
