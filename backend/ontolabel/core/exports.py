"""Files offered for download: their text, a header-safe name and a media type."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Exported:
    """A file to download: its text, a safe file name and its media type."""

    text: str
    filename: str
    media_type: str


def safe_filename(name: str) -> str:
    """``name`` reduced to characters that are safe in a Content-Disposition header."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "export"
