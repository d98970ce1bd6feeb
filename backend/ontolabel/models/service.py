"""The model registry: register, validate, list; no torch here (the API never loads models).

Registration checks what can be checked cheaply: the path lies under an allowed data root
or the output root (``Settings.job_roots``, the roots jobs read from), and a Hugging Face
folder's ``config.json`` names the taxonomy's classes in order. Only an admin may mark a
checkpoint file's pickles as trusted (``allow_pickle``): unpickling runs code, so every
other model loads weights only. Workers check both again before they load a model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from sqlalchemy.orm import Session

from ontolabel.core.audit import add_audit_event
from ontolabel.core.config import Settings
from ontolabel.core.paths import resolve_job_folder
from ontolabel.core.users import User
from ontolabel.domain.taxonomy import VOID_ID
from ontolabel.errors import Conflict, Forbidden, InvalidInput, NotFound
from ontolabel.models import repository
from ontolabel.models.schemas import ModelCreate, ModelUpdate
from ontolabel.models.tables import EvaluationRecord, ModelRecord
from ontolabel.taxonomies import repository as taxonomies


def validate_path(settings: Settings, kind: str, path: str) -> str:
    """The resolved path, if it is under a job root and looks like ``kind``; else 422."""
    if kind == "hub":
        if path.startswith(("/", ".", "~")) or path.count("/") > 1:
            raise InvalidInput(f"{path!r} is not a hub id like 'owner/name'", field="path")
        return path
    try:
        what: Literal["file", "folder"] = "file" if kind == "checkpoint" else "folder"
        resolved = resolve_job_folder(path, settings.job_roots, field="path", kind=what)
    except Forbidden as exc:  # a model outside the roots is bad input, not a missing right
        raise InvalidInput(exc.message, **exc.extra) from None
    if kind == "checkpoint":
        if resolved.suffix not in (".pth", ".pt", ".safetensors"):
            raise InvalidInput(f"{resolved} is not a .pth/.pt/.safetensors file", field="path")
    elif not (resolved / "config.json").is_file():
        raise InvalidInput(
            f"{resolved} is not a Hugging Face model folder (no config.json)", field="path"
        )
    return str(resolved)


def _check_pickle_trust(user: User, kind: str) -> None:
    """Trusting pickles is an admin's decision, and means something for checkpoint files only."""
    if kind != "checkpoint":
        raise InvalidInput(
            f"allow_pickle applies to checkpoint files, not to a {kind} model",
            field="allow_pickle",
        )
    if not user.is_admin:
        raise Forbidden(
            "only an admin may set allow_pickle: a pickled checkpoint can run code on the "
            "workers; register it without the flag (weights only) or ask an admin",
            field="allow_pickle",
        )


def config_class_names(folder: Path) -> list[str] | None:
    """``id2label`` of a save_pretrained folder, in id order (None if it has none)."""
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return None
    id2label = config.get("id2label")
    if not isinstance(id2label, dict):
        return None
    return [str(id2label[k]) for k in sorted(id2label, key=int)]


def class_differences(model: Sequence[str], taxonomy: Sequence[str]) -> list[str]:
    """Human-readable differences between a model's classes and a taxonomy's, by position."""
    out = []
    if len(model) != len(taxonomy):
        out.append(f"the model has {len(model)} classes, the taxonomy {len(taxonomy)}")
    for i in range(max(len(model), len(taxonomy))):
        a = model[i].strip() if i < len(model) else "—"
        b = taxonomy[i].strip() if i < len(taxonomy) else "—"
        if a != b:
            out.append(f"channel {i}: model {a!r} vs taxonomy {b!r}")
    return out


