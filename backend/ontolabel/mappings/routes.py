"""HTTP routes for mappings: parse, call the service, return a schema."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, File, Form, Query, UploadFile, status
from fastapi.responses import Response

from ontolabel.api.deps import READ, Editor, SessionDep, SettingsDep
from ontolabel.core.schemas import ErrorRead, Id, Name, Offset
from ontolabel.core.uploads import detect_format, read_limited
from ontolabel.domain.formats import decode_text
from ontolabel.mappings import algebra, service
from ontolabel.mappings.schemas import (
    LintReport,
    MappingCompose,
    MappingComposition,
    MappingConflict,
    MappingCreate,
    MappingDetailRead,
    MappingDraft,
    MappingInverse,
    MappingList,
    MappingRevert,
    MappingRevisionList,
    MappingRevisionRead,
    MappingSave,
)

router = APIRouter(prefix="/api/mappings", tags=["mappings"], dependencies=READ)

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorRead, "description": "No such mapping or revision."},
    422: {"model": ErrorRead, "description": "Invalid input; `field`, `file`, `line` say where."},
}
_STALE: dict[int | str, dict[str, Any]] = {
    409: {"model": MappingConflict, "description": "Stale base revision; body has the head."}
}


@router.get("", response_model=MappingList)
def list_mappings(
    session: SessionDep,
    include_archived: bool = False,
    extra_taxonomy_id: Id | None = None,
    source_taxonomy_id: Id | None = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> MappingList:
    """Mappings by name; archived ones only with `include_archived=true`."""
    items, total = service.list_mappings(
        session,
        include_archived=include_archived,
        extra_taxonomy_id=extra_taxonomy_id,
        source_taxonomy_id=source_taxonomy_id,
        offset=offset,
        limit=limit,
    )
    return MappingList(items=items, total=total)


@router.post(
    "",
    response_model=MappingDetailRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        422: _ERRORS[422],
        409: {"model": ErrorRead, "description": "A mapping with this name exists."},
    },
)
def create_mapping(body: MappingCreate, session: SessionDep, user: Editor) -> MappingDetailRead:
    """Create a mapping at revision 1; both taxonomies must exist."""
    record = service.create_mapping(
        session,
        name=body.name,
        extra_taxonomy=body.extra_taxonomy,
        source_taxonomy=body.source_taxonomy,
        rows=[r.to_domain() for r in body.rows],
        message=body.message,
        user=user,
    )
    return service.get_mapping(session, record.id)


@router.post(
    "/import",
    response_model=MappingDetailRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        422: _ERRORS[422],
        409: {"model": ErrorRead, "description": "The name is taken."},
        413: {"model": ErrorRead, "description": "Larger than ONTOLABEL_MAX_UPLOAD_BYTES."},
    },
)
def import_mapping(
    session: SessionDep,
    user: Editor,
    settings: SettingsDep,
    file: Annotated[
        UploadFile,
        File(
            description="A reference master_labels_*.csv, a native YAML, or an MSeg TSV "
            "(pairwise; or master, with extra_taxonomy naming its column)."
        ),
    ],
    extra_taxonomy: Annotated[
        Name | None, Form(description="Required for CSV; for a master TSV, its column.")
    ] = None,
    source_taxonomy: Annotated[
        Name | None, Form(description="Used if it exists, else created from the file.")
    ] = None,
    name: Annotated[Name | None, Form(description="Default: <extra>-to-<source>.")] = None,
    message: Annotated[str, Form()] = "",
    format: Annotated[Literal["csv", "yaml", "tsv"] | None, Form()] = None,
) -> MappingDetailRead:
    """Create a mapping from an uploaded file; nothing is stored if anything is wrong."""
    filename = file.filename or "upload"
    text = decode_text(
        read_limited(file.file, filename, settings.max_upload_bytes), source=filename
    )
    record = service.import_mapping(
        session,
        text,
        fmt=detect_format(filename, format),
        filename=filename,
        extra_taxonomy=extra_taxonomy,
        source_taxonomy=source_taxonomy,
        name=name,
        message=message,
        user=user,
    )
    return service.get_mapping(session, record.id)


@router.post("/lint", response_model=LintReport, responses={422: _ERRORS[422]})
def lint_draft(body: MappingDraft, session: SessionDep) -> LintReport:
    """Lint an unsaved mapping against the stored taxonomies."""
    return service.lint_draft(
        session,
        extra_taxonomy=body.extra_taxonomy,
        source_taxonomy=body.source_taxonomy,
        rows=[r.to_domain() for r in body.rows],
    )


@router.post(
    "/compose",
    response_model=MappingComposition,
    responses={
        **_ERRORS,
        201: {"model": MappingComposition, "description": "Saved as a new mapping."},
        409: {"model": ErrorRead, "description": "A mapping with this name exists."},
    },
)
def compose_mappings(
    body: MappingCompose, session: SessionDep, user: Editor, response: Response
) -> MappingComposition:
    """Chain e→s and s→t into e→t: a preview, or with `name` a new mapping (201)."""
    result, created = algebra.compose_revisions(
        session, body.first, body.second, name=body.name, message=body.message, user=user
    )
    if created is not None:
        response.status_code = status.HTTP_201_CREATED
    return result


@router.get("/{mapping_id}", response_model=MappingDetailRead, responses=_ERRORS)
def get_mapping(mapping_id: Id, session: SessionDep) -> Response:
    """A mapping with its head revision's rows."""
    # The hot read: serialise once here rather than re-validate in another thread hop.
    detail = service.get_mapping(session, mapping_id)
    return Response(detail.model_dump_json(), media_type="application/json")


