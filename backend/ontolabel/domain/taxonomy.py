"""Taxonomies: ordered label spaces (pure Python)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

VOID_ID = 255
"""Label value meaning "ignore" in source-taxonomy PNGs and pseudo-labels."""

CLASS_ID_MIN = -(2**31) + 1
CLASS_ID_MAX = 2**31 - 1
"""Ids (and train ids) are 32-bit, as the database stores them; the lowest 32-bit value is
``labels.UNKNOWN_COLOR``, the id of a colour no class has. Cityscapes' ``license plate`` is -1."""

PNG8_ID_MAX = 255
"""The largest id an 8-bit grey or a palette label PNG holds."""
PNG_ID_MAX = 65535
"""The largest id a 16-bit grey label PNG holds. No PNG holds a negative id: a class outside
what its dataset's PNGs hold never matches a pixel of an id or palette label."""


@dataclass(frozen=True)
class TaxonomyClass:
    """One class: ``id`` is the value written in label PNGs."""

    id: int
    name: str
    train_id: int | None = None
    color: str | None = None  # "#rrggbb"
    category: str | None = None
    ignore: bool = False
    file_cells: tuple[tuple[str, str], ...] = ()
    """``(column, text)`` in file order, for each cell of the file it came from that the
    fields above would not write the same: columns without a field (``categoryId``, the row
    index) and fields the file spells otherwise (a padded name, ``False``). Kept so an export
    reproduces the file; a spelling applies only while it still reads as its field's value."""


@dataclass(frozen=True)
class Taxonomy:
    """An ordered label space. Source taxonomies also reserve ``VOID_ID`` for ignore."""

    name: str
    classes: tuple[TaxonomyClass, ...]
    description: str = ""
    file_columns: tuple[str, ...] = ()
    """The header of the ``labels.csv`` it was read from, in order; empty if not read from one."""
    _by_id: dict[int, TaxonomyClass] = field(init=False, repr=False, compare=False)
    _by_name: dict[str, TaxonomyClass] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {c.id: c for c in self.classes})
        object.__setattr__(self, "_by_name", {c.name: c for c in self.classes})

    def __iter__(self) -> Iterator[TaxonomyClass]:
        return iter(self.classes)

    def __len__(self) -> int:
        return len(self.classes)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.classes]

    @property
    def ids(self) -> list[int]:
        return [c.id for c in self.classes]

    def by_id(self, class_id: int) -> TaxonomyClass | None:
        return self._by_id.get(class_id)

    def by_name(self, name: str) -> TaxonomyClass | None:
        return self._by_name.get(name)


def first_repeat(ids: Iterable[int]) -> tuple[int, int] | None:
    """Positions ``(first, again)`` of the first id given twice, or None.

    Every reader and service refuses a repeated class id (or two mapping rows for one
    class): a label value must mean one class.
    """
    first: dict[int, int] = {}
    for position, class_id in enumerate(ids):
        if class_id in first:
            return first[class_id], position
        first[class_id] = position
    return None


def class_differences(stored: Sequence[TaxonomyClass], given: Sequence[TaxonomyClass]) -> list[str]:
    """Ids whose name or colour differ between two class lists, as short phrases."""
    old = {c.id: c for c in stored}
    new = {c.id: c for c in given}
    found = []
    for class_id in sorted(old.keys() | new.keys()):
        a, b = old.get(class_id), new.get(class_id)
        if a is None or b is None:
            found.append(f"id {class_id} only in the {'file' if a is None else 'database'}")
        elif (a.name, a.color) != (b.name, b.color):
            found.append(f"id {class_id}: stored {a.name!r} {a.color}, file {b.name!r} {b.color}")
    return found
