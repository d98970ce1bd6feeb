"""HTTP routes for models and their evaluations: parse, call the service, return a schema."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from ontolabel.api.deps import READ, Admin, Editor, SessionDep, SettingsDep
from ontolabel.core.schemas import Id, Offset
from ontolabel.models import service
from ontolabel.models.schemas import (
    EvaluationList,
    EvaluationRead,
    ModelCreate,
    ModelList,
    ModelRead,
    ModelUpdate,
)

router = APIRouter(prefix="/api/models", tags=["models"], dependencies=READ)


@router.get("", response_model=ModelList)
def list_models(
    session: SessionDep,
    taxonomy_id: Id | None = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ModelList:
    """Registered models by name, optionally those of one taxonomy."""
    items, total = service.list_models(session, taxonomy_id=taxonomy_id, offset=offset, limit=limit)
    return ModelList(items=[ModelRead.model_validate(m) for m in items], total=total)


@router.post("", response_model=ModelRead, status_code=status.HTTP_201_CREATED)
def create_model(
    body: ModelCreate, session: SessionDep, settings: SettingsDep, user: Editor
) -> ModelRead:
    """Register a model folder, checkpoint or hub id for a source taxonomy."""
    return ModelRead.model_validate(service.create_model(session, settings, body, user))


@router.get("/evaluations", response_model=EvaluationList)
def list_evaluations(
    session: SessionDep,
    model_id: Id | None = None,
    job_id: Id | None = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EvaluationList:
    """Evaluation results, newest first."""
    items, total = service.list_evaluations(
        session, model_id=model_id, job_id=job_id, offset=offset, limit=limit
    )
    return EvaluationList(items=[EvaluationRead.model_validate(e) for e in items], total=total)


@router.get("/evaluations/{evaluation_id}", response_model=EvaluationRead)
def get_evaluation(evaluation_id: Id, session: SessionDep) -> EvaluationRead:
    """mIoU, per-class IoU and confusion matrix of one evaluation."""
    return EvaluationRead.model_validate(service.get_evaluation(session, evaluation_id))


@router.get("/{model_id}", response_model=ModelRead)
def get_model(model_id: Id, session: SessionDep) -> ModelRead:
    """One registered model."""
    return ModelRead.model_validate(service.get_model(session, model_id))


@router.patch("/{model_id}", response_model=ModelRead)
def update_model(model_id: Id, body: ModelUpdate, session: SessionDep, user: Editor) -> ModelRead:
    """Rename a model, replace its metadata or (admins) trust its pickles."""
    return ModelRead.model_validate(service.update_model(session, model_id, body, user))


@router.delete("/{model_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_model(model_id: Id, session: SessionDep, user: Admin) -> None:
    """Remove a model from the registry (its files stay)."""
    service.delete_model(session, model_id, user)
