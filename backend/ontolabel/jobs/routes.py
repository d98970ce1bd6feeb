"""HTTP routes for jobs: parse, call the service, return a schema.

The router's lifespan owns the job dispatcher of the app: Celery when a broker is
configured, else the in-process pool, which also resumes unfinished jobs at startup;
either way wrapped in ``JobPickup``, which sends jobs that others (the CLI) queued.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from ontolabel.api.deps import READ, Editor, SessionDep, SettingsDep
from ontolabel.core.schemas import ErrorRead, Id, Offset, Seq
from ontolabel.jobs import dispatch, idempotency, outputs, repository, service
from ontolabel.jobs.params import JobParams
from ontolabel.jobs.schemas import (
    FrameErrorList,
    FrameErrorRead,
    JobCreateBase,
    JobEventRead,
    JobList,
    JobProgress,
    JobRead,
    JobStatus,
    SuggestionsRead,
    TrainEpochList,
    TrainEpochRead,
    job_create_type,
)
from ontolabel.jobs.tables import FINAL_JOB_STATUSES, Job

SSE_POLL_S = 0.5
SSE_MAX_STREAM_S = 600.0  # then the client reconnects with Last-Event-ID


@asynccontextmanager
async def jobs_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the app's dispatcher; in embedded mode resume jobs a previous run left."""
    settings, engine = app.state.settings, app.state.engine
    runner = dispatch.make_dispatcher(settings)
    dispatcher = dispatch.JobPickup(app.state.session_factory, runner)
    dispatch.register_dispatcher(engine, dispatcher)
    if isinstance(runner, dispatch.InProcessDispatcher):
        with app.state.session_factory() as session:
            for job_id in repository.active_job_ids(session):
                dispatcher.enqueue_job(job_id)
    dispatcher.start()
    try:
        yield
    finally:
        dispatch.unregister_dispatcher(engine)
        await anyio.to_thread.run_sync(dispatcher.close)


router = APIRouter(prefix="/api/jobs", tags=["jobs"], lifespan=jobs_lifespan, dependencies=READ)


def _existing_job_id(job_id: Id, request: Request) -> int:
    # A short session of its own: a streaming response must not pin a request session.
    with request.app.state.session_factory() as session:
        service.get_job(session, job_id)
    return job_id


ExistingJobId = Annotated[int, Depends(_existing_job_id)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=idempotency.KEY_FIELD,
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string (a UUID): the same key from the same user within "
        "24 h answers the job the first post made (200) instead of starting another.",
    ),
]


