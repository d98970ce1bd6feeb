"""HTTP routes for frames, by frame id only: a client never sends a path."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from ontolabel.api.deps import READ, SessionDep, SettingsDep
from ontolabel.core.schemas import ErrorRead, Id
from ontolabel.datasets.schemas import FrameRead
from ontolabel.frames import service
from ontolabel.frames.schemas import FrameDetailRead

router = APIRouter(prefix="/api/frames", tags=["frames"], dependencies=READ)

IfNoneMatch = Annotated[str | None, Header()]

_ERRORS: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: `If-None-Match` named the current ETag."},
    403: {"model": ErrorRead, "description": "The file resolves outside the dataset root."},
    404: {"model": ErrorRead, "description": "No such frame, or its file is gone."},
}


def _picture(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI for an image response (with ETag, Cache-Control and nosniff headers)."""
    return {
        200: {
            "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in media_types},
            "description": "The picture; `ETag`, `Cache-Control` and "
            "`X-Content-Type-Options: nosniff` are set. An undecodable file or one over "
            "the 64 Mpx limit is a 422 whose `detail` names the frame.",
        },
        **_ERRORS,
    }


def _send(rendered: service.Rendered, if_none_match: str | None) -> Response:
    headers = {"ETag": rendered.etag, "Cache-Control": "private, max-age=3600"}
    if if_none_match is not None and rendered.etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, media_type=rendered.media_type, headers=headers)


@router.get("/{frame_id}", response_model=FrameDetailRead)
def get_frame(frame_id: Id, session: SessionDep) -> FrameDetailRead:
    """A frame's row and its class histogram."""
    frame, _ = service.get_frame(session, frame_id)
    return FrameDetailRead(
        **FrameRead.model_validate(frame).model_dump(),
        histogram=service.frame_histogram(session, frame_id),
    )


@router.get(
    "/{frame_id}/image",
    response_class=Response,
    responses=_picture("image/png", "image/jpeg", "image/webp"),
)
def frame_image(
    frame_id: Id, session: SessionDep, settings: SettingsDep, if_none_match: IfNoneMatch = None
) -> Response:
    """The image file as stored."""
    return _send(service.image(session, settings, frame_id), if_none_match)


@router.get("/{frame_id}/label", response_class=Response, responses=_picture("image/png"))
def frame_label(
    frame_id: Id, session: SessionDep, settings: SettingsDep, if_none_match: IfNoneMatch = None
) -> Response:
    """The label coloured with the taxonomy's colours (PNG)."""
    return _send(service.label(session, settings, frame_id), if_none_match)


@router.get("/{frame_id}/overlay", response_class=Response, responses=_picture("image/png"))
def frame_overlay(
    frame_id: Id,
    session: SessionDep,
    settings: SettingsDep,
    alpha: Annotated[float, Query(ge=0, le=1)] = 0.5,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The image with the coloured label blended over it (PNG)."""
    return _send(service.overlay(session, settings, frame_id, alpha), if_none_match)


@router.get("/{frame_id}/thumbnail", response_class=Response, responses=_picture("image/jpeg"))
def frame_thumbnail(
    frame_id: Id,
    session: SessionDep,
    settings: SettingsDep,
    size: Annotated[int, Query(ge=16, le=1024)] = 256,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """A small JPEG of the image, cached on disk."""
    return _send(service.thumbnail(session, settings, frame_id, size), if_none_match)