def _check_classes(session: Session, taxonomy_id: int, kind: str, path: str) -> None:
    taxonomy = taxonomies.load_domain_taxonomy(session, taxonomy_id)
    if taxonomy is None:
        raise NotFound(f"taxonomy {taxonomy_id} does not exist", field="taxonomy_id")
    if kind not in ("hf_dir", "ontolabel"):
        return  # checked when a worker loads it
    names = config_class_names(Path(path))
    wanted = [c.name for c in taxonomy.classes if c.id != VOID_ID]
    problems = class_differences(names or [], wanted)
    if problems:
        raise InvalidInput(
            f"the model's id2label does not name {taxonomy.name}'s classes in order: "
            + "; ".join(problems[:10]),
            field="path",
            differences=problems,
        )


def _require(session: Session, model_id: int) -> ModelRecord:
    record = repository.get_model(session, model_id)
    if record is None:
        raise NotFound(f"model {model_id} does not exist", field="model_id")
    return record


def _ensure_name_free(session: Session, name: str) -> None:
    if repository.get_model_by_name(session, name) is not None:
        raise Conflict(f"a model named {name!r} already exists; choose another name", field="name")


def create_model(
    session: Session, settings: Settings, body: ModelCreate, user: User
) -> ModelRecord:
    if body.allow_pickle:
        _check_pickle_trust(user, body.kind)
    path = validate_path(settings, body.kind, body.path)
    _check_classes(session, body.taxonomy_id, body.kind, path)
    _ensure_name_free(session, body.name)
    record = ModelRecord(
        name=body.name,
        taxonomy_id=body.taxonomy_id,
        kind=body.kind,
        path=path,
        allow_pickle=body.allow_pickle,
        details=body.details,
        created_by=user.name,
    )
    session.add(record)
    session.flush()
    _audit(session, user, "create", record)
    return record


def _audit(session: Session, user: User, action: str, record: ModelRecord) -> None:
    detail = {
        "name": record.name,
        "kind": record.kind,
        "path": record.path,
        "allow_pickle": record.allow_pickle,
    }
    add_audit_event(
        session, user=user, action=action, entity="model", entity_id=record.id, detail=detail
    )


def get_model(session: Session, model_id: int) -> ModelRecord:
    return _require(session, model_id)


def find_model(session: Session, name_or_id: str) -> ModelRecord | None:
    """A model by name, or by id when ``name_or_id`` is a number."""
    record = repository.get_model_by_name(session, name_or_id)
    if record is None and name_or_id.isdigit():
        record = repository.get_model(session, int(name_or_id))
    return record


def list_models(
    session: Session, *, taxonomy_id: int | None = None, offset: int = 0, limit: int = 100
) -> tuple[Sequence[ModelRecord], int]:
    return repository.list_models(session, taxonomy_id=taxonomy_id, offset=offset, limit=limit)


def update_model(session: Session, model_id: int, body: ModelUpdate, user: User) -> ModelRecord:
    record = _require(session, model_id)
    if body.allow_pickle is not None and body.allow_pickle != record.allow_pickle:
        if body.allow_pickle:
            _check_pickle_trust(user, record.kind)
        record.allow_pickle = body.allow_pickle
    if body.name is not None and body.name != record.name:
        _ensure_name_free(session, body.name)
        record.name = body.name
    if body.details is not None:
        record.details = body.details
    session.flush()
    _audit(session, user, "update", record)
    return record


def delete_model(session: Session, model_id: int, user: User) -> None:
    record = _require(session, model_id)
    _audit(session, user, "delete", record)
    session.delete(record)
    session.flush()


def record_evaluation(session: Session, record: EvaluationRecord) -> EvaluationRecord:
    return repository.add_evaluation(session, record)


def get_evaluation(session: Session, evaluation_id: int) -> EvaluationRecord:
    record = repository.get_evaluation(session, evaluation_id)
    if record is None:
        raise NotFound(f"evaluation {evaluation_id} does not exist", field="evaluation_id")
    return record


def list_evaluations(
    session: Session,
    *,
    model_id: int | None = None,
    job_id: int | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[Sequence[EvaluationRecord], int]:
    return repository.list_evaluations(
        session, model_id=model_id, job_id=job_id, offset=offset, limit=limit
    )
