"""Taxonomies: ordered label spaces (pure Python)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

VOID_ID = 255
"""Label value meaning "ignore" in source-taxonomy PNGs and pseudo-labels."""


@dataclass(frozen=True)
class TaxonomyClass:
    """One class: ``id`` is the value written in label PNGs."""

    id: int
    name: str
    train_id: int | None = None
    color: str | None = None  # "#rrggbb"
    category: str | None = None
    ignore: bool = False


@dataclass(frozen=True)
class Taxonomy:
    """An ordered label space. Source taxonomies also reserve ``VOID_ID`` for ignore."""

    name: str
    classes: tuple[TaxonomyClass, ...]
    description: str = ""
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
