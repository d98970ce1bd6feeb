"""Rename, merge and split the classes of a taxonomy, and what that does to its mappings.

Pure Python. :func:`plan_change` turns an edit into the new class list plus one
:class:`Move` per class it touches (the classes that class becomes). A mapping whose
*extra* taxonomy changed names classes in its cells: :func:`apply_to_cells`. A mapping
whose *source* taxonomy changed has a row per class: :func:`apply_to_rows`.

Merging depends on what the ids mean. An extra taxonomy's ids are the values in the
dataset's label PNGs, which a merge cannot rewrite: every merged class keeps its id and
takes the merged name, so its pixels keep matching (``keep_ids``). A source taxonomy's
ids are what pseudo-labels and models write: a merge keeps one class (the one named
``into``, else the first listed) and removes the others, whose rows join the kept row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from ontolabel.domain.mapping import Mapping, MappingRow
from ontolabel.domain.taxonomy import CLASS_ID_MAX, VOID_ID, Taxonomy, TaxonomyClass
from ontolabel.errors import InvalidInput

CellsPolicy = Literal["copy", "first"]
"""What a split does with the split class's cells: every part gets them (``copy``), or
only the first part does and the others start empty (``first``)."""


@dataclass(frozen=True)
class Rename:
    class_name: str
    new_name: str


@dataclass(frozen=True)
class Merge:
    classes: tuple[str, ...]
    into: str


@dataclass(frozen=True)
class SplitPart:
    """One class a split makes; ``id`` defaults to the split class's (first part) or the
    next free id."""

    name: str
    id: int | None = None
    train_id: int | None = None
    color: str | None = None


@dataclass(frozen=True)
class Split:
    class_name: str
    into: tuple[SplitPart, ...]
    cells: CellsPolicy = "copy"


TaxonomyEdit = Rename | Merge | Split


@dataclass(frozen=True)
class Move:
    """One class before the change and the classes it becomes (in order)."""

    old_id: int
    old_name: str
    new_ids: tuple[int, ...]
    new_names: tuple[str, ...]
    copy_cells: bool = True
    """False: only the first new class takes the old class's cells and row labels."""

    def targets(self) -> list[tuple[int, str]]:
        pairs = list(zip(self.new_ids, self.new_names, strict=True))
        return pairs if self.copy_cells else pairs[:1]


@dataclass(frozen=True)
class PlannedChange:
    """A taxonomy before and after an edit, and what moved."""

    before: Taxonomy
    after: Taxonomy
    moves: tuple[Move, ...]
    renames_only: bool
    """Every move is a pure rename: cells mean what they meant, so decisions carry over."""

    @property
    def touched_ids(self) -> tuple[int, ...]:
        """The ids (before the change) of the classes it touches."""
        return tuple(m.old_id for m in self.moves)

    @property
    def created_ids(self) -> tuple[int, ...]:
        """Ids a split adds."""
        old = set(self.before.ids)
        return tuple(i for m in self.moves for i in m.new_ids if i not in old)


def _classes_named(taxonomy: Taxonomy, name: str, *, field: str) -> list[TaxonomyClass]:
    found = [c for c in taxonomy.classes if c.name.strip() == name.strip()]
    if not found:
        raise InvalidInput(
            f"taxonomy {taxonomy.name!r} has no class named {name.strip()!r}", field=field
        )
    return found


def _refuse_taken(taxonomy: Taxonomy, name: str, mine: Iterable[int], *, field: str) -> None:
    """A new name another class already has would silently merge them: refuse it."""
    ids = set(mine)
    other = next((c for c in taxonomy.classes if c.name.strip() == name and c.id not in ids), None)
    if other is not None:
        raise InvalidInput(
            f"class {other.id} of {taxonomy.name!r} is already named {name!r}; merge with it "
            "instead, or pick another name",
            field=field,
        )


def _plan_rename(taxonomy: Taxonomy, edit: Rename) -> PlannedChange:
    new_name = edit.new_name.strip()
    found = _classes_named(taxonomy, edit.class_name, field="class")
    _refuse_taken(taxonomy, new_name, (c.id for c in found), field="new_name")
    if new_name == edit.class_name.strip():
        raise InvalidInput(f"class {new_name!r} already has that name", field="new_name")
    ids = {c.id for c in found}
    classes = tuple(
        dataclasses.replace(c, name=new_name) if c.id in ids else c for c in taxonomy.classes
    )
    moves = tuple(Move(c.id, c.name.strip(), (c.id,), (new_name,)) for c in found)
    return PlannedChange(taxonomy, dataclasses.replace(taxonomy, classes=classes), moves, True)


