"""Per-pixel ids of a preview, small enough to ship with every edit: the browser decodes
them to say, under the pointer, which extra label is there, what the draft allows it to
become and what the pseudo-label chose.

Each map is downsampled (nearest) to at most ``MAX_SIDE`` px on its long side, so one
response holds at most 256 x 256 px x (1 + 2) bytes = 192 KiB before base64 (256 KiB
after), whatever the cached resolution.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from ontolabel.domain.constraint import AllowedTable
from ontolabel.domain.taxonomy import Taxonomy

MAX_SIDE = 256
_UINT16_MAX = 65535

IdDtype = Literal["uint8", "uint16"]


@dataclass(frozen=True)
class EncodedIds:
    width: int
    height: int
    dtype: IdDtype
    data: str
    """Base64 of the ids row-major, little-endian."""


@dataclass(frozen=True)
class LabelRule:
    """What the mapping lets one extra label present in the frame become."""

    extra_id: int
    names: tuple[str, ...]
    allowed_source_ids: tuple[int, ...]
    void: bool


def nearest(ids: npt.NDArray[np.integer], max_side: int = MAX_SIDE) -> npt.NDArray[np.integer]:
    """``ids`` shrunk (nearest, no new values) so its long side is at most ``max_side``."""
    h, w = ids.shape
    factor = min(1.0, max_side / max(h, w))
    out_h, out_w = max(1, round(h * factor)), max(1, round(w * factor))
    rows = (np.arange(out_h) * h) // out_h
    cols = (np.arange(out_w) * w) // out_w
    return ids[rows[:, None], cols[None, :]]


def encode(ids: npt.NDArray[np.integer], dtype: IdDtype) -> EncodedIds:
    """Ids as compact base64; values outside the dtype are clipped into it."""
    top = 255 if dtype == "uint8" else _UINT16_MAX
    raw = np.clip(ids, 0, top).astype(np.dtype(dtype).newbyteorder("<"))
    h, w = raw.shape
    return EncodedIds(w, h, dtype, base64.b64encode(raw.tobytes()).decode())


def label_rules(
    label: npt.NDArray[np.integer], table: AllowedTable, extra: Taxonomy
) -> list[LabelRule]:
    """The allowed source classes of every extra label id in ``label`` (ids ascending)."""
    names: dict[int, list[str]] = {}
    for c in extra.classes:
        names.setdefault(c.id, []).append(c.name)
    rules = []
    for extra_id in (int(i) for i in np.unique(label)):
        known = 0 <= extra_id < table.table.shape[0]
        allowed = table.source_ids[table.table[extra_id]] if known else np.empty(0, np.int64)
        rules.append(
            LabelRule(
                extra_id=extra_id,
                names=tuple(names.get(extra_id, ())),
                allowed_source_ids=tuple(int(s) for s in allowed),
                void=bool(table.void[extra_id]) if known else False,
            )
        )
    return rules
