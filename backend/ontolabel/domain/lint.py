"""Lint for ontology mappings: what a person must fix or verify before pseudo-labelling.

Severities (documented in ``docs/ontologies.md``):

- ``error``: the mapping would produce wrong or silently lost labels — a cell naming no
  extra label, an extra label no row names (its pixels become 255, DESIGN.md rule 3),
  a row for a class the source taxonomy lacks.
- ``warning``: probably a mistake, the result is still well defined — the same label
  twice in a row, a row name that disagrees with the source taxonomy, a label whose
  name is ambiguous in the extra taxonomy, mappings that disagree on one source
  taxonomy.
- ``info``: worth a look — cells padded with spaces (matched after stripping), source
  classes under no extra label (the mapping claims they never appear in the extra data),
  extra labels with ids an 8-bit label PNG cannot hold (negative ones no PNG holds).

Source classes with ids a uint8 pseudo-label cannot hold are errors: pseudo-labelling is refused.

Positions: ``row`` is the 0-based index into ``Mapping.rows``; ``line`` and ``column``
are 1-based positions in the file when the caller passes its ``cells`` (else ``column``
is the CSV column the cell would have, ``line`` is None).

Each rule is one function from a :class:`LintSubject` to its findings, listed in
:data:`RULES`; a new rule is a new function added there.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from ontolabel.domain.formats.reference import CellRef
from ontolabel.domain.mapping import Mapping, MappingRow
from ontolabel.domain.taxonomy import PNG8_ID_MAX, PNG_ID_MAX, VOID_ID, Taxonomy

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}
FIRST_LABEL_COLUMN = 3
"""CSV column (1-based) of a row's first extra-label cell."""


@dataclass(frozen=True)
class Finding:
    """One lint finding; ``suggestion`` is the replacement text when one is likely."""

    severity: Severity
    code: str
    message: str
    row: int | None = None
    column: int | None = None
    line: int | None = None
    suggestion: str | None = None


def suggestion_hint(f: Finding) -> str:
    """The suggestion as a reader sees it: ``" (did you mean 'road'?)"`` or ``""``."""
    if f.suggestion is None:
        return ""
    if f.code == "unmapped-label":
        return f" (closest row: {f.suggestion!r})"
    return f" (did you mean {f.suggestion!r}?)"


SUGGEST_MAX = 200
"""Close-match lookups (difflib) in one lint run. Each compares a text with every name, so
a draft of thousands of unknown cells or unmapped labels would cost thousands of full
scans; past this many, cells get only suggestions that differ in case and spacing."""


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.lower())


class _CloseMatcher:
    """difflib's closest match, rationed to :data:`SUGGEST_MAX` lookups per lint run.

    ``ratio = 2·matches / (len(a) + len(b))``, so a word longer than ``(2 / cutoff - 1)``
    times the longest candidate is within ``cutoff`` of none and is not compared at all:
    lint stays linear in the length of a cell, however long.
    """

    def __init__(self) -> None:
        self.left = SUGGEST_MAX

    def best(self, word: str, candidates: Sequence[str], longest: int, cutoff: float) -> str | None:
        if self.left == 0 or len(word) > (2 / cutoff - 1) * longest:
            return None
        self.left -= 1
        close = difflib.get_close_matches(word, candidates, n=1, cutoff=cutoff)
        return close[0] if close else None


def _norm_offsets(text: str) -> list[int]:
    """``len(_norm(text[:i]))`` for every ``i``, in one pass."""
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + len(_norm(char)))
    return offsets


