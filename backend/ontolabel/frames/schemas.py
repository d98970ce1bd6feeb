"""Response shapes of the frames API."""

from __future__ import annotations

from pydantic import ConfigDict

from ontolabel.datasets.schemas import FRAME_EXAMPLE, FrameRead


class FrameDetailRead(FrameRead):
    """A frame with its class histogram (pixels per label id)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**FRAME_EXAMPLE, "histogram": {"1": 10555, "3": 8020, "5": 4913}}]
        }
    )

    histogram: dict[int, int]
