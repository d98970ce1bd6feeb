"""Archive instead of delete: hidden from lists, still readable, restorable."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from ontolabel.core.audit import add_audit_event
from ontolabel.core.clock import utcnow
from ontolabel.core.users import User


class Archivable(Protocol):
    """A stored entity that can be archived (taxonomies, mappings)."""

    id: int
    archived: bool
    updated_at: datetime


def set_archived(
    session: Session, record: Archivable, *, archived: bool, user: User, entity: str
) -> bool:
    """Archive or restore ``record`` and audit it; False when it already was so."""
    if record.archived == archived:
        return False
    record.archived = archived
    record.updated_at = utcnow()
    add_audit_event(
        session,
        user=user,
        action="archive" if archived else "restore",
        entity=entity,
        entity_id=record.id,
    )
    session.flush()
    return True