def _plan_merge(taxonomy: Taxonomy, edit: Merge, *, keep_ids: bool) -> PlannedChange:
    into = edit.into.strip()
    merged: list[TaxonomyClass] = []
    for i, name in enumerate(dict.fromkeys(n.strip() for n in edit.classes)):
        merged.extend(_classes_named(taxonomy, name, field=f"classes[{i}]"))
    if len(merged) < 2:
        raise InvalidInput("a merge needs at least two classes", field="classes")
    _refuse_taken(taxonomy, into, (c.id for c in merged), field="into")
    kept = next((c for c in merged if c.name.strip() == into), merged[0])
    ids = {c.id for c in merged}
    classes: list[TaxonomyClass] = []
    for c in taxonomy.classes:
        if c.id not in ids:
            classes.append(c)
        elif keep_ids or c.id == kept.id:
            classes.append(dataclasses.replace(c, name=into))
    moves = tuple(
        Move(c.id, c.name.strip(), (c.id if keep_ids else kept.id,), (into,)) for c in merged
    )
    after = dataclasses.replace(taxonomy, classes=tuple(classes))
    return PlannedChange(taxonomy, after, moves, False)


def _free_ids(taxonomy: Taxonomy, taken: set[int]) -> Iterable[int]:
    """Ids after the largest one in use (255, the void value, skipped)."""
    candidate = max([*taken, -1]) + 1
    while candidate <= CLASS_ID_MAX:
        if candidate not in taken and candidate != VOID_ID:
            yield candidate
        candidate += 1


def _plan_split(taxonomy: Taxonomy, edit: Split) -> PlannedChange:
    found = _classes_named(taxonomy, edit.class_name, field="class")
    if len(found) > 1:
        raise InvalidInput(
            f"{len(found)} classes of {taxonomy.name!r} are named {edit.class_name.strip()!r} "
            f"(ids {', '.join(str(c.id) for c in found)}); rename one first",
            field="class",
        )
    old = found[0]
    if len(edit.into) < 2:
        raise InvalidInput("a split needs at least two parts", field="into")
    names = [p.name.strip() for p in edit.into]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise InvalidInput(f"two parts are named {name!r}", field=f"into[{i}].name")
        _refuse_taken(taxonomy, name, [old.id], field=f"into[{i}].name")
    taken = {c.id for c in taxonomy.classes if c.id != old.id}
    given = [p.id for p in edit.into if p.id is not None]
    for i, part in enumerate(edit.into):
        if part.id is not None and (part.id in taken or given.count(part.id) > 1):
            raise InvalidInput(f"id {part.id} is taken", field=f"into[{i}].id")
    free = iter(_free_ids(taxonomy, taken | {old.id} | set(given)))
    first = edit.into[0].id
    if first is None:
        first = old.id if old.id not in given else next(free)
    ids = [first, *(p.id if p.id is not None else next(free) for p in edit.into[1:])]
    parts = []
    for i, (part, class_id) in enumerate(zip(edit.into, ids, strict=True)):
        base = (
            old if i == 0 else TaxonomyClass(class_id, "", category=old.category, ignore=old.ignore)
        )
        parts.append(
            dataclasses.replace(
                base,
                id=class_id,
                name=part.name.strip(),
                train_id=part.train_id if part.train_id is not None else base.train_id,
                color=part.color if part.color is not None else base.color,
            )
        )
    classes: list[TaxonomyClass] = []
    for c in taxonomy.classes:
        classes.extend(parts if c.id == old.id else [c])
    move = Move(
        old.id,
        old.name.strip(),
        tuple(p.id for p in parts),
        tuple(p.name for p in parts),
        copy_cells=edit.cells == "copy",
    )
    after = dataclasses.replace(taxonomy, classes=tuple(classes))
    return PlannedChange(taxonomy, after, (move,), False)