class _NameIndex:
    """Resolves a cell to the extra taxonomy's names, exactly or by likely intent."""

    def __init__(self, names: Sequence[str], matcher: _CloseMatcher) -> None:
        self.names = list(dict.fromkeys(names))
        self.exact = set(self.names)
        self._matcher = matcher
        self._suggestions: dict[str, str | None] = {}

    @cached_property
    def folded(self) -> dict[str, str]:
        """Built only when a cell is unknown: most mappings never need it."""
        folded: dict[str, str] = {}
        for name in self.names:
            folded.setdefault(_norm(name), name)
        return folded

    @cached_property
    def folded_lengths(self) -> list[int]:
        return sorted({len(key) for key in self.folded if key})

    @cached_property
    def _folded_length_set(self) -> set[int]:
        return set(self.folded_lengths)

    @cached_property
    def lowered(self) -> dict[str, str]:
        return {n.lower(): n for n in self.names}

    @cached_property
    def longest_lowered(self) -> int:
        return max(map(len, self.lowered), default=0)

    def loose(self, text: str) -> str | None:
        """A name that ``text`` matches ignoring case, spaces, ``_`` and ``-``."""
        return self.folded.get(_norm(text)) if text.strip() else None

    def suggest(self, cell: str) -> str | None:
        """The name ``cell`` most likely means, or None; worked out once per distinct text."""
        text = cell.strip()
        if text not in self._suggestions:
            found = self.loose(text)
            if found is None:
                found = self._split(text)
            if found is None:
                close = self._matcher.best(
                    text.lower(), list(self.lowered), self.longest_lowered, cutoff=0.75
                )
                found = None if close is None else self.lowered[close]
            self._suggestions[text] = found
        return self._suggestions[text]

    def _split(self, text: str) -> str | None:
        """Two names run together (a missing comma): ``'car truck'`` → ``'car, truck'``.

        Split in the normalised text only where a name of that length ends, so the cost
        is linear in the cell; among several splits, one at a space wins, else the first.
        """
        joined = _norm(text)
        ends = {
            j
            for j in self.folded_lengths
            if len(joined) - j in self._folded_length_set
            and joined[:j] in self.folded
            and joined[j:] in self.folded
        }
        if not ends:
            return None
        offsets = _norm_offsets(text)
        spaces = [m.start() for m in re.finditer(r"\s+", text)]
        for i in [*spaces, *range(1, len(text))]:
            if offsets[i] in ends:
                j = offsets[i]
                return f"{self.folded[joined[:j]]}, {self.folded[joined[j:]]}"
        return None


def _cell_positions(
    mapping: Mapping, cells: Sequence[CellRef]
) -> dict[tuple[int, int], tuple[int | None, int]]:
    """(row index, n-th label in row) → (line, column)."""
    by_row: dict[int, list[CellRef]] = defaultdict(list)
    for cell in cells:
        by_row[cell.row_index].append(cell)
    positions: dict[tuple[int, int], tuple[int | None, int]] = {}
    for index, row in enumerate(mapping.rows):
        refs = by_row.get(index, [])
        for k in range(len(row.extra_labels)):
            if k < len(refs):
                positions[(index, k)] = (refs[k].line, refs[k].column)
            else:
                positions[(index, k)] = (None, FIRST_LABEL_COLUMN + k)
    return positions


@dataclass(frozen=True)
class LabelCell:
    """One extra-label cell of a row, where a finding about it points."""

    row: int
    """Index into ``Mapping.rows``."""
    raw: str
    line: int | None
    column: int
    where: str
    """The row as a message names it: ``"row 7 (road)"`` or ``"void row"``."""

    @property
    def text(self) -> str:
        return self.raw.strip()

    def finding(
        self, severity: Severity, code: str, message: str, suggestion: str | None = None
    ) -> Finding:
        """A finding at this cell; ``message`` follows the row's name."""
        return Finding(
            severity,
            code,
            f"{self.where}: {message}",
            row=self.row,
            column=self.column,
            line=self.line,
            suggestion=suggestion,
        )


