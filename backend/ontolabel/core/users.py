"""Who is acting: the plain user type every service, the CLI and the worker take."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a user may do; each role includes the ones before it."""

    viewer = "viewer"
    editor = "editor"
    admin = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


@dataclass(frozen=True)
class User:
    """Who made a change; recorded on revisions, jobs and audit events.

    ``id`` is the account's row id, ``None`` for operators acting outside the API (CLI,
    demo, the embedded local admin). Their role defaults to admin: whoever runs the CLI
    already holds the database.
    """

    name: str
    role: Role = Role.admin
    id: int | None = None

    def has(self, role: Role) -> bool:
        """True when this user's role includes ``role``."""
        return self.role.rank >= role.rank

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin
