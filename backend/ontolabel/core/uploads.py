"""Uploaded files: size limit and format choice, shared by taxonomy and mapping imports.

Decoding is ``ontolabel.domain.formats.decode_text`` (names the line of a bad byte).
"""

from __future__ import annotations

from pathlib import PurePath
from typing import BinaryIO, Literal

from ontolabel.errors import InvalidInput, PayloadTooLarge

FileFormat = Literal["csv", "yaml"]


def read_limited(stream: BinaryIO, filename: str, max_bytes: int) -> bytes:
    """The upload's bytes, refused with 413 once it passes ``max_bytes``."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"{filename} is larger than the {max_bytes}-byte upload limit; "
            "split it or raise ONTOLABEL_MAX_UPLOAD_BYTES",
            file=filename,
            limit=max_bytes,
        )
    return data


def detect_format(filename: str, requested: str | None) -> FileFormat:
    """``csv`` or ``yaml``, from the explicit choice or else the file's extension."""
    choice = (requested or PurePath(filename).suffix.lstrip(".")).lower()
    if choice == "csv":
        return "csv"
    if choice in ("yaml", "yml"):
        return "yaml"
    raise InvalidInput(
        f"cannot tell the format of {filename!r}: name it *.csv or *.yaml, or pass format",
        file=filename,
        field="format",
    )