@router.put("/{mapping_id}", response_model=MappingDetailRead, responses={**_ERRORS, **_STALE})
def save_mapping(
    mapping_id: Id, body: MappingSave, session: SessionDep, user: Editor
) -> MappingDetailRead:
    """Save a new revision on top of `base_revision`; a stale base gets 409, never a merge."""
    service.save_mapping(
        session,
        mapping_id,
        base_revision=body.base_revision,
        rows=[r.to_domain() for r in body.rows],
        message=body.message,
        user=user,
    )
    return service.get_mapping(session, mapping_id)


@router.post("/{mapping_id}/archive", response_model=MappingDetailRead, responses=_ERRORS)
def archive_mapping(mapping_id: Id, session: SessionDep, user: Editor) -> MappingDetailRead:
    """Hide a mapping from lists; its revisions stay readable for jobs that pinned them."""
    service.set_archived(session, mapping_id, archived=True, user=user)
    return service.get_mapping(session, mapping_id)


@router.post("/{mapping_id}/restore", response_model=MappingDetailRead, responses=_ERRORS)
def restore_mapping(mapping_id: Id, session: SessionDep, user: Editor) -> MappingDetailRead:
    """Bring an archived mapping back into lists."""
    service.set_archived(session, mapping_id, archived=False, user=user)
    return service.get_mapping(session, mapping_id)


@router.get("/{mapping_id}/revisions", response_model=MappingRevisionList, responses=_ERRORS)
def list_revisions(mapping_id: Id, session: SessionDep) -> MappingRevisionList:
    """The history, newest first (content left out; fetch a revision for its rows)."""
    items = service.list_revisions(session, mapping_id)
    return MappingRevisionList(items=items, total=len(items))


@router.get(
    "/{mapping_id}/revisions/{number}", response_model=MappingRevisionRead, responses=_ERRORS
)
def get_revision(mapping_id: Id, number: Id, session: SessionDep) -> MappingRevisionRead:
    """One immutable revision with its rows."""
    return service.get_revision(session, mapping_id, number)


@router.post(
    "/{mapping_id}/revisions/{number}/revert",
    response_model=MappingDetailRead,
    responses={**_ERRORS, **_STALE},
)
def revert_mapping(
    mapping_id: Id,
    number: Id,
    session: SessionDep,
    user: Editor,
    body: Annotated[MappingRevert | None, Body()] = None,
) -> MappingDetailRead:
    """Make a new head revision with revision `number`'s content; history is kept."""
    body = body or MappingRevert()
    service.revert_mapping(
        session,
        mapping_id,
        number,
        base_revision=body.base_revision,
        message=body.message,
        user=user,
    )
    return service.get_mapping(session, mapping_id)


@router.get("/{mapping_id}/lint", response_model=LintReport, responses=_ERRORS)
def lint_mapping(mapping_id: Id, session: SessionDep, revision: Id | None = None) -> LintReport:
    """Lint findings for the head revision (or `revision`)."""
    return service.lint_saved(session, mapping_id, revision)


@router.get(
    "/{mapping_id}/export",
    response_class=Response,
    responses={
        **_ERRORS,
        200: {"content": {"text/csv": {}, "application/yaml": {}, "text/tab-separated-values": {}}},
    },
)
def export_mapping(
    mapping_id: Id,
    session: SessionDep,
    format: Literal["csv", "yaml", "tsv"] = "yaml",
    revision: Id | None = None,
) -> Response:
    """Download the head (or `revision`) as a reference CSV, native YAML or MSeg pairwise TSV."""
    exported = service.export_mapping(session, mapping_id, format, revision)
    return Response(
        exported.text,
        media_type=exported.media_type,
        headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'},
    )


@router.get("/{mapping_id}/inverse", response_model=MappingInverse, responses=_ERRORS)
def inverse_mapping(
    mapping_id: Id, session: SessionDep, revision: Id | None = None
) -> MappingInverse:
    """Per extra label, the source classes it may become (head, or `revision`)."""
    return algebra.inverse(session, mapping_id, revision)