class LintSubject:
    """A mapping under lint, its taxonomies, and the lookups several rules share."""

    def __init__(
        self,
        mapping: Mapping,
        extra: Taxonomy,
        source: Taxonomy | None,
        cells: Sequence[CellRef],
    ) -> None:
        self.mapping = mapping
        self.extra = extra
        self.source = source
        self.matcher = _CloseMatcher()
        self.index = _NameIndex(extra.names, self.matcher)
        self.name_counts = Counter(c.name for c in extra.classes)
        self._refs = cells

    def where(self, r: int) -> str:
        row = self.mapping.rows[r]
        return "void row" if row.is_void else f"row {row.source_id} ({row.source_name.strip()})"

    def class_rows(self) -> Iterator[tuple[int, MappingRow]]:
        """Every row but the void row, with its index into ``Mapping.rows``."""
        return ((r, row) for r, row in enumerate(self.mapping.rows) if not row.is_void)

    def row_finding(
        self,
        r: int,
        severity: Severity,
        code: str,
        message: str,
        *,
        column: int | None = None,
        suggestion: str | None = None,
    ) -> Finding:
        """A finding at row ``r``; ``message`` follows the row's name."""
        return Finding(
            severity,
            code,
            f"{self.where(r)}: {message}",
            row=r,
            column=column,
            line=self.row_lines.get(r),
            suggestion=suggestion,
        )

    @cached_property
    def row_lines(self) -> dict[int, int]:
        return {c.row_index: c.line for c in self._refs}

    @cached_property
    def cells(self) -> list[LabelCell]:
        """Every label cell, row by row, in file order."""
        positions = _cell_positions(self.mapping, self._refs)
        return [
            LabelCell(r, raw, *positions[(r, k)], where=self.where(r))
            for r, row in enumerate(self.mapping.rows)
            for k, raw in enumerate(row.extra_labels)
        ]

    @cached_property
    def ids_by_name(self) -> dict[str, list[int]]:
        """The extra taxonomy's ids under each name, in order."""
        ids: dict[str, list[int]] = defaultdict(list)
        for cls in sorted(self.extra.classes, key=lambda c: c.id):
            ids[cls.name].append(cls.id)
        return ids

    @cached_property
    def row_names(self) -> dict[str, str]:
        """Each row's name by its normalised full name and last ``--`` part (Mapillary style)."""
        rows: dict[str, str] = {}
        for row in self.mapping.source_rows:
            full = row.source_name.strip()
            rows.setdefault(_norm(full), full)
            rows.setdefault(_norm(full.rsplit("--", 1)[-1]), full)
        return rows

    def close_row(self, name: str) -> str | None:
        """The source row whose name resembles an unmapped extra label (a row to add it to).

        Mapillary-style names match on their last ``--`` part: ``boat`` →
        ``object--vehicle--boat``.
        """
        key = _norm(name)
        if key in self.row_names:
            return self.row_names[key]
        longest = max(map(len, self.row_names), default=0)
        close = self.matcher.best(key, list(self.row_names), longest, cutoff=0.85)
        return None if close is None else self.row_names[close]

    @cached_property
    def named(self) -> set[str]:
        """The extra labels some cell names exactly (after stripping spaces)."""
        return {c.text for c in self.cells if c.text in self.index.exact}


Rule = Callable[[LintSubject], Iterator[Finding]]
"""One lint rule: every finding of one code (or one kind) for a subject."""


def _against_source(rule: Callable[[LintSubject, Taxonomy], Iterator[Finding]]) -> Rule:
    """A rule that checks the mapping against its source taxonomy; none without one."""

    @functools.wraps(rule)
    def run(s: LintSubject) -> Iterator[Finding]:
        return iter(()) if s.source is None else rule(s, s.source)

    return run


@_against_source
def unknown_source_class(s: LintSubject, source: Taxonomy) -> Iterator[Finding]:
    """A row for a class the source taxonomy lacks: the teacher never predicts it."""
    for r, row in s.class_rows():
        if source.by_id(row.source_id) is None:
            yield s.row_finding(
                r,
                "error",
                "unknown-source-class",
                f"source taxonomy {source.name!r} has no class {row.source_id}; its labels "
                "would be written as a class the teacher does not predict",
            )


@_against_source
def source_name_mismatch(s: LintSubject, source: Taxonomy) -> Iterator[Finding]:
    """A row whose name differs from the source taxonomy's name for that id."""
    for r, row in s.class_rows():
        cls = source.by_id(row.source_id)
        if cls is not None and cls.name.strip() != row.source_name.strip():
            yield s.row_finding(
                r,
                "warning",
                "source-name-mismatch",
                f"source taxonomy {source.name!r} names class {row.source_id} {cls.name!r}",
                column=2,
                suggestion=cls.name,
            )


