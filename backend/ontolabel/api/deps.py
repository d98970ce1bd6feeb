"""FastAPI dependencies: one session per request, committed here; settings; the user and
the role a route needs (``api.auth``).

Only routes use these; services take the plain values (``Session``, ``Settings``,
``core.users.User``), so nothing below the HTTP layer imports FastAPI.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from ontolabel.api.auth import current_user, require_admin, require_editor, require_viewer
from ontolabel.api.retry import ATTEMPT
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.core.users import User


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def get_db(request: Request) -> Iterator[Session]:
    """The request's unit of work: services only flush, this commits.

    ``api.retry`` runs it again after a transient conflict, then as the writer.
    """
    writer = request.scope.get(ATTEMPT, 0) > 0
    with session_scope(get_session_factory(request), writer=writer) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
# "function" scope: commit before the response goes out, so a client that sees 2xx can read
# what it wrote, and a failed commit reaches the client as an error instead of being lost.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]
CurrentUser = Annotated[User, Depends(current_user)]
"""Anyone signed in (in local mode: the local admin)."""
Viewer = Annotated[User, Depends(require_viewer)]
Editor = Annotated[User, Depends(require_editor)]
"""Edits mappings, taxonomies, datasets, sample sets, verifications; starts jobs."""
Admin = Annotated[User, Depends(require_admin)]
"""Manages users, anyone's jobs, deletes models and datasets."""
READ = [Depends(require_viewer)]
"""A router's ``dependencies``: every route of it needs at least a viewer."""
