"""Uploaded files: size limit and format choice, shared by taxonomy and mapping imports.

Decoding is ``ontolabel.domain.formats.decode_text`` (names the line of a bad byte).
"""

from __future__ import annotations

from pathlib import PurePath
from typing import BinaryIO, Literal

from ontolabel.errors import InvalidInput, PayloadTooLarge

FileFormat = Literal["csv", "yaml", "tsv", "py"]
"""Reference CSV, native YAML, MSeg TSV (master or pairwise), Cityscapes-style labels.py."""


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


_BY_NAME: dict[str, FileFormat] = {
    "csv": "csv",
    "yaml": "yaml",
    "yml": "yaml",
    "tsv": "tsv",
    "py": "py",
}


def detect_format(filename: str, requested: str | None) -> FileFormat:
    """The format, from the explicit choice or else the file's extension."""
    choice = (requested or PurePath(filename).suffix.lstrip(".")).lower()
    if choice in _BY_NAME:
        return _BY_NAME[choice]
    raise InvalidInput(
        f"cannot tell the format of {filename!r}: name it *.csv, *.yaml, *.tsv or *.py, "
        "or pass format",
        file=filename,
        field="format",
    )
