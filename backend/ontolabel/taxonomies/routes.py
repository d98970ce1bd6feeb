"""HTTP routes for taxonomies: parse, call the service, return a schema."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import Response

from ontolabel.api.deps import CurrentUser, SessionDep, SettingsDep
from ontolabel.core.schemas import ErrorRead, Id, Name, Offset
from ontolabel.core.uploads import detect_format, read_limited
from ontolabel.domain.formats import decode_text
from ontolabel.taxonomies import service
from ontolabel.taxonomies.schemas import (
    TaxonomyConflict,
    TaxonomyCreate,
    TaxonomyDetailRead,
    TaxonomyKind,
    TaxonomyList,
    TaxonomyUpdate,
)

router = APIRouter(prefix="/api/taxonomies", tags=["taxonomies"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorRead, "description": "No taxonomy with this id."},
    422: {"model": ErrorRead, "description": "Invalid input; `field`, `file`, `line` say where."},
}


@router.get("", response_model=TaxonomyList)
def list_taxonomies(
    session: SessionDep,
    include_archived: bool = False,
    kind: TaxonomyKind | None = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> TaxonomyList:
    """Taxonomies by name; archived ones only with `include_archived=true`."""
    items, total = service.list_taxonomies(
        session, include_archived=include_archived, kind=kind, offset=offset, limit=limit
    )
    return TaxonomyList(items=items, total=total)


@router.post(
    "",
    response_model=TaxonomyDetailRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        422: _ERRORS[422],
        409: {"model": ErrorRead, "description": "A taxonomy with this name exists."},
    },
)
def create_taxonomy(
    body: TaxonomyCreate, session: SessionDep, user: CurrentUser
) -> TaxonomyDetailRead:
    """Create a taxonomy at version 1."""
    record = service.create_taxonomy(session, body.to_domain(), kind=body.kind, user=user)
    return service.detail(session, record)


@router.post(
    "/import",
    response_model=TaxonomyDetailRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        422: _ERRORS[422],
        409: {"model": ErrorRead, "description": "The name is taken."},
        413: {"model": ErrorRead, "description": "Larger than ONTOLABEL_MAX_UPLOAD_BYTES."},
    },
)
def import_taxonomy(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="A reference labels.csv or a native YAML.")],
    kind: Annotated[TaxonomyKind, Form()] = "extra",
    name: Annotated[Name | None, Form(description="Default: the YAML's name or file stem.")] = None,
    format: Annotated[Literal["csv", "yaml"] | None, Form()] = None,
) -> TaxonomyDetailRead:
    """Create a taxonomy from an uploaded file; nothing is stored if the file is bad."""
    filename = file.filename or "upload"
    text = decode_text(
        read_limited(file.file, filename, settings.max_upload_bytes), source=filename
    )
    record = service.import_taxonomy(
        session,
        text,
        fmt=detect_format(filename, format),
        filename=filename,
        kind=kind,
        name=name,
        user=user,
    )
    return service.detail(session, record)


@router.get("/{taxonomy_id}", response_model=TaxonomyDetailRead, responses=_ERRORS)
def get_taxonomy(taxonomy_id: Id, session: SessionDep) -> TaxonomyDetailRead:
    """A taxonomy with its classes in order."""
    return service.get_taxonomy(session, taxonomy_id)


@router.put(
    "/{taxonomy_id}",
    response_model=TaxonomyDetailRead,
    responses={
        **_ERRORS,
        409: {
            "model": TaxonomyConflict | ErrorRead,
            "description": "Stale version (body has what is stored), or the new name is taken.",
        },
    },
)
def update_taxonomy(
    taxonomy_id: Id, body: TaxonomyUpdate, session: SessionDep, user: CurrentUser
) -> TaxonomyDetailRead:
    """Edit a taxonomy; `version` must be the current one, else 409 with what is stored."""
    change = service.TaxonomyChange(
        version=body.version,
        name=body.name,
        kind=body.kind,
        description=body.description,
        classes=None if body.classes is None else tuple(c.to_domain() for c in body.classes),
        file_columns=None if body.file_columns is None else tuple(body.file_columns),
    )
    record = service.update_taxonomy(session, taxonomy_id, change, user=user)
    return service.detail(session, record)


@router.post("/{taxonomy_id}/archive", response_model=TaxonomyDetailRead, responses=_ERRORS)
def archive_taxonomy(taxonomy_id: Id, session: SessionDep, user: CurrentUser) -> TaxonomyDetailRead:
    """Hide a taxonomy from lists (nothing is deleted; mappings keep working)."""
    record = service.set_archived(session, taxonomy_id, archived=True, user=user)
    return service.detail(session, record)


@router.post("/{taxonomy_id}/restore", response_model=TaxonomyDetailRead, responses=_ERRORS)
def restore_taxonomy(taxonomy_id: Id, session: SessionDep, user: CurrentUser) -> TaxonomyDetailRead:
    """Bring an archived taxonomy back into lists."""
    record = service.set_archived(session, taxonomy_id, archived=False, user=user)
    return service.detail(session, record)


@router.get(
    "/{taxonomy_id}/export",
    response_class=Response,
    responses={**_ERRORS, 200: {"content": {"text/csv": {}, "application/yaml": {}}}},
)
def export_taxonomy(
    taxonomy_id: Id,
    session: SessionDep,
    format: Literal["csv", "yaml"] = "yaml",
) -> Response:
    """Download as a reference labels.csv or native YAML."""
    exported = service.export_taxonomy(session, taxonomy_id, format)
    return Response(
        exported.text,
        media_type=exported.media_type,
        headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'},
    )