def creation_router(params_models: Sequence[type[JobParams]]) -> APIRouter:
    """``POST /api/jobs`` for these kinds: its body is their union, discriminated by
    ``kind``, so OpenAPI shows each kind's parameters and a bad one is 422, unqueued.

    Built per app because plugin kinds (``extra_kind_modules``) join the union.
    """
    creation = APIRouter(prefix="/api/jobs", tags=["jobs"])

    def create_job(
        body: JobCreateBase,
        session: SessionDep,
        settings: SettingsDep,
        user: Editor,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> JobRead:
        """Queue a job (201); it starts once this request commits. With an
        ``Idempotency-Key`` already used, the job that key made (200)."""

        def create() -> Job:
            return service.create_job(session, settings, body.job_params(), user)

        if idempotency_key is None:
            return JobRead.model_validate(create())
        body_hash = idempotency.request_hash(body.model_dump(mode="json"))
        job, new = idempotency.create_once(session, user.name, idempotency_key, body_hash, create)
        if not new:
            response.status_code = 200
        return JobRead.model_validate(job)

    # The body's type exists only now; FastAPI reads it from the signature.
    create_job.__annotations__["body"] = job_create_type(params_models)
    creation.post(
        "",
        status_code=201,
        responses={200: {"model": JobRead, "description": "The job this Idempotency-Key made."}},
    )(create_job)
    return creation


@router.get("")
def list_jobs(
    session: SessionDep,
    kind: str | None = None,
    status: JobStatus | None = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JobList:
    """Jobs, newest first, optionally filtered by kind and status."""
    jobs, total = service.list_jobs(session, kind=kind, status=status, offset=offset, limit=limit)
    return JobList(items=[JobRead.model_validate(j) for j in jobs], total=total)


@router.get("/{job_id}")
def get_job(job_id: Id, session: SessionDep) -> JobRead:
    """One job: status, progress, pinned inputs, outputs, error."""
    return JobRead.model_validate(service.get_job(session, job_id))


@router.post("/{job_id}/cancel")
def cancel_job(job_id: Id, session: SessionDep, user: Editor) -> JobRead:
    """Cancel: queued jobs at once, running ones between frames (cooperative)."""
    return JobRead.model_validate(service.cancel_job(session, job_id, user))


@router.get("/{job_id}/errors")
def list_frame_errors(
    job_id: Id,
    session: SessionDep,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> FrameErrorList:
    """Per-frame errors of a job (the job went on without those frames)."""
    errors, total = service.frame_errors(session, job_id, offset=offset, limit=limit)
    return FrameErrorList(items=[FrameErrorRead.model_validate(e) for e in errors], total=total)


@router.get("/{job_id}/epochs")
def list_train_epochs(
    job_id: Id,
    session: SessionDep,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> TrainEpochList:
    """A train job's figures per epoch (loss, rates, validation mIoU), in the order run."""
    epochs, total = service.train_epochs(session, job_id, offset=offset, limit=limit)
    return TrainEpochList(items=[TrainEpochRead.model_validate(e) for e in epochs], total=total)


_OUTPUT_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "A path resolves outside the output folder."},
    404: {
        "model": ErrorRead,
        "description": "No such job or frame, not a succeeded pseudo_label job, or no manifest.",
    },
}


@router.get("/{job_id}/outputs", responses=_OUTPUT_ERRORS)
def list_outputs(
    job_id: Id,
    session: SessionDep,
    settings: SettingsDep,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> outputs.OutputList:
    """A succeeded pseudo_label job's frames from its manifest: key, PNG, provenance."""
    return outputs.list_outputs(session, settings, job_id, offset, limit)


@router.get(
    "/{job_id}/outputs/{frame_id}.png",
    response_class=Response,
    responses={
        200: {
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The pseudo-label in the source taxonomy's colours.",
        },
        422: {"model": ErrorRead, "description": "The PNG does not decode."},
        **_OUTPUT_ERRORS,
    },
)
def output_png(job_id: Id, frame_id: Id, session: SessionDep, settings: SettingsDep) -> Response:
    """One frame's pseudo-label, coloured; its place comes from the manifest, not the client."""
    body = outputs.output_png(session, settings, job_id, frame_id)
    return Response(body, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})


@router.get("/{job_id}/suggestions", responses={404: {"model": ErrorRead}})
def get_suggestions(job_id: Id, session: SessionDep) -> SuggestionsRead:
    """A succeeded suggest job's cells to add and remove, conflicts and heatmap matrix."""
    return service.suggestions(session, job_id)


@router.get("/{job_id}/events", response_class=EventSourceResponse)
def stream_job_events(
    job_id: ExistingJobId,
    request: Request,
    last_event_id: Annotated[Seq | None, Header()] = None,
    after: Annotated[Seq, Query(description="Resume after this log seq.")] = 0,
) -> Iterator[ServerSentEvent]:
    """Server-sent events: ``log`` lines (id = seq), ``progress`` snapshots, then ``end``."""
    yield from _follow(request, job_id, max(after, last_event_id or 0))


def _follow(request: Request, job_id: int, after: int) -> Iterator[ServerSentEvent]:
    factory = request.app.state.session_factory
    deadline = time.monotonic() + SSE_MAX_STREAM_S
    last: JobProgress | None = None
    while True:
        with factory() as session:
            # Job first, then events: a job seen final has all its lines committed.
            job = service.get_job(session, job_id)
            progress = JobProgress.model_validate(job, from_attributes=True)
            events = repository.events_after(session, job_id, after, 500)
        for event in events:
            after = event.seq
            yield ServerSentEvent(
                event="log", id=str(event.seq), data=JobEventRead.model_validate(event)
            )
        if progress != last:
            last = progress
            yield ServerSentEvent(event="progress", data=progress)
        if progress.status in FINAL_JOB_STATUSES and len(events) < 500:
            yield ServerSentEvent(event="end", data=progress)
            return
        if time.monotonic() > deadline:
            return
        time.sleep(SSE_POLL_S)
