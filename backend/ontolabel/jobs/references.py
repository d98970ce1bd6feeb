"""What a job's parameters name must exist and lie where it may, before the row is written.

``prepare`` runs when a job is created (API, CLI, demo): a missing dataset, model,
mapping revision or job, or a folder outside the allowed roots, is refused with the field
that named it (``params.data[1].pseudo_label_job``) and nothing is queued. A mapping
named without a revision is pinned to its head now, so the job row always says which
revision it used. A ``train`` request must also fit its student's taxonomy (``_check_train``).
Only the operator's own jobs (the CLI: ``local_models``) may name a model by path; a job
from the API names a registered model by id, so every checkpoint it loads was registered
(and its pickles trusted, if at all, by an admin). The worker checks folders and model
paths again (its settings may differ from the API's) but trusts nothing else it was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.orm import Session

from ontolabel.core.config import Settings
from ontolabel.core.paths import resolve_job_folder
from ontolabel.domain.taxonomy import VOID_ID, Taxonomy
from ontolabel.errors import Conflict, InvalidInput
from ontolabel.jobs.params import (
    FOLDER_FIELDS,
    Contract,
    JobParams,
    MappingRef,
    ModelRef,
    PreviewFrame,
    PseudoLabelParams,
)
from ontolabel.jobs.train_params import TrainParams

P = TypeVar("P", bound=JobParams)
C = TypeVar("C", bound=Contract)


def prepare(session: Session, settings: Settings, params: P, *, local_models: bool = False) -> P:
    """``params`` with their references checked and the mapping revision pinned.

    ``local_models`` lets a model be named by path (the operator's CLI); else only by id.
    """
    if not local_models:
        _refuse_model_paths(params, "params")
    prepared = _prepared(session, settings, params, "params")
    if isinstance(prepared, TrainParams):
        _check_train(session, prepared)
    return prepared


def _prepared(session: Session, settings: Settings, value: C, field: str) -> C:
    """``value`` checked field by field, nested contracts and lists of them included."""
    update: dict[str, Any] = {}
    for name in type(value).model_fields:
        item = getattr(value, name)
        path = f"{field}.{name}"
        if item is None:
            continue
        if isinstance(item, MappingRef):
            update[name] = _pinned_mapping(session, item, path)
        elif isinstance(item, ModelRef):
            _check_model(session, settings, item, path)
        elif name == "dataset_id":
            _check_dataset(session, item, path)
        elif name == "taxonomy_id":
            _check_taxonomy(session, item, path)
        elif name == "sample_set_id":
            _check_sample_set(session, item, getattr(value, "dataset_id", None), path)
        elif name == "pseudo_label_job":
            _check_pseudo_label_job(session, item, path)
        elif name in FOLDER_FIELDS:
            update[name] = str(
                resolve_job_folder(
                    item, settings.job_roots, field=path, create=name == "output_dir"
                )
            )
        elif name == "frames":
            update[name] = [_checked_frame(settings, f, f"{path}[{i}]") for i, f in enumerate(item)]
        elif isinstance(item, Contract):
            update[name] = _prepared(session, settings, item, path)
        elif isinstance(item, list) and item and isinstance(item[0], Contract):
            update[name] = [
                _prepared(session, settings, part, f"{path}[{i}]") for i, part in enumerate(item)
            ]
    changed = {k: v for k, v in update.items() if v != getattr(value, k)}
    return value.model_copy(update=changed) if changed else value


def _refuse_model_paths(value: Contract, field: str) -> None:
    """422 naming the first model given by path anywhere in ``value``, nested ones included."""
    for name in type(value).model_fields:
        item, path = getattr(value, name), f"{field}.{name}"
        if isinstance(item, ModelRef) and item.path is not None:
            raise InvalidInput(
                f"{path}.path: a job sent over the API names its model by registry id "
                f"({path}.id); register the model first (POST /api/models, under an allowed "
                "data root or the output root)",
                field=f"{path}.path",
            )
        parts = item if isinstance(item, list) else [item]
        for i, part in enumerate(parts):
            if isinstance(part, Contract):
                _refuse_model_paths(part, f"{path}[{i}]" if isinstance(item, list) else path)


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


def _check_sample_set(
    session: Session, sample_set_id: int, dataset_id: int | None, field: str
) -> None:
    from ontolabel.datasets import repository as datasets

    record = datasets.get_sample_set(session, sample_set_id)
    if record is None or record.dataset_id != dataset_id:
        raise InvalidInput(f"dataset {dataset_id} has no sample set {sample_set_id}", field=field)


def _check_taxonomy(session: Session, taxonomy_id: int, field: str) -> None:
    from ontolabel.taxonomies import repository as taxonomies

    if taxonomies.get_taxonomy(session, taxonomy_id) is None:
        raise InvalidInput(f"taxonomy {taxonomy_id} does not exist", field=field)


def _check_pseudo_label_job(session: Session, job_id: int, field: str) -> None:
    from ontolabel.jobs import repository as jobs

    job = jobs.get_job(session, job_id)
    if job is None:
        raise InvalidInput(f"job {job_id} does not exist", field=field)
    if job.kind != "pseudo_label":
        raise InvalidInput(f"job {job_id} is a {job.kind} job, not a pseudo_label job", field=field)
    if job.status != "succeeded":
        raise InvalidInput(
            f"pseudo_label job {job_id} is {job.status}: train on its labels once it succeeded",
            field=field,
        )


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


# --- train: everything must be in the student's taxonomy ------------------------------


@dataclass(frozen=True)
class _Student:
    """The taxonomy a train job's labels, validation sets and start weights must be in."""

    id: int
    taxonomy: Taxonomy

    @property
    def name(self) -> str:
        return self.taxonomy.name

    @property
    def classes(self) -> dict[int, str]:
        return student_classes(self.taxonomy)


def student_classes(taxonomy: Taxonomy) -> dict[int, str]:
    """The student's channels: the taxonomy's classes below void, id → name, in order."""
    return {c.id: c.name for c in taxonomy.classes if c.id < VOID_ID}


def _check_train(session: Session, params: TrainParams) -> None:
    """Data, validation sets and start weights fit the student's taxonomy; the name is free."""
    from ontolabel.taxonomies.repository import load_domain_taxonomy

    taxonomy = load_domain_taxonomy(session, params.taxonomy_id)
    assert taxonomy is not None  # checked above
    student = _Student(params.taxonomy_id, taxonomy)
    if not student.classes:
        raise InvalidInput(
            f"taxonomy {student.name!r} has no class below {VOID_ID} to train",
            field="params.taxonomy_id",
        )
    for i, data in enumerate(params.data):
        field = f"params.data[{i}]"
        if data.dataset_id is not None:
            splits = None if data.split is None else [data.split, *(["val"] * data.merge_val)]
            _check_dataset_fits(session, data.dataset_id, splits, student, f"{field}.dataset_id")
        if data.pseudo_label_job is not None:
            _check_pseudo_labels_fit(
                session, data.pseudo_label_job, student, f"{field}.pseudo_label_job"
            )
    for i, val in enumerate(params.val):
        if val.dataset_id is not None:
            splits = None if val.split is None else [val.split]
            _check_dataset_fits(
                session, val.dataset_id, splits, student, f"params.val[{i}].dataset_id"
            )
    if params.model.init is not None and not params.model.init_head:
        _check_init_fits(session, params.model.init, student, "params.model.init")
    if params.register_as is not None:
        from ontolabel.models import repository as models

        if models.get_model_by_name(session, params.register_as) is not None:
            raise Conflict(
                f"a model named {params.register_as!r} already exists; choose another name",
                field="params.register_as",
            )


def _taxonomy_name(session: Session, taxonomy_id: int) -> str:
    from ontolabel.taxonomies.repository import get_taxonomy

    record = get_taxonomy(session, taxonomy_id)
    return record.name if record else f"#{taxonomy_id}"


def _check_dataset_fits(
    session: Session, dataset_id: int, splits: list[str] | None, student: _Student, field: str
) -> None:
    """Labelled in the student's taxonomy, with no label id outside its classes (255 is
    ignored), and labelled frames in the splits asked for."""
    from ontolabel.datasets import repository as datasets

    dataset = datasets.get_dataset(session, dataset_id)
    assert dataset is not None  # checked above
    if dataset.taxonomy_id != student.id:
        raise InvalidInput(
            f"dataset {dataset.name!r} is labelled in taxonomy "
            f"{_taxonomy_name(session, dataset.taxonomy_id)!r}, not in the student's "
            f"{student.name!r}: pseudo-label it through a mapping and train on that job's labels",
            field=field,
            dataset=dataset.name,
        )
    if dataset.label_encoding == "color":
        raise InvalidInput(
            f"dataset {dataset.name!r} stores colour label PNGs and training reads label ids: "
            "convert its labels to id or palette PNGs",
            field=field,
            dataset=dataset.name,
        )
    classes = student.classes
    unknown = [
        s.label_id
        for s in datasets.label_stats(session, dataset_id)
        if s.label_id not in classes and s.label_id != VOID_ID
    ]
    if unknown:
        shown = ", ".join(map(str, unknown[:20])) + (", …" if len(unknown) > 20 else "")
        raise InvalidInput(
            f"dataset {dataset.name!r} has label ids that are not classes of {student.name!r}: "
            f"{shown} (it has {len(classes)} classes; 255 is ignored)",
            field=field,
            dataset=dataset.name,
            ids=unknown,
        )
    counts = datasets.labelled_frames_per_split(session, dataset_id)
    found = sum(counts.get(s, 0) for s in splits) if splits is not None else sum(counts.values())
    if not found:
        where = "" if splits is None else f" in split {' + '.join(map(repr, splits))}"
        known = ", ".join(f"{s!r}: {n}" for s, n in sorted(counts.items())) or "none indexed"
        raise InvalidInput(
            f"dataset {dataset.name!r} has no labelled frames{where} (labelled frames per "
            f"split: {known}); give split null to use every frame",
            field=field,
            dataset=dataset.name,
        )


def _check_pseudo_labels_fit(session: Session, job_id: int, student: _Student, field: str) -> None:
    """The pseudo-labels are ids of the student's classes: the job mapped onto them."""
    from ontolabel.domain.formats.native import load_taxonomy
    from ontolabel.jobs import repository as jobs
    from ontolabel.mappings import repository as mappings

    job = jobs.get_job(session, job_id)
    assert job is not None  # checked above
    try:
        mapping = PseudoLabelParams.model_validate(job.params).mapping
    except ValidationError:
        raise InvalidInput(
            f"pseudo_label job {job_id}'s stored parameters no longer fit its contract",
            field=field,
        ) from None
    if mapping.mapping_id is not None:
        record = mappings.get_mapping(session, mapping.mapping_id)
        source_id = record.source_taxonomy_id if record else None
        if source_id != student.id:
            labelled = _taxonomy_name(session, source_id) if source_id else "?"
            raise InvalidInput(
                f"pseudo_label job {job_id} labelled in taxonomy {labelled!r} (its mapping's "
                f"source), not in the student's {student.name!r}",
                field=field,
            )
        return
    assert mapping.inline is not None
    labelled_in = load_taxonomy(mapping.inline.source, source=f"job {job_id}'s source taxonomy")
    classes = student.classes
    wrong = [c for c in labelled_in.classes if c.id != VOID_ID and classes.get(c.id) != c.name]
    if wrong:
        shown = ", ".join(f"{c.id} {c.name!r}" for c in wrong[:20])
        raise InvalidInput(
            f"pseudo_label job {job_id} wrote ids that the student's taxonomy "
            f"{student.name!r} does not name so: {shown}",
            field=field,
            ids=[c.id for c in wrong],
        )


def _check_init_fits(session: Session, ref: ModelRef, student: _Student, field: str) -> None:
    """Start weights whose head is kept must predict the student's classes, in order."""
    from ontolabel.models import repository as models
    from ontolabel.models.service import class_differences, config_class_names

    hint = "set model.init_head to give the student a new head"
    if ref.id is not None:
        record = models.get_model(session, ref.id)
        assert record is not None  # checked above
        if record.taxonomy_id != student.id:
            raise InvalidInput(
                f"model {record.name!r} predicts taxonomy "
                f"{_taxonomy_name(session, record.taxonomy_id)!r}, not the student's "
                f"{student.name!r}: {hint}",
                field=f"{field}.id",
            )
        return
    assert ref.path is not None
    names = config_class_names(Path(ref.path))
    if names is None:
        return  # a checkpoint file: its classes are checked when it loads
    problems = class_differences(names, list(student.classes.values()))
    if problems:
        raise InvalidInput(
            f"{ref.path}'s id2label does not name {student.name!r}'s classes in order "
            f"({'; '.join(problems[:5])}): {hint}",
            field=f"{field}.path",
            differences=problems,
        )