def unused_source_class(s: LintSubject) -> Iterator[Finding]:
    """A class row with no extra label: the mapping claims the class never appears."""
    for r, row in s.class_rows():
        if not row.extra_labels:
            yield s.row_finding(
                r,
                "info",
                "unused-source-class",
                "no extra label maps here, so the mapping claims this class never appears "
                f"in {s.mapping.extra_taxonomy!r} (verify)",
            )


def stray_whitespace(s: LintSubject) -> Iterator[Finding]:
    """A known label padded with spaces: matched after stripping, worth cleaning."""
    for c in s.cells:
        if c.text in s.index.exact and c.raw != c.text:
            yield c.finding(
                "info",
                "stray-whitespace",
                f"cell {c.raw!r} has surrounding spaces (matched as {c.text!r})",
                suggestion=c.text,
            )


def ambiguous_label(s: LintSubject) -> Iterator[Finding]:
    """A cell naming a label the extra taxonomy gives to several ids: all are mapped."""
    for c in s.cells:
        if c.text in s.index.exact and s.name_counts[c.text] > 1:
            ids = s.ids_by_name[c.text]
            yield c.finding(
                "warning",
                "ambiguous-label",
                f"{c.text!r} names {len(ids)} classes of {s.extra.name!r} (ids {ids}); "
                "all of them are mapped here",
            )


def unknown_label(s: LintSubject) -> Iterator[Finding]:
    """A cell naming no extra label, with the likely intended name."""
    for c in s.cells:
        if c.text in s.index.exact:
            continue
        suggestion = s.index.suggest(c.raw)
        hint = ""
        if suggestion is not None and ", " in suggestion and suggestion not in s.index.exact:
            hint = " (two labels run together? a comma may be missing)"
        yield c.finding(
            "error",
            "unknown-label",
            f"{c.raw!r} is not a label of {s.extra.name!r}{hint}",
            suggestion=suggestion,
        )


def duplicate_cell(s: LintSubject) -> Iterator[Finding]:
    """The same label twice in one row."""
    first: dict[tuple[int, str], LabelCell] = {}
    for c in s.cells:
        earlier = first.setdefault((c.row, c.text), c)
        if earlier is not c:
            yield c.finding(
                "warning",
                "duplicate-cell",
                f"{c.text!r} appears twice in this row (first in column {earlier.column})",
            )


def unmapped_label(s: LintSubject) -> Iterator[Finding]:
    """An extra label no row names: its pixels become 255 (DESIGN.md rule 3)."""
    for cls in s.extra.classes:
        if cls.name in s.named:
            continue
        if cls.id < 0:
            yield Finding(
                "info",
                "unmapped-label",
                f"extra label {cls.name!r} (id {cls.id}) is in no row; its id is negative, "
                "so it cannot occur in a label image",
            )
            continue
        yield Finding(
            "error",
            "unmapped-label",
            f"extra label {cls.name!r} (id {cls.id}) is in no row: its pixels become 255 "
            "(ignore); add it to a class row or to the void row",
            suggestion=s.close_row(cls.name),
        )


@_against_source
def missing_source_row(s: LintSubject, source: Taxonomy) -> Iterator[Finding]:
    """A source class with no row: no extra label can become it."""
    present = {row.source_id for row in s.mapping.rows}
    for cls in source.classes:
        if cls.id != VOID_ID and cls.id not in present:
            yield Finding(
                "warning",
                "missing-source-row",
                f"source class {cls.id} ({cls.name}) has no row; no extra label can become it",
            )


def label_id_range(s: LintSubject) -> Iterator[Finding]:
    """An extra id no pixel of an 8-bit (or any) id or palette label PNG can hold."""
    for cls in s.extra.classes:
        if 0 <= cls.id <= PNG8_ID_MAX:
            continue
        if 0 <= cls.id <= PNG_ID_MAX:
            holds = "only a 16-bit grey label PNG holds it (8-bit and palette PNGs hold 0-255)"
        else:
            holds = (
                "no label PNG holds it (grey PNGs hold 0-65535, palette PNGs 0-255), so no "
                "pixel of an id or palette label is this class"
            )
        yield Finding(
            "info", "label-id-range", f"extra label {cls.name!r} has id {cls.id}: {holds}"
        )


