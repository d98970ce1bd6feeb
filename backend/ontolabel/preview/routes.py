"""HTTP routes for live previews: re-apply a mapping to a frame's cached teacher output."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from ontolabel.api.deps import READ, SessionDep, SettingsDep
from ontolabel.core.schemas import Id
from ontolabel.domain.labeling import DEFAULT_VOID_THRESHOLD
from ontolabel.preview import service
from ontolabel.preview.pixels import EncodedIds
from ontolabel.preview.schemas import (
    IdMap,
    LabelRuleRead,
    PreviewLayer,
    PreviewPixels,
    PreviewRead,
    PreviewRequest,
    SourceClassName,
)

router = APIRouter(tags=["previews"], dependencies=READ)


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _id_map(ids: EncodedIds) -> IdMap:
    return IdMap(width=ids.width, height=ids.height, dtype=ids.dtype, data=ids.data)


def _pixels(pixels: service.PreviewPixelIds) -> PreviewPixels:
    return PreviewPixels(
        pseudo_label=_id_map(pixels.pseudo_label),
        extra_label=_id_map(pixels.extra_label),
        source_classes=[SourceClassName(id=i, name=n) for i, n in pixels.source_classes],
        labels=[
            LabelRuleRead(
                extra_id=r.extra_id,
                names=list(r.names),
                allowed_source_ids=list(r.allowed_source_ids),
                void=r.void,
            )
            for r in pixels.labels
        ],
    )


@router.post("/api/previews/{model_key}/{frame_key:path}", response_model=PreviewRead)
def preview(
    model_key: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.\-]+$", max_length=512)],
    frame_key: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.\-/]+$", max_length=1024)],
    body: PreviewRequest,
    session: SessionDep,
    settings: SettingsDep,
) -> PreviewRead:
    """All three layers for a saved revision or an unsaved draft (``rows``), with per-pixel
    ids (at most 256 px a side) for hover info."""
    result = service.preview_frame(session, settings, model_key, frame_key, body)
    images = result.images
    return PreviewRead(
        prediction=_data_url(images.prediction),
        pseudo_label=_data_url(images.pseudo_label),
        difference=_data_url(images.difference),
        changed=images.changed,
        ignored=images.ignored,
        revision=result.revision,
        milliseconds=result.milliseconds,
        pixels=_pixels(result.pixels),
    )


@router.get(
    "/api/frames/{frame_id}/preview",
    response_class=Response,
    responses={
        200: {
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The chosen layer as a PNG.",
        }
    },
)
def frame_preview(
    frame_id: Id,
    session: SessionDep,
    settings: SettingsDep,
    model_id: Id,
    mapping_id: Id,
    revision: Id | None = None,
    layer: PreviewLayer = "pseudo_label",
    void_threshold: float = Query(default=DEFAULT_VOID_THRESHOLD, ge=0, le=1),
) -> Response:
    """One layer as a PNG for a saved revision (frame previews cached under the frame id)."""
    body = PreviewRequest(mapping_id=mapping_id, revision=revision, void_threshold=void_threshold)
    result = service.preview_frame(
        session, settings, service.model_key_for(model_id), str(frame_id), body
    )
    return Response(getattr(result.images, layer), media_type="image/png")
