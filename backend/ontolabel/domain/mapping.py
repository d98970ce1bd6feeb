"""Ontology mappings ``e→s``: for each source class, the extra labels it may appear under.

Pure Python. Names in a mapping are compared after stripping surrounding whitespace
(the reference files pad names with stray spaces on both sides); anything else that
differs is a lint finding, never silently matched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ontolabel.domain.taxonomy import VOID_ID


@dataclass(frozen=True)
class MappingRow:
    """One source class and the extra labels (by name) it may appear under."""

    source_id: int
    source_name: str
    extra_labels: tuple[str, ...] = ()

    @property
    def is_void(self) -> bool:
        return self.source_id == VOID_ID


@dataclass(frozen=True)
class Mapping:
    """A mapping from an extra taxonomy onto a source taxonomy.

    ``rows`` lists the source classes in order, the ``void`` row (``source_id`` 255)
    included when present. Read per pixel: ``allowed(e) = {s : e ∈ row(s)}``.
    """

    extra_taxonomy: str
    source_taxonomy: str
    rows: tuple[MappingRow, ...]
    _allowed: dict[str, frozenset[int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        allowed: dict[str, set[int]] = {}
        for row in self.rows:
            for label in row.extra_labels:
                allowed.setdefault(label.strip(), set()).add(row.source_id)
        object.__setattr__(self, "_allowed", {k: frozenset(v) for k, v in allowed.items()})

    def allowed(self, extra_label: str) -> frozenset[int]:
        """Source class ids (``VOID_ID`` for void) an extra label may stand for."""
        return self._allowed.get(extra_label.strip(), frozenset())

    @property
    def source_rows(self) -> tuple[MappingRow, ...]:
        """The rows of real source classes (void excluded), in order."""
        return tuple(r for r in self.rows if not r.is_void)

    @property
    def void_row(self) -> MappingRow | None:
        return next((r for r in self.rows if r.is_void), None)

    def row(self, source_id: int) -> MappingRow | None:
        return next((r for r in self.rows if r.source_id == source_id), None)


# --- algebra ------------------------------------------------------------------------


@dataclass(frozen=True)
class RowChange:
    """How one source class's row differs between two mappings (labels compared stripped)."""

    source_id: int
    source_name: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    renamed_from: str | None = None


@dataclass(frozen=True)
class MappingDiff:
    """What changed from mapping ``a`` to mapping ``b``, per source row (by id)."""

    rows_added: tuple[MappingRow, ...] = ()
    rows_removed: tuple[MappingRow, ...] = ()
    changed: tuple[RowChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.rows_added or self.rows_removed or self.changed)


def _labels(row: MappingRow) -> list[str]:
    return list(dict.fromkeys(label.strip() for label in row.extra_labels))


def diff(a: Mapping, b: Mapping) -> MappingDiff:
    """Rows added/removed and, per shared row, the extra labels added/removed."""
    old = {r.source_id: r for r in a.rows}
    new = {r.source_id: r for r in b.rows}
    changed: list[RowChange] = []
    for row in b.rows:
        before = old.get(row.source_id)
        if before is None:
            continue
        was, now = _labels(before), _labels(row)
        added = tuple(x for x in now if x not in was)
        removed = tuple(x for x in was if x not in now)
        renamed = before.source_name.strip() != row.source_name.strip()
        if added or removed or renamed:
            changed.append(
                RowChange(
                    source_id=row.source_id,
                    source_name=row.source_name.strip(),
                    added=added,
                    removed=removed,
                    renamed_from=before.source_name.strip() if renamed else None,
                )
            )
    return MappingDiff(
        rows_added=tuple(r for r in b.rows if r.source_id not in old),
        rows_removed=tuple(r for r in a.rows if r.source_id not in new),
        changed=tuple(changed),
    )


def compose(first: Mapping, second: Mapping) -> Mapping:
    """Chain ``e→s`` and ``s→t`` into ``e→t``.

    ``t ∈ allowed(e)`` iff some ``s ∈ allowed_first(e)`` is named in row ``t`` of
    ``second``. Void carries through: ``void ∈ allowed_first(e)`` gives ``void`` in
    ``t``, and so does an ``s`` that ``second`` puts in its void row. ``second``'s cells
    name ``s`` classes as ``first``'s rows do (compared stripped).
    """
    if first.source_taxonomy != second.extra_taxonomy:
        raise ValueError(
            f"cannot compose: {first.source_taxonomy!r} (target of the first mapping) is not "
            f"{second.extra_taxonomy!r} (the extra taxonomy of the second)"
        )
    labels_of: dict[str, list[str]] = {}
    for row in first.source_rows:
        labels_of.setdefault(row.source_name.strip(), []).extend(_labels(row))
    void_labels = _labels(first.void_row) if first.void_row else []
    rows: list[MappingRow] = []
    for row in second.rows:
        labels = [e for s in _labels(row) for e in labels_of.get(s, [])]
        if row.is_void:
            labels = void_labels + labels
        rows.append(MappingRow(row.source_id, row.source_name, tuple(dict.fromkeys(labels))))
    if second.void_row is None and void_labels:
        rows.append(MappingRow(VOID_ID, "void", tuple(void_labels)))
    return Mapping(
        extra_taxonomy=first.extra_taxonomy,
        source_taxonomy=second.source_taxonomy,
        rows=tuple(rows),
    )


@dataclass(frozen=True)
class LabelView:
    """One extra label read the other way: the source classes it may become."""

    label: str
    source_ids: tuple[int, ...]
    source_names: tuple[str, ...]
    void: bool

    @property
    def unmapped(self) -> bool:
        return not self.source_ids and not self.void


def inverse_view(mapping: Mapping, extra_names: Sequence[str] = ()) -> tuple[LabelView, ...]:
    """Per extra label ``allowed(e)``: source classes in row order, and whether void.

    Labels come in order of first appearance; ``extra_names`` (e.g. the extra
    taxonomy's names) puts every label first in its order, unmapped ones included.
    """
    order = list(dict.fromkeys([n.strip() for n in extra_names]))
    for row in mapping.rows:
        for label in _labels(row):
            if label not in order:
                order.append(label)
    views: list[LabelView] = []
    for label in order:
        rows = [r for r in mapping.source_rows if label in _labels(r)]
        views.append(
            LabelView(
                label=label,
                source_ids=tuple(r.source_id for r in rows),
                source_names=tuple(r.source_name.strip() for r in rows),
                void=VOID_ID in mapping.allowed(label),
            )
        )
    return tuple(views)
