"""HTTP routes for datasets: parse, call the service, return a schema."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ontolabel.api.deps import READ, Editor, SessionDep, SettingsDep
from ontolabel.core.schemas import ClassId, Count, Id, Offset, Seed
from ontolabel.datasets import service, staleness
from ontolabel.datasets.schemas import (
    DatasetCreate,
    DatasetList,
    DatasetRead,
    DatasetSummary,
    DryRunRead,
    FrameList,
    FramePixelsList,
    IndexStarted,
    OccurrenceRead,
    SampleSetCreate,
    SampleSetList,
    SampleSetRead,
    SamplingParams,
    StaleRead,
)

router = APIRouter(prefix="/api/datasets", tags=["datasets"], dependencies=READ)

Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE)]


@router.get("", response_model=DatasetList)
def list_datasets(session: SessionDep, offset: Offset = 0, limit: Limit = 100) -> DatasetList:
    """Registered datasets by name."""
    items, total = service.list_datasets(session, offset, limit)
    return DatasetList(items=[DatasetRead.model_validate(d) for d in items], total=total)


@router.post("", response_model=DatasetRead, status_code=201)
def register_dataset(
    spec: DatasetCreate, session: SessionDep, settings: SettingsDep, user: Editor
) -> DatasetRead:
    """Register a dataset whose root lies under an allowed data root."""
    return DatasetRead.model_validate(service.register_dataset(session, settings, spec, user))


@router.post("/dry-run", response_model=DryRunRead)
def dry_run(spec: DatasetCreate, settings: SettingsDep, _user: Editor) -> DryRunRead:
    """Show what registering would find: counts, group examples, unpaired files and why."""
    return service.dry_run(settings, spec)


@router.get("/{dataset_id}", response_model=DatasetRead)
def get_dataset(dataset_id: Id, session: SessionDep) -> DatasetRead:
    return DatasetRead.model_validate(service.get_dataset(session, dataset_id))


@router.post("/{dataset_id}/index", response_model=IndexStarted, status_code=202)
def index_dataset(
    dataset_id: Id, session: SessionDep, settings: SettingsDep, user: Editor
) -> IndexStarted:
    """Start an ``index`` job (incremental: unchanged files are not read again)."""
    job_id = service.start_index(session, settings, dataset_id, user)
    return IndexStarted(job_id=job_id, dataset_id=dataset_id)


@router.get("/{dataset_id}/frames", response_model=FrameList)
def list_frames(
    dataset_id: Id,
    session: SessionDep,
    every: Annotated[Count | None, Query(description="Every Nth per sequence and camera")] = None,
    camera: str | None = None,
    sequence: str | None = None,
    split: str | None = None,
    label: Annotated[
        list[ClassId] | None, Query(description="Frames containing any of these")
    ] = None,
    random: Count | None = None,
    per_label: Count | None = None,
    seed: Seed = 0,
    has_error: bool | None = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> FrameList:
    """Frames in sequence/frame order, sampled and filtered."""
    params = SamplingParams(
        every=every, camera=camera, sequence=sequence, split=split, labels=label or [],
        random=random, per_label=per_label, seed=seed,
    )  # fmt: skip
    items, total = service.list_frames(
        session, dataset_id, service.rule_of(params), has_error=has_error, offset=offset,
        limit=limit,
    )  # fmt: skip
    return FrameList(items=items, total=total)


@router.get("/{dataset_id}/occurrence", response_model=OccurrenceRead)
def occurrence(dataset_id: Id, session: SessionDep) -> OccurrenceRead:
    """Per label: frames containing it, pixel share; and classes never labelled."""
    return service.occurrence(session, dataset_id)


@router.get("/{dataset_id}/occurrence/frames", response_model=FramePixelsList)
def frames_with_label(
    dataset_id: Id,
    session: SessionDep,
    label: Annotated[list[ClassId] | None, Query()] = None,
    mapping_id: Id | None = None,
    revision: Id | None = None,
    source_id: ClassId | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> FramePixelsList:
    """Frames with label(s) X, most pixels first; or with extra labels mapped to a source class."""
    labels = list(label or [])
    if mapping_id is not None and source_id is not None:
        labels += service.extra_ids_for_source_class(
            session, dataset_id, mapping_id, source_id, revision
        )
    items, total = service.frames_with_label(session, dataset_id, labels, offset, limit)
    return FramePixelsList(items=items, total=total)


@router.get("/{dataset_id}/stale", response_model=StaleRead)
def stale_frames(
    dataset_id: Id,
    session: SessionDep,
    settings: SettingsDep,
    folder: Annotated[
        str,
        Query(min_length=1, max_length=4096, description="A pseudo_label job's output folder."),
    ],
    mapping_id: Id,
    revision: Id | None = None,
) -> StaleRead:
    """How many frames of a pseudo-label folder a rerun with this revision relabels."""
    return staleness.stale_frames(session, settings, dataset_id, folder, mapping_id, revision)


@router.get("/{dataset_id}/summary", response_model=DatasetSummary)
def summary(dataset_id: Id, session: SessionDep) -> DatasetSummary:
    return service.summary(session, dataset_id)


@router.post("/{dataset_id}/sample-sets", response_model=SampleSetRead, status_code=201)
def create_sample_set(
    dataset_id: Id, body: SampleSetCreate, session: SessionDep, user: Editor
) -> SampleSetRead:
    """Save a named sample: the rule and the frames it picked now."""
    record = service.create_sample_set(session, dataset_id, body.name, body.rule, user)
    return SampleSetRead.model_validate(record)


@router.get("/{dataset_id}/sample-sets", response_model=SampleSetList)
def list_sample_sets(dataset_id: Id, session: SessionDep) -> SampleSetList:
    items = [SampleSetRead.model_validate(s) for s in service.list_sample_sets(session, dataset_id)]
    return SampleSetList(items=items, total=len(items))


@router.get("/{dataset_id}/sample-sets/{sample_set_id}", response_model=SampleSetRead)
def get_sample_set(dataset_id: Id, sample_set_id: Id, session: SessionDep) -> SampleSetRead:
    return SampleSetRead.model_validate(service.get_sample_set(session, dataset_id, sample_set_id))
