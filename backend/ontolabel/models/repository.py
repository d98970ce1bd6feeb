"""Every query of the models domain."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ontolabel.models.tables import EvaluationRecord, ModelRecord


def get_model(session: Session, model_id: int) -> ModelRecord | None:
    return session.get(ModelRecord, model_id)


def get_model_by_name(session: Session, name: str) -> ModelRecord | None:
    return session.scalars(select(ModelRecord).where(ModelRecord.name == name)).first()


def list_models(
    session: Session, *, taxonomy_id: int | None, offset: int, limit: int
) -> tuple[Sequence[ModelRecord], int]:
    query = select(ModelRecord)
    if taxonomy_id is not None:
        query = query.where(ModelRecord.taxonomy_id == taxonomy_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(ModelRecord.name).offset(offset).limit(limit)).all()
    return items, total


def add_evaluation(session: Session, record: EvaluationRecord) -> EvaluationRecord:
    session.add(record)
    session.flush()
    return record


def get_evaluation(session: Session, evaluation_id: int) -> EvaluationRecord | None:
    return session.get(EvaluationRecord, evaluation_id)


def list_evaluations(
    session: Session, *, model_id: int | None, job_id: int | None, offset: int, limit: int
) -> tuple[Sequence[EvaluationRecord], int]:
    query = select(EvaluationRecord)
    if model_id is not None:
        query = query.where(EvaluationRecord.model_id == model_id)
    if job_id is not None:
        query = query.where(EvaluationRecord.job_id == job_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(EvaluationRecord.id.desc()).offset(offset).limit(limit)
    ).all()
    return items, total
