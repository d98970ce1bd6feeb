"""HTTP routes for verifications: parse, call the service, return a schema."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ontolabel.api.deps import READ, Editor, SessionDep
from ontolabel.core.schemas import Id, Offset
from ontolabel.verifications import service
from ontolabel.verifications.schemas import (
    RevisionVerification,
    VerificationCreate,
    VerificationList,
    VerificationRead,
)

router = APIRouter(prefix="/api/verifications", tags=["verifications"], dependencies=READ)


@router.post("", response_model=VerificationRead, status_code=201)
def record_verification(
    spec: VerificationCreate, session: SessionDep, user: Editor
) -> VerificationRead:
    """Record a decision on a mapping cell, with evidence frames and a note."""
    return VerificationRead.model_validate(service.record(session, spec, user))


@router.get("", response_model=VerificationList)
def list_verifications(
    session: SessionDep,
    mapping_id: Id,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> VerificationList:
    """Every decision on a mapping, newest first."""
    items, total = service.list_verifications(session, mapping_id, offset=offset, limit=limit)
    return VerificationList(items=[VerificationRead.model_validate(v) for v in items], total=total)


@router.get("/state", response_model=RevisionVerification)
def revision_state(
    session: SessionDep, mapping_id: Id, revision: Id | None = None
) -> RevisionVerification:
    """Each row's verification state at a revision (decisions carry over unchanged rows)."""
    return service.revision_state(session, mapping_id, revision)
