"""What a job's parameters name must exist and lie where it may, before the row is written.

``prepare`` runs when a job is created (API, CLI, demo): a missing dataset, model or
mapping revision, or a folder outside the allowed roots, is refused with the field that
named it and nothing is queued. A mapping named without a revision is pinned to its head
now, so the job row always says which revision it used. The worker checks folders again
(its settings may differ from the API's) but trusts nothing else it was sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from ontolabel.core.config import Settings
from ontolabel.core.paths import resolve_job_folder
from ontolabel.errors import InvalidInput
from ontolabel.jobs.params import FOLDER_FIELDS, JobParams, MappingRef, ModelRef, PreviewFrame

P = TypeVar("P", bound=JobParams)


def prepare(session: Session, settings: Settings, params: P) -> P:
    """``params`` with their references checked and the mapping revision pinned."""
    update: dict[str, Any] = {}
    for name in type(params).model_fields:
        value = getattr(params, name)
        field = f"params.{name}"
        if value is None:
            continue
        if isinstance(value, MappingRef):
            update[name] = _pinned_mapping(session, value, field)
        elif isinstance(value, ModelRef):
            _check_model(session, settings, value, field)
        elif name == "dataset_id":
            _check_dataset(session, value, field)
        elif name == "taxonomy_id":
            _check_taxonomy(session, value, field)
        elif name in FOLDER_FIELDS:
            update[name] = str(
                resolve_job_folder(
                    value, settings.job_roots, field=field, create=name == "output_dir"
                )
            )
        elif name == "frames":
            update[name] = [
                _checked_frame(settings, f, f"{field}[{i}]") for i, f in enumerate(value)
            ]
    return params.model_copy(update=update) if update else params


def _pinned_mapping(session: Session, ref: MappingRef, field: str) -> MappingRef:
    from ontolabel.mappings import repository as mappings

    if ref.mapping_id is None:
        return ref  # inline: the documents are the pin
    found = mappings.get_mapping_with_head(session, ref.mapping_id)
    if found is None:
        raise InvalidInput(f"mapping {ref.mapping_id} does not exist", field=f"{field}.mapping_id")
    record = found[0]
    if ref.revision is None:
        return ref.model_copy(update={"revision": record.head_revision})
    if mappings.get_revision(session, ref.mapping_id, ref.revision) is None:
        raise InvalidInput(
            f"mapping {record.name!r} has no revision {ref.revision} "
            f"(its head is {record.head_revision})",
            field=f"{field}.revision",
        )
    return ref


def _check_model(session: Session, settings: Settings, ref: ModelRef, field: str) -> None:
    from ontolabel.models import repository as models

    if ref.id is not None:
        if models.get_model(session, ref.id) is None:
            raise InvalidInput(f"model {ref.id} does not exist", field=f"{field}.id")
        return
    assert ref.path is not None
    resolve_job_folder(ref.path, settings.job_roots, field=f"{field}.path", kind="path")


def _check_dataset(session: Session, dataset_id: int, field: str) -> None:
    from ontolabel.datasets import repository as datasets

    if datasets.get_dataset(session, dataset_id) is None:
        raise InvalidInput(f"dataset {dataset_id} does not exist", field=field)


def _check_taxonomy(session: Session, taxonomy_id: int, field: str) -> None:
    from ontolabel.taxonomies import repository as taxonomies

    if taxonomies.get_taxonomy(session, taxonomy_id) is None:
        raise InvalidInput(f"taxonomy {taxonomy_id} does not exist", field=field)


def _checked_frame(settings: Settings, frame: PreviewFrame, field: str) -> PreviewFrame:
    def file(path: str, name: str) -> str:
        return str(
            resolve_job_folder(path, settings.job_roots, field=f"{field}.{name}", kind="file")
        )

    label = None if frame.label is None else file(frame.label, "label")
    return frame.model_copy(update={"image": file(frame.image, "image"), "label": label})


def folder(settings: Settings, path: str, field: str) -> Path:
    """A folder a running job reads, checked against the worker's own settings."""
    return resolve_job_folder(path, settings.job_roots, field=field)
