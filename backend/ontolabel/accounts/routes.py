"""HTTP routes for signing in, users, API tokens and the audit log: parse, call the
service, return a schema. Who may call which is ``api.deps``' ``Viewer``/``Admin``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from ontolabel.accounts import service
from ontolabel.accounts.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenList,
    ApiTokenRead,
    AuditEventList,
    AuditEventRead,
    IdentityRead,
    SessionCreate,
    UserCreate,
    UserList,
    UserRead,
    UserUpdate,
)
from ontolabel.accounts.tables import Account
from ontolabel.api.auth import CSRF_COOKIE, SESSION_COOKIE, Credentials, credentials
from ontolabel.api.deps import READ, Admin, SessionDep, SettingsDep, Viewer
from ontolabel.core.audit import search_audit_events
from ontolabel.core.schemas import Id, Offset, read_record

auth_router = APIRouter(prefix="/api/auth", tags=["auth"])
users_router = APIRouter(prefix="/api/users", tags=["users"], dependencies=READ)
tokens_router = APIRouter(prefix="/api/tokens", tags=["tokens"], dependencies=READ)
audit_router = APIRouter(prefix="/api/audit", tags=["audit"], dependencies=READ)

Limit = Annotated[int, Query(ge=1, le=1000)]


def _user_read(account: Account) -> UserRead:
    return read_record(UserRead, account, has_password=account.password_hash is not None)


def _set_cookie(
    request: Request, response: Response, name: str, value: str, *, httponly: bool
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=int(service.SESSION_TTL.total_seconds()),
        path="/",
        samesite="lax",
        secure=request.url.scheme == "https",
        httponly=httponly,
    )


@auth_router.post("/login", response_model=IdentityRead)
def login(
    body: SessionCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> IdentityRead:
    """Sign in with a password: sets the session cookie and the readable CSRF cookie."""
    signed = service.sign_in(session, body.name, body.password)
    _set_cookie(request, response, SESSION_COOKIE, signed.session_id, httponly=True)
    _set_cookie(request, response, CSRF_COOKIE, signed.csrf_token, httponly=False)
    return IdentityRead(
        name=signed.user.name,
        role=signed.user.role,
        auth=settings.auth,
        via="cookie",
        csrf_token=signed.csrf_token,
    )


@auth_router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, session: SessionDep) -> None:
    """End the browser's session (if any) and clear its cookies."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        service.sign_out(session, cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@auth_router.get("/me", response_model=IdentityRead)
def me(found: Annotated[Credentials, Depends(credentials)], settings: SettingsDep) -> IdentityRead:
    """Who this request acts as; the CSRF token to send on writes when signed in by cookie."""
    user = found.user
    return IdentityRead(
        name=user.name,
        role=user.role,
        auth=settings.auth,
        via=found.via,
        csrf_token=found.csrf_token,
    )


@users_router.get("", response_model=UserList)
def list_users(
    session: SessionDep, _admin: Admin, offset: Offset = 0, limit: Limit = 100
) -> UserList:
    """Every account by name."""
    items, total = service.list_accounts(session, offset=offset, limit=limit)
    return UserList(items=[_user_read(a) for a in items], total=total)


@users_router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, session: SessionDep, admin: Admin) -> UserRead:
    """Add an account; give it a password to sign in from the browser."""
    return _user_read(service.create_account(session, body, admin))


@users_router.patch("/{user_id}", response_model=UserRead)
def update_user(user_id: Id, body: UserUpdate, session: SessionDep, admin: Admin) -> UserRead:
    """Change a role, disable or enable an account, or set its password."""
    return _user_read(service.update_account(session, user_id, body, admin))


@tokens_router.get("", response_model=ApiTokenList)
def list_tokens(session: SessionDep, user: Viewer) -> ApiTokenList:
    """The caller's own tokens, newest first (prefixes only)."""
    items = [ApiTokenRead.model_validate(t) for t in service.tokens_of(session, user)]
    return ApiTokenList(items=items, total=len(items))


@tokens_router.post("", response_model=ApiTokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(body: ApiTokenCreate, session: SessionDep, user: Viewer) -> ApiTokenCreated:
    """A new token of the caller's own; the response is the only time it is shown."""
    row, token = service.issue_own_token(session, user, body.name)
    return read_record(ApiTokenCreated, row, token=token)


@tokens_router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: Id, session: SessionDep, user: Viewer) -> None:
    """Revoke a token: one's own, or anyone's for an admin; refused from the next request."""
    service.revoke_token(session, token_id, user)


@audit_router.get("", response_model=AuditEventList)
def list_audit_events(
    session: SessionDep,
    _admin: Admin,
    actor: str | None = None,
    entity: str | None = None,
    action: str | None = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> AuditEventList:
    """Every recorded write, newest first; filter by actor, entity kind and action."""
    items, total = search_audit_events(
        session, actor=actor, entity=entity, action=action, offset=offset, limit=limit
    )
    return AuditEventList(items=[AuditEventRead.model_validate(e) for e in items], total=total)
