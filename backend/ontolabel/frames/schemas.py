"""Response shapes of the frames API."""

from __future__ import annotations

from ontolabel.datasets.schemas import FrameRead


class FrameDetailRead(FrameRead):
    """A frame with its class histogram (pixels per label id)."""

    histogram: dict[int, int]
