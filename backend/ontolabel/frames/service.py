"""Serving a frame's pixels by frame id: image, colourised label, overlay, thumbnail.

A client only ever names a frame id; the file path comes from the frame row and is
re-checked against the dataset root (``core.paths``) on every read, so a symlink swapped
in after indexing cannot lead out. Decoding goes through ``domain.labels`` (bomb limit).
Labels, overlays and thumbnails are drawn at a bounded size (:data:`RENDER_MAX_SIDE`).
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from ontolabel.core.config import Settings
from ontolabel.core.paths import resolve_data_root, resolve_inside
from ontolabel.datasets.tables import Dataset, Frame, FrameLabel
from ontolabel.domain.labels import (
    LabelDecodeError,
    LabelEncoding,
    color_table,
    colorize,
    decode_label,
    fit_within,
    image_size,
    open_image,
    palette_lut,
)
from ontolabel.errors import InvalidInput, NotFound
from ontolabel.taxonomies.tables import TaxonomyClassRecord

RENDER_MAX_SIDE = 2048
"""The longest side of a drawn label or overlay. A 64 Mpx frame is drawn from at most
4 Mpx (a JPEG even decoded at that scale), so it costs neither gigabytes of arrays nor
seconds of blending for a picture the browser shows smaller anyway."""

_RESIZABLE_MODES = ("RGB", "RGBA", "L")
"""Image modes resized as they are; others (palette, 16-bit) are made RGB first."""


def sniffed_media_type(head: bytes) -> str | None:
    """The type a browser can show, from the file's first bytes (not its name); else None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True)
class Rendered:
    """Bytes to send with their media type and a validator for conditional requests."""

    body: bytes
    media_type: str
    etag: str


def get_frame(session: Session, frame_id: int) -> tuple[Frame, Dataset]:
    frame = session.get(Frame, frame_id)
    if frame is None:
        raise NotFound(f"frame {frame_id} does not exist", frame=frame_id)
    dataset = session.get(Dataset, frame.dataset_id)
    assert dataset is not None
    return frame, dataset


def frame_histogram(session: Session, frame_id: int) -> dict[int, int]:
    rows = session.execute(
        select(FrameLabel.label_id, FrameLabel.pixels).where(FrameLabel.frame_id == frame_id)
    )
    return {int(a): int(b) for a, b in rows}


def _file(settings: Settings, dataset: Dataset, frame: Frame, which: str) -> Path:
    rel = frame.image_path if which == "image" else frame.label_path
    if rel is None:
        raise NotFound(f"frame {frame.id} has no {which} file", frame=frame.id)
    root = resolve_data_root(dataset.root, settings.allowed_data_roots)
    path = resolve_inside(root, rel)
    if not path.is_file():
        raise NotFound(f"frame {frame.id}: {which} file {rel} is gone; re-index", frame=frame.id)
    return path


def _etag(frame: Frame, *parts: object) -> str:
    key = "|".join(
        str(p)
        for p in (
            frame.id, frame.image_size, frame.image_mtime_ns, frame.label_size,
            frame.label_mtime_ns, *parts,
        )
    )  # fmt: skip
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def _decode_failed(frame: Frame, exc: LabelDecodeError) -> InvalidInput:
    return InvalidInput(f"frame {frame.id} ({frame.key}): {exc}", frame=frame.id)


def _lut(session: Session, dataset: Dataset) -> tuple[np.ndarray, dict[int, int]]:
    classes = {
        c.class_id: c.color
        for c in session.scalars(
            select(TaxonomyClassRecord).where(
                TaxonomyClassRecord.taxonomy_id == dataset.taxonomy_id
            )
        )
    }
    return palette_lut(classes), color_table(classes)


