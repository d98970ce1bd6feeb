"""HTTP routes for taxonomies: parse, call the service, return a schema."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, File, Form, Query, UploadFile, status
from fastapi.responses import Response

from ontolabel.api.deps import READ, Editor, SessionDep, SettingsDep
from ontolabel.core.schemas import ErrorRead, Id, Name, Offset
from ontolabel.core.uploads import detect_format, read_limited
from ontolabel.domain.formats import decode_text
from ontolabel.mappings import mseg
from ontolabel.taxonomies import changes, service
from ontolabel.taxonomies.change_schemas import (
    TaxonomyChangeCreate,
    TaxonomyChangeList,
    TaxonomyChangePreview,
    TaxonomyChangeRead,
    TaxonomyChangeRevert,
)
from ontolabel.taxonomies.schemas import (
    TaxonomyConflict,
    TaxonomyCreate,
    TaxonomyDetailRead,
    TaxonomyKind,
    TaxonomyList,
    TaxonomyUpdate,
)

router = APIRouter(prefix="/api/taxonomies", tags=["taxonomies"], dependencies=READ)

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
def create_taxonomy(body: TaxonomyCreate, session: SessionDep, user: Editor) -> TaxonomyDetailRead:
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
    user: Editor,
    settings: SettingsDep,
    file: Annotated[
        UploadFile,
        File(
            description="A reference labels.csv, a native YAML, a Cityscapes-style labels.py "
            "(parsed, never run) or an MSeg master TSV (its universal column)."
        ),
    ],
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
    taxonomy_id: Id, body: TaxonomyUpdate, session: SessionDep, user: Editor
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
def archive_taxonomy(taxonomy_id: Id, session: SessionDep, user: Editor) -> TaxonomyDetailRead:
    """Hide a taxonomy from lists (nothing is deleted; mappings keep working)."""
    record = service.set_archived(session, taxonomy_id, archived=True, user=user)
    return service.detail(session, record)


@router.post("/{taxonomy_id}/restore", response_model=TaxonomyDetailRead, responses=_ERRORS)
def restore_taxonomy(taxonomy_id: Id, session: SessionDep, user: Editor) -> TaxonomyDetailRead:
    """Bring an archived taxonomy back into lists."""
    record = service.set_archived(session, taxonomy_id, archived=False, user=user)
    return service.detail(session, record)


@router.get(
    "/{taxonomy_id}/export",
    response_class=Response,
    responses={
        **_ERRORS,
        200: {
            "content": {
                "text/csv": {},
                "application/yaml": {},
                "text/x-python": {},
                "text/tab-separated-values": {},
            }
        },
    },
)
def export_taxonomy(
    taxonomy_id: Id,
    session: SessionDep,
    format: Literal["csv", "yaml", "tsv", "py"] = "yaml",
) -> Response:
    """Download as a labels.csv, native YAML, a labels.py, or an MSeg master TSV (with a
    column per mapping onto this taxonomy)."""
    if format == "tsv":
        exported = mseg.export_master(session, taxonomy_id)
    else:
        exported = service.export_taxonomy(session, taxonomy_id, format)
    return Response(
        exported.text,
        media_type=exported.media_type,
        headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'},
    )


@router.post(
    "/{taxonomy_id}/changes",
    response_model=TaxonomyChangeRead | TaxonomyChangePreview,
    responses={
        **_ERRORS,
        201: {"model": TaxonomyChangeRead, "description": "Applied."},
        200: {"model": TaxonomyChangePreview, "description": "Dry run: what it would do."},
        409: {"model": ErrorRead, "description": "Stale taxonomy version or mapping revision."},
    },
)
def change_taxonomy(
    taxonomy_id: Id,
    body: TaxonomyChangeCreate,
    session: SessionDep,
    user: Editor,
    response: Response,
    dry_run: bool = False,
) -> TaxonomyChangeRead | TaxonomyChangePreview:
    """Rename, merge or split classes; `dry_run=true` counts what it touches, storing nothing."""
    if dry_run:
        return changes.preview_change(session, taxonomy_id, body)
    response.status_code = status.HTTP_201_CREATED
    return changes.read_change(changes.apply_change(session, taxonomy_id, body, user=user))


@router.get("/{taxonomy_id}/changes", response_model=TaxonomyChangeList, responses=_ERRORS)
def list_changes(
    taxonomy_id: Id,
    session: SessionDep,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> TaxonomyChangeList:
    """The changes applied to this taxonomy, newest first."""
    items, total = changes.list_changes(session, taxonomy_id, offset=offset, limit=limit)
    return TaxonomyChangeList(items=items, total=total)


@router.post(
    "/{taxonomy_id}/changes/{change_id}/revert",
    response_model=TaxonomyChangeRead,
    responses={
        **_ERRORS,
        409: {"model": ErrorRead, "description": "Already reverted, or edited since."},
    },
)
def revert_change(
    taxonomy_id: Id,
    change_id: Id,
    session: SessionDep,
    user: Editor,
    body: Annotated[TaxonomyChangeRevert | None, Body()] = None,
) -> TaxonomyChangeRead:
    """Restore the classes, mappings and decisions as they were before the change."""
    message = body.message if body else None
    record = changes.revert_change(session, taxonomy_id, change_id, message=message, user=user)
    return changes.read_change(record)
