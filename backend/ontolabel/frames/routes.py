"""HTTP routes for frames, by frame id only: a client never sends a path."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from ontolabel.api.deps import SessionDep, SettingsDep
from ontolabel.datasets.schemas import FrameRead
from ontolabel.frames import service
from ontolabel.frames.schemas import FrameDetailRead

router = APIRouter(prefix="/api/frames", tags=["frames"])

IfNoneMatch = Annotated[str | None, Header()]


def _send(rendered: service.Rendered, if_none_match: str | None) -> Response:
    headers = {
        "ETag": rendered.etag,
        "Cache-Control": "private, max-age=3600",
        "X-Content-Type-Options": "nosniff",
    }
    if if_none_match is not None and rendered.etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, media_type=rendered.media_type, headers=headers)


@router.get("/{frame_id}", response_model=FrameDetailRead)
def get_frame(frame_id: int, session: SessionDep) -> FrameDetailRead:
    """A frame's row and its class histogram."""
    frame, _ = service.get_frame(session, frame_id)
    return FrameDetailRead(
        **FrameRead.model_validate(frame).model_dump(),
        histogram=service.frame_histogram(session, frame_id),
    )


@router.get("/{frame_id}/image", response_class=Response)
def frame_image(
    frame_id: int, session: SessionDep, settings: SettingsDep, if_none_match: IfNoneMatch = None
) -> Response:
    """The image file as stored."""
    return _send(service.image(session, settings, frame_id), if_none_match)


@router.get("/{frame_id}/label", response_class=Response)
def frame_label(
    frame_id: int, session: SessionDep, settings: SettingsDep, if_none_match: IfNoneMatch = None
) -> Response:
    """The label coloured with the taxonomy's colours (PNG)."""
    return _send(service.label(session, settings, frame_id), if_none_match)


@router.get("/{frame_id}/overlay", response_class=Response)
def frame_overlay(
    frame_id: int,
    session: SessionDep,
    settings: SettingsDep,
    alpha: Annotated[float, Query(ge=0, le=1)] = 0.5,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The image with the coloured label blended over it (PNG)."""
    return _send(service.overlay(session, settings, frame_id, alpha), if_none_match)


@router.get("/{frame_id}/thumbnail", response_class=Response)
def frame_thumbnail(
    frame_id: int,
    session: SessionDep,
    settings: SettingsDep,
    size: Annotated[int, Query(ge=16, le=1024)] = 256,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """A small JPEG of the image, cached on disk."""
    return _send(service.thumbnail(session, settings, frame_id, size), if_none_match)