def _png(picture: Image.Image) -> bytes:
    buf = io.BytesIO()
    picture.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _picture(settings: Settings, dataset: Dataset, frame: Frame, within: int | None) -> Image.Image:
    """The frame's image in RGB, at most ``within`` px on its longer side (None: as stored)."""
    try:
        with open_image(_file(settings, dataset, frame, "image"), within=within) as image:
            source = image if image.mode in _RESIZABLE_MODES else image.convert("RGB")
            fitted = (
                source if within is None else fit_within(source, within, Image.Resampling.BILINEAR)
            )
            return fitted.convert("RGB")
    except LabelDecodeError as exc:
        raise _decode_failed(frame, exc) from exc


def _label_picture(
    session: Session,
    settings: Settings,
    dataset: Dataset,
    frame: Frame,
    size: tuple[int, int] | None = None,
) -> Image.Image:
    """The label in the taxonomy's colours at ``size`` (default: at most RENDER_MAX_SIDE on
    its longer side), resampled before decoding, nearest, so every pixel stays an id."""
    lut, colors = _lut(session, dataset)
    encoding: LabelEncoding = dataset.label_encoding  # type: ignore[assignment]
    try:
        with open_image(_file(settings, dataset, frame, "label")) as label:
            if size is None:
                fitted = fit_within(label, RENDER_MAX_SIDE, Image.Resampling.NEAREST)
            else:
                fitted = (
                    label if label.size == size else label.resize(size, Image.Resampling.NEAREST)
                )
            ids = decode_label(fitted, encoding, colors)
    except LabelDecodeError as exc:
        raise _decode_failed(frame, exc) from exc
    return Image.fromarray(colorize(ids, lut))


def image(session: Session, settings: Settings, frame_id: int) -> Rendered:
    """The image file as stored when a browser can show it, else re-encoded as PNG.

    The content type comes from the bytes, not the file name (``nosniff`` is sent, so a
    wrong type would not display); the header is checked against the bomb limit first.
    """
    frame, dataset = get_frame(session, frame_id)
    path = _file(settings, dataset, frame, "image")
    try:
        image_size(path)
    except LabelDecodeError as exc:
        raise _decode_failed(frame, exc) from exc
    body = path.read_bytes()
    media = sniffed_media_type(body[:16])
    if media is None:  # TIFF, BMP, …: decoded (bomb limit applies) and sent as PNG
        picture = _picture(settings, dataset, frame, within=None)
        return Rendered(_png(picture), "image/png", _etag(frame, "image"))
    return Rendered(body, media, _etag(frame, "image"))


def label(session: Session, settings: Settings, frame_id: int) -> Rendered:
    """The label in the taxonomy's colours (fallback colours for unnamed ids)."""
    frame, dataset = get_frame(session, frame_id)
    picture = _label_picture(session, settings, dataset, frame)
    return Rendered(_png(picture), "image/png", _etag(frame, "label", RENDER_MAX_SIDE))


def overlay(session: Session, settings: Settings, frame_id: int, alpha: float) -> Rendered:
    """Image blended with the coloured label: ``(1 - alpha) * image + alpha * label``."""
    frame, dataset = get_frame(session, frame_id)
    picture = _picture(settings, dataset, frame, within=RENDER_MAX_SIDE)
    colours = _label_picture(session, settings, dataset, frame, size=picture.size)
    blend = Image.blend(picture, colours, alpha)
    return Rendered(_png(blend), "image/png", _etag(frame, "overlay", alpha, RENDER_MAX_SIDE))


def thumbnail(session: Session, settings: Settings, frame_id: int, size: int) -> Rendered:
    """A JPEG at most ``size`` px wide/high, cached under ``settings.cache_dir``."""
    frame, dataset = get_frame(session, frame_id)
    etag = _etag(frame, "thumbnail", size)
    cached = settings.cache_dir / "thumbnails" / f"{frame.id}-{etag.strip(chr(34))}.jpg"
    if cached.is_file():
        return Rendered(cached.read_bytes(), "image/jpeg", etag)
    picture = _picture(settings, dataset, frame, within=size)
    buf = io.BytesIO()
    picture.save(buf, format="JPEG", quality=85)
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(buf.getvalue())
    os.replace(tmp, cached)
    return Rendered(buf.getvalue(), "image/jpeg", etag)