def plan_change(taxonomy: Taxonomy, edit: TaxonomyEdit, *, keep_ids: bool) -> PlannedChange:
    """The taxonomy after ``edit`` and the moves; 422 naming the field if it cannot apply.

    ``keep_ids``: merged classes keep their ids (an extra taxonomy, whose ids are in label
    PNGs) instead of folding into one class (a source taxonomy).
    """
    if isinstance(edit, Rename):
        planned = _plan_rename(taxonomy, edit)
    elif isinstance(edit, Merge):
        planned = _plan_merge(taxonomy, edit, keep_ids=keep_ids)
    else:
        planned = _plan_split(taxonomy, edit)
    if planned.after.classes == taxonomy.classes:
        raise InvalidInput("the change leaves every class as it is", field="op")
    return planned


# --- mappings -------------------------------------------------------------------------


def _add_new(out: list[str], seen: set[str], labels: Iterable[str]) -> None:
    for label in labels:
        if label.strip() not in seen:
            seen.add(label.strip())
            out.append(label)


def apply_to_cells(mapping: Mapping, change: PlannedChange) -> Mapping:
    """``mapping`` (whose extra taxonomy changed) with each cell naming a moved class
    replaced by that class's new names. Other cells are kept verbatim; a new name the row
    already holds is not added twice."""
    moves = {m.old_name: m for m in change.moves}
    rows = []
    for row in mapping.rows:
        kept = [label for label in row.extra_labels if label.strip() not in moves]
        seen = {label.strip() for label in kept}
        out: list[str] = []
        for label in row.extra_labels:
            move = moves.get(label.strip())
            if move is None:
                out.append(label)
            else:
                _add_new(out, seen, [name for _, name in move.targets()])
        rows.append(dataclasses.replace(row, extra_labels=tuple(out)))
    return dataclasses.replace(mapping, rows=tuple(rows))


def apply_to_rows(mapping: Mapping, change: PlannedChange) -> Mapping:
    """``mapping`` (whose source taxonomy changed) with each moved class's row given to the
    classes it became: renamed, joined into the kept row (merge), or copied to each part
    (split; with ``first``, the other parts get empty rows)."""
    moves = {m.old_id: m for m in change.moves}
    order: list[int] = []
    names: dict[int, str] = {}
    labels: dict[int, list[str]] = {}
    seen: dict[int, set[str]] = {}
    for row in mapping.rows:
        move = None if row.is_void else moves.get(row.source_id)
        if move is None:
            order.append(row.source_id)
            names[row.source_id] = row.source_name
            labels[row.source_id] = list(row.extra_labels)
            continue
        targets = zip(move.new_ids, move.new_names, strict=True)
        for i, (class_id, name) in enumerate(targets):
            if class_id not in labels:
                order.append(class_id)
                names[class_id], labels[class_id], seen[class_id] = name, [], set()
            if move.copy_cells or i == 0:
                _add_new(labels[class_id], seen[class_id], row.extra_labels)
    rows = tuple(MappingRow(i, names[i], tuple(labels[i])) for i in order)
    return dataclasses.replace(mapping, rows=rows)


def cells_touched(
    mapping: Mapping, change: PlannedChange, *, side: Literal["extra", "source"]
) -> int:
    """How many cells of ``mapping`` the change rewrites (or moves to another row)."""
    if side == "extra":
        names = {m.old_name for m in change.moves}
        return sum(label.strip() in names for r in mapping.rows for label in r.extra_labels)
    ids = set(change.touched_ids)
    return sum(len(r.extra_labels) for r in mapping.rows if not r.is_void and r.source_id in ids)


def renamed_label(change: PlannedChange, label: str) -> str:
    """A cell's label after a rename (unchanged when the change does not move it)."""
    move = next((m for m in change.moves if m.old_name == label.strip()), None)
    return label if move is None else move.new_names[0]


def rows_changed(before: Mapping, after: Mapping) -> Sequence[int]:
    """Source ids whose row differs (or exists on one side only) between two mappings."""
    old = {r.source_id: r for r in before.rows}
    new = {r.source_id: r for r in after.rows}
    return sorted(i for i in old.keys() | new.keys() if old.get(i) != new.get(i))


__all__ = [
    "CellsPolicy",
    "Merge",
    "Move",
    "PlannedChange",
    "Rename",
    "Split",
    "SplitPart",
    "TaxonomyEdit",
    "apply_to_cells",
    "apply_to_rows",
    "cells_touched",
    "plan_change",
    "renamed_label",
    "rows_changed",
]
