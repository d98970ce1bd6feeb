"""Which extra labels a mapping edit changes, so a rerun relabels only the frames holding them.

A pseudo-label pixel reads one row of the allowed table: the row of its own extra id
(DESIGN.md "Constraint semantics": the constraint is a lookup indexed by the label image).
So two mappings give a frame the same outputs when every extra id the frame holds has the
same allowed set (source classes, and void) under both, the teacher's columns are the same
source classes in the same order, and colour labels decode to the same ids.
``ConstraintRows`` is that per-id view of a mapping; ``changed_labels`` compares two.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingOf
from dataclasses import dataclass
from typing import Any

import numpy as np

from ontolabel.domain.constraint import allowed_table
from ontolabel.domain.labels import color_table
from ontolabel.domain.mapping import Mapping
from ontolabel.domain.taxonomy import VOID_ID, Taxonomy


@dataclass(frozen=True)
class ConstraintRows:
    """What the constraint reads of a mapping, per extra id.

    ``columns``: the source class id of each teacher channel, in order. ``rows``: extra id
    → the source ids it may become, ascending, ``VOID_ID`` last when its void row names it;
    ids allowing nothing are left out (they become 255 under any mapping). ``colors``:
    packed colour → extra id, how colour label PNGs decode.
    """

    columns: tuple[int, ...]
    rows: MappingOf[int, tuple[int, ...]]
    colors: MappingOf[int, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "rows": {str(e): list(s) for e, s in sorted(self.rows.items())},
            "colors": {str(c): i for c, i in sorted(self.colors.items())},
        }

    @classmethod
    def from_json(cls, data: MappingOf[str, Any]) -> ConstraintRows:
        """Parse ``to_json``'s output; ValueError (or KeyError/TypeError) if malformed."""
        return cls(
            columns=tuple(int(c) for c in data["columns"]),
            rows={int(e): tuple(int(s) for s in ids) for e, ids in data["rows"].items()},
            colors={int(c): int(i) for c, i in data["colors"].items()},
        )


def constraint_rows(
    mapping: Mapping, extra: Taxonomy, source: Taxonomy, *, priors: bool = True
) -> ConstraintRows:
    """The mapping's rows as the constraint reads them (``allowed_table``'s name
    resolution). Without priors the mapping is not applied, so no row matters."""
    table = allowed_table(mapping, extra, source)
    columns = tuple(int(i) for i in table.source_ids)
    rows: dict[int, tuple[int, ...]] = {}
    if priors:
        for extra_id in range(table.table.shape[0]):
            allowed = [columns[c] for c in np.flatnonzero(table.table[extra_id])]
            if table.void[extra_id]:
                allowed.append(VOID_ID)
            if allowed:
                rows[extra_id] = tuple(allowed)
    colors = color_table({c.id: c.color for c in extra.classes})
    return ConstraintRows(columns=columns, rows=rows, colors=colors)


def changed_labels(old: ConstraintRows, new: ConstraintRows) -> frozenset[int] | None:
    """Extra ids whose allowed set differs between ``old`` and ``new``; None when every
    frame's outputs may differ (other teacher columns, or other label colours)."""
    if old.columns != new.columns or dict(old.colors) != dict(new.colors):
        return None
    ids = set(old.rows) | set(new.rows)
    return frozenset(e for e in ids if old.rows.get(e, ()) != new.rows.get(e, ()))
