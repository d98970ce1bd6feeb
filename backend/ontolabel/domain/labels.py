"""Label images → id arrays, histograms and colours (pure numpy + Pillow).

Three encodings occur in the wild: ``id`` (grey PNG, pixel = class id, 8 or 16 bit),
``color`` (RGB PNG in the taxonomy's colours) and ``palette`` (P-mode PNG whose index
is the class id, as Mapillary Vistas ships). Every reader refuses decompression bombs:
``Image.MAX_IMAGE_PIXELS`` is set here and Pillow's warning is an error.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from collections.abc import Iterable, Mapping
from itertools import compress
from pathlib import Path
from typing import IO, Literal

import numpy as np
from PIL import Image

from ontolabel.domain.label_pixels import byte_counts, byte_view
from ontolabel.domain.taxonomy import CLASS_ID_MIN, PNG8_ID_MAX, PNG_ID_MAX

LabelEncoding = Literal["id", "color", "palette"]
LABEL_ENCODINGS: tuple[LabelEncoding, ...] = ("id", "color", "palette")

MAX_IMAGE_PIXELS = 8192 * 8192
"""Largest frame we decode (64 Mpx); Pillow refuses anything bigger."""

Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)

HEADER_BYTES = 65536
"""The most of an image file :func:`image_size` reads for its header."""

UNKNOWN_COLOR = CLASS_ID_MIN - 1
"""Id given to colour-PNG pixels whose colour is not in the taxonomy: the one 32-bit value
no class may have (-1 is Cityscapes' license plate)."""


def ids_no_label_holds(ids: Iterable[int], encoding: LabelEncoding) -> list[int]:
    """Class ids no label PNG of ``encoding`` can carry, sorted: outside 0-65535 for grey id
    PNGs, 0-255 for palette ones; none for colour PNGs (they name classes by colour)."""
    top = {"id": PNG_ID_MAX, "palette": PNG8_ID_MAX}.get(encoding)
    return [] if top is None else sorted(i for i in ids if not 0 <= i <= top)


class LabelDecodeError(ValueError):
    """A label file that cannot be read as labels (message says why)."""


def parse_color(color: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` → ``(r, g, b)``."""
    value = color.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"colour {color!r} is not #rrggbb")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def fallback_color(class_id: int) -> tuple[int, int, int]:
    """A deterministic, well-spread colour for a class without one."""
    digest = hashlib.sha256(f"ontolabel-class-{class_id}".encode()).digest()
    return digest[0], digest[1], digest[2]


def color_table(colors: Mapping[int, str | None]) -> dict[int, int]:
    """Packed ``0xRRGGBB`` → class id, for decoding colour PNGs (first id wins a clash)."""
    table: dict[int, int] = {}
    for class_id, color in colors.items():
        if color:
            r, g, b = parse_color(color)
            table.setdefault((r << 16) | (g << 8) | b, class_id)
    return table


def palette_lut(colors: Mapping[int, str | None], size: int = 65536) -> np.ndarray:
    """``[size, 3]`` uint8 colour per id: the taxonomy's colours, a fallback for the rest."""
    needed = max([*colors.keys(), 255]) + 1
    n = min(size, max(needed, 256))
    lut = np.zeros((n, 3), dtype=np.uint8)
    for i in range(n):
        lut[i] = fallback_color(i)
    for class_id, color in colors.items():
        if 0 <= class_id < n:
            lut[class_id] = parse_color(color) if color else fallback_color(class_id)
    return lut


def open_image(source: str | Path | IO[bytes], *, within: int | None = None) -> Image.Image:
    """Open and fully load an image; bombs, truncation and garbage raise ``LabelDecodeError``.

    With ``within``, a JPEG is decoded at the smallest scale libjpeg offers that still
    covers ``within`` px on its longer side (``Image.draft``), so a large one is never
    decoded at full size; other formats load whole (:func:`fit_within` then shrinks them).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source)
            if within is not None:
                image.draft(None, _fitted_size(image.size, within))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise LabelDecodeError(f"image too large (over {MAX_IMAGE_PIXELS} pixels): {exc}") from exc
    except OSError as exc:
        what = "truncated" if "truncated" in str(exc) else "unreadable"
        raise LabelDecodeError(f"{what} image: {exc}") from exc
    except (ValueError, SyntaxError) as exc:
        raise LabelDecodeError(f"not a valid image: {exc}") from exc
    return image


def _fitted_size(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` scaled to ``side`` px on its longer side (itself if it already fits)."""
    width, height = size
    scale = side / max(width, height)
    if scale >= 1:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def fit_within(image: Image.Image, side: int, resample: Image.Resampling) -> Image.Image:
    """``image`` at most ``side`` px on its longer side, in its proportions (itself if it
    fits). Resample labels with ``NEAREST``: it keeps every pixel an id the label had."""
    size = _fitted_size(image.size, side)
    return image if size == image.size else image.resize(size, resample)


def _header_size(head: bytes) -> tuple[int, int] | None:
    """Width and height read straight from a PNG or JPEG header; None for anything else."""
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if head[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 9 < len(head):
        if head[i] != 0xFF:
            return None
        marker = head[i + 1]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            return int.from_bytes(head[i + 7 : i + 9], "big"), int.from_bytes(
                head[i + 5 : i + 7], "big"
            )
        i += 2 + int.from_bytes(head[i + 2 : i + 4], "big")
    return None


def image_size(source: str | Path) -> tuple[int, int]:
    """Width and height from the header only (PNG/JPEG parsed directly: Pillow costs 10x)."""
    try:
        # A bare descriptor, not a buffered file object: this runs once per frame.
        fd = os.open(source, os.O_RDONLY)
        try:
            # A PNG says its size in the first 24 bytes, most JPEGs within a few KB; only
            # a JPEG with a large EXIF or ICC block needs more of its (megabytes of) file.
            head = os.read(fd, 4096)
            size = _header_size(head)
            if size is None and len(head) == 4096:
                head += os.read(fd, HEADER_BYTES - 4096)
                size = _header_size(head)
        finally:
            os.close(fd)
    except OSError as exc:
        raise LabelDecodeError(f"unreadable image: {exc}") from exc
    if size is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(head) if len(head) < HEADER_BYTES else source) as image:
                    size = image.size
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise LabelDecodeError(f"image too large (over {MAX_IMAGE_PIXELS} pixels)") from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise LabelDecodeError(f"unreadable image: {exc}") from exc
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and size[0] * size[1] > limit:
        raise LabelDecodeError(f"image too large ({size[0]}x{size[1]}, over {limit} pixels)")
    if size[0] <= 0 or size[1] <= 0:
        raise LabelDecodeError(f"unreadable image: header says {size[0]}x{size[1]}")
    return size


def decode_label(
    image: Image.Image, encoding: LabelEncoding, colors: Mapping[int, int] | None = None
) -> np.ndarray:
    """A loaded label image → 2-D int array of class ids (``UNKNOWN_COLOR`` for stray colours).

    ``colors`` is :func:`color_table` output, needed only for ``color``.
    """
    if encoding == "palette":
        if image.mode != "P":
            raise LabelDecodeError(f"expected a palette (P-mode) PNG, got mode {image.mode}")
        return _pixel_array(image)
    if encoding == "id":
        if image.mode in ("L", "P", "I;16", "I;16B", "I"):
            return _pixel_array(image)
        raise LabelDecodeError(f"expected a grey id PNG (mode L or I;16), got mode {image.mode}")
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint32)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    values, inverse = np.unique(packed, return_inverse=True)
    table = colors or {}
    ids = np.array([table.get(int(v), UNKNOWN_COLOR) for v in values], dtype=np.int32)
    return ids[inverse.reshape(packed.shape)]


def _pixel_array(image: Image.Image) -> np.ndarray:
    """The image's pixels as a 2-D array; 8-bit ones copied straight from Pillow's memory
    (``np.asarray`` goes through ``tobytes()``, several times slower)."""
    with byte_view(image) as pixels:
        if pixels is not None:
            return pixels.reshape(image.height, image.width).copy()
    return np.asarray(image)


def histogram(ids: np.ndarray) -> dict[int, int]:
    """Pixel count per id present in ``ids``."""
    flat = ids.ravel()
    if flat.size == 0:
        return {}
    if flat.dtype == np.uint8 or flat.dtype == np.uint16:
        counts = np.bincount(flat)
        present = np.flatnonzero(counts)
        return dict(zip(present.tolist(), counts[present].tolist(), strict=True))
    values, counts = np.unique(flat, return_counts=True)
    return dict(zip(values.tolist(), counts.tolist(), strict=True))


def label_histogram(
    image: Image.Image, encoding: LabelEncoding, colors: Mapping[int, int] | None = None
) -> dict[int, int]:
    """Pixel count per class id; 8-bit labels counted in place (:mod:`.label_pixels`, no id
    array), Pillow's ``histogram()`` where they cannot be.

    Same validation as :func:`decode_label`; ``UNKNOWN_COLOR`` counts stray colours.
    """
    if encoding == "palette" and image.mode != "P":
        raise LabelDecodeError(f"expected a palette (P-mode) PNG, got mode {image.mode}")
    if image.mode in ("L", "P") and encoding in ("id", "palette"):
        with byte_view(image) as pixels:
            bins = image.histogram() if pixels is None else byte_counts(pixels).tolist()
        # The non-zero bins, picked in C (half the time of a comprehension over 256 bins).
        return dict(zip(compress(range(len(bins)), bins), filter(None, bins), strict=True))
    if encoding == "color":
        rgb = image.convert("RGB")
        found = rgb.getcolors(maxcolors=rgb.width * rgb.height) or []
        table = colors or {}
        counts: dict[int, int] = {}
        for count, (r, g, b) in found:  # type: ignore[misc]
            cid = table.get((r << 16) | (g << 8) | b, UNKNOWN_COLOR)
            counts[cid] = counts.get(cid, 0) + count
        return counts
    return histogram(decode_label(image, encoding, colors))


def colorize(ids: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Id array → RGB array through ``lut`` (ids beyond the table wrap into it)."""
    if ids.dtype.kind == "u" and ids.dtype.itemsize <= 2 and np.iinfo(ids.dtype).max < len(lut):
        return lut[ids]  # every id has its row: no 64-bit index array (8 bytes a pixel)
    index = np.asarray(ids, dtype=np.int64) % lut.shape[0]
    return lut[index]
