"""Request and response bodies of ``/api/auth``, ``/api/users``, ``/api/tokens``, ``/api/audit``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from ontolabel.core.schemas import Body, Name, ShortText
from ontolabel.core.timestamps import UtcDatetime
from ontolabel.core.users import Role

USER_NAME_MAX_CHARS = 64
"""Authors are stored in 64-character columns (revisions, jobs, audit events)."""

UserName = Annotated[Name, Field(max_length=USER_NAME_MAX_CHARS)]
Password = Annotated[
    str,
    Field(
        min_length=8,
        max_length=1024,  # argon2 reads all of it: an unbounded one costs the server
        description="At least 8 characters.",
    ),
]
AuthMode = Literal["local", "accounts"]


RoleField = Annotated[Role, Field(strict=False)]
"""A role by its name: strict bodies take no enum from JSON otherwise."""


class UserCreate(Body):
    """A new account; without a password it signs in with API tokens only."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "rita", "role": "editor", "password": "…"}]},
    )

    name: UserName
    role: RoleField = Role.viewer
    password: Password | None = None


class UserUpdate(Body):
    """Change a role, disable or enable, set a password; absent fields stay."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"role": "admin"}, {"active": False}]}
    )

    role: RoleField | None = None
    active: bool | None = None
    password: Password | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 2,
                    "name": "rita",
                    "role": "editor",
                    "active": True,
                    "has_password": True,
                    "created_at": "2026-12-01T09:30:00Z",
                }
            ]
        },
    )

    id: int
    name: str
    role: Role
    active: bool
    has_password: bool
    created_at: UtcDatetime


class UserList(BaseModel):
    items: list[UserRead]
    total: int


class ApiTokenCreate(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "laptop"}]})

    name: ShortText = Field(default="", description="What the token is for, to tell it apart.")


_TOKEN_EXAMPLE: dict[str, JsonValue] = {
    "id": 5,
    "user_id": 2,
    "name": "laptop",
    "prefix": "olt_Xk3v9Q",
    "created_at": "2026-12-01T09:30:00Z",
    "last_used_at": None,
    "revoked_at": None,
}


class ApiTokenRead(BaseModel):
    """A token as listed: its prefix, never the token."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_TOKEN_EXAMPLE]}
    )

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: UtcDatetime
    last_used_at: UtcDatetime | None
    revoked_at: UtcDatetime | None


class ApiTokenCreated(ApiTokenRead):
    """The new token, shown this once: only its hash is kept."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {**_TOKEN_EXAMPLE, "token": "olt_Xk3v9Q…(43 characters in all after olt_)"}
            ]
        }
    )

    token: str = Field(description="Send as `Authorization: Bearer <token>`; shown only now.")


class ApiTokenList(BaseModel):
    items: list[ApiTokenRead]
    total: int


class SessionCreate(Body):
    """Sign in (the browser): sets the session and CSRF cookies."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "rita", "password": "…"}]}
    )

    name: str = Field(min_length=1, max_length=USER_NAME_MAX_CHARS)
    password: str = Field(min_length=1, max_length=1024)


class IdentityRead(BaseModel):
    """Who the request acts as, and how it proved it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "rita",
                    "role": "editor",
                    "auth": "accounts",
                    "via": "cookie",
                    "csrf_token": "mE4b…",
                },
                {"name": "local", "role": "admin", "auth": "local", "via": "local"},
            ]
        }
    )

    name: str
    role: Role
    auth: AuthMode = Field(description="The server's mode: local (no sign-in) or accounts.")
    via: Literal["local", "token", "cookie"]
    csrf_token: str | None = Field(
        default=None, description="Send as `X-CSRF-Token` on writes (cookie sign-ins only)."
    )


class AuditEventRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 41,
                    "actor": "rita",
                    "at": "2026-12-01T09:30:00Z",
                    "action": "update",
                    "entity": "mapping",
                    "entity_id": 3,
                    "detail": {"revision": 7, "based_on": 6, "message": "road → drivable"},
                }
            ]
        },
    )

    id: int
    actor: str
    at: UtcDatetime
    action: str
    entity: str
    entity_id: int | None
    detail: dict[str, Any]


class AuditEventList(BaseModel):
    items: list[AuditEventRead]
    total: int
