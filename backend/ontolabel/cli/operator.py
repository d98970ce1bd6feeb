"""Who the CLI acts as: the user of ``ONTOLABEL_TOKEN`` when it is set, else an operator name.

Whoever runs the CLI holds the database, so the token does not grant anything here; it
names the author of the CLI's writes (revisions, jobs, audit events) as the API would.
"""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from ontolabel.accounts import service
from ontolabel.core.config import Settings
from ontolabel.core.users import User


def operator(session: Session, settings: Settings, default: str = "cli") -> User:
    """The token's user, or ``User(default)`` (an admin) without a token; exit 1 on a bad one."""
    if not settings.token:
        return User(name=default)
    user = service.user_for_token(session, settings.token)
    if user is None:
        raise click.ClickException(
            "ONTOLABEL_TOKEN is not a valid API token here (unknown, revoked, or its user is "
            "disabled): create one with `ontolabel users token NAME`, or unset it"
        )
    return user