@_against_source
def source_id_range(s: LintSubject, source: Taxonomy) -> Iterator[Finding]:
    """A source id a uint8 pseudo-label cannot be written as: pseudo-labelling is refused."""
    rows = {row.source_id: r for r, row in enumerate(s.mapping.rows)}
    for cls in source.classes:
        if cls.id != VOID_ID and not 0 <= cls.id < VOID_ID:
            yield Finding(
                "error",
                "source-id-range",
                f"source class {cls.name!r} has id {cls.id}, which a uint8 pseudo-label "
                f"cannot hold (0-{VOID_ID - 1}; {VOID_ID} is ignore): pseudo-labelling "
                "with this mapping is refused",
                row=rows.get(cls.id),
            )


RULES: tuple[Rule, ...] = (
    unknown_source_class,
    source_name_mismatch,
    unused_source_class,
    stray_whitespace,
    ambiguous_label,
    unknown_label,
    duplicate_cell,
    unmapped_label,
    missing_source_row,
    label_id_range,
    source_id_range,
)
"""Every rule, in the order their findings stand among equals (same severity and place)."""


def lint_mapping(
    mapping: Mapping,
    extra: Taxonomy,
    source: Taxonomy | None = None,
    *,
    cells: Sequence[CellRef] = (),
) -> list[Finding]:
    """Every finding for ``mapping`` against its taxonomies, errors first, then by position."""
    subject = LintSubject(mapping, extra, source, cells)
    return sorted((f for rule in RULES for f in rule(subject)), key=_order)


def _order(f: Finding) -> tuple[int, int, int]:
    """Errors first; within a severity by row, then column; mapping-wide findings last."""
    last = 1 << 30
    return (
        SEVERITY_ORDER[f.severity],
        last if f.row is None else f.row,
        last if f.column is None else f.column,
    )


def lint_source_consistency(mappings: Sequence[tuple[str, Mapping]]) -> list[Finding]:
    """Mappings that claim the same source taxonomy but disagree on its classes.

    For each source taxonomy name, the most common ``{id: name}`` set is taken as the
    reference; every mapping that adds, lacks or renames a class gets a warning.
    """
    groups: dict[str, list[tuple[str, dict[int, str]]]] = defaultdict(list)
    for label, mapping in mappings:
        classes = {r.source_id: r.source_name.strip() for r in mapping.source_rows}
        groups[mapping.source_taxonomy].append((label, classes))
    findings: list[Finding] = []
    for source_name, members in sorted(groups.items()):
        counts = Counter(tuple(sorted(c.items())) for _, c in members)
        if len(counts) < 2:
            continue
        reference = dict(counts.most_common(1)[0][0])
        agree = counts.most_common(1)[0][1]
        for label, classes in members:
            if classes == reference:
                continue
            extra_ids = sorted(set(classes) - set(reference))
            missing_ids = sorted(set(reference) - set(classes))
            renamed = sorted(i for i in set(classes) & set(reference) if classes[i] != reference[i])
            parts = []
            if extra_ids:
                parts.append(f"adds {[f'{i} {classes[i]}' for i in extra_ids]}")
            if missing_ids:
                parts.append(f"lacks {[f'{i} {reference[i]}' for i in missing_ids]}")
            if renamed:
                parts.append(
                    "renames " + ", ".join(f"{i} {reference[i]!r}→{classes[i]!r}" for i in renamed)
                )
            findings.append(
                Finding(
                    "warning",
                    "source-inconsistent",
                    f"{label}: source taxonomy {source_name!r} differs from the "
                    f"{len(reference)}-class version {agree} other mapping(s) use: "
                    + "; ".join(parts),
                )
            )
    return findings


__all__ = [
    "RULES",
    "Finding",
    "LintSubject",
    "Rule",
    "Severity",
    "lint_mapping",
    "lint_source_consistency",
    "suggestion_hint",
]
