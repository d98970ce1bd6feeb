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
"""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from ontolabel.domain.formats.reference import CellRef
from ontolabel.domain.mapping import Mapping
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


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.lower())


class _NameIndex:
    """Resolves a cell to the extra taxonomy's names, exactly or by likely intent."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(dict.fromkeys(names))
        self.exact = set(self.names)

    @cached_property
    def folded(self) -> dict[str, str]:
        """Built only when a cell is unknown: most mappings never need it."""
        folded: dict[str, str] = {}
        for name in self.names:
            folded.setdefault(_norm(name), name)
        return folded

    @cached_property
    def lowered(self) -> dict[str, str]:
        return {n.lower(): n for n in self.names}

    def loose(self, text: str) -> str | None:
        """A name that ``text`` matches ignoring case, spaces, ``_`` and ``-``."""
        return self.folded.get(_norm(text)) if text.strip() else None

    def suggest(self, cell: str) -> str | None:
        text = cell.strip()
        found = self.loose(text)
        if found is not None:
            return found
        split = self._split(text)
        if split is not None:
            return split
        close = difflib.get_close_matches(text.lower(), list(self.lowered), n=1, cutoff=0.75)
        return self.lowered[close[0]] if close else None

    def _split(self, text: str) -> str | None:
        """Two names run together (a missing comma): ``'car truck'`` → ``'car, truck'``."""
        candidates = [m.start() for m in re.finditer(r"\s+", text)] + list(range(1, len(text)))
        for i in candidates:
            left, right = self.loose(text[:i]), self.loose(text[i:])
            if left is not None and right is not None:
                return f"{left}, {right}"
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


def lint_mapping(
    mapping: Mapping,
    extra: Taxonomy,
    source: Taxonomy | None = None,
    *,
    cells: Sequence[CellRef] = (),
) -> list[Finding]:
    """Every finding for ``mapping`` against its taxonomies, errors first, then by position."""
    index = _NameIndex(extra.names)
    positions = _cell_positions(mapping, cells)
    row_lines = {c.row_index: c.line for c in cells}
    name_counts = Counter(c.name for c in extra.classes)
    findings: list[Finding] = []
    named: set[str] = set()

    for r, row in enumerate(mapping.rows):
        where = "void row" if row.is_void else f"row {row.source_id} ({row.source_name.strip()})"
        row_line = row_lines.get(r)
        if source is not None and not row.is_void:
            cls = source.by_id(row.source_id)
            if cls is None:
                findings.append(
                    Finding(
                        "error",
                        "unknown-source-class",
                        f"{where}: source taxonomy {source.name!r} has no class "
                        f"{row.source_id}; its labels would be written as a class the teacher "
                        "does not predict",
                        row=r,
                        line=row_line,
                    )
                )
            elif cls.name.strip() != row.source_name.strip():
                findings.append(
                    Finding(
                        "warning",
                        "source-name-mismatch",
                        f"{where}: source taxonomy {source.name!r} names class "
                        f"{row.source_id} {cls.name!r}",
                        row=r,
                        column=2,
                        line=row_line,
                        suggestion=cls.name,
                    )
                )
        if not row.is_void and not row.extra_labels:
            findings.append(
                Finding(
                    "info",
                    "unused-source-class",
                    f"{where}: no extra label maps here, so the mapping claims this class "
                    f"never appears in {mapping.extra_taxonomy!r} (verify)",
                    row=r,
                    line=row_line,
                )
            )
        seen: dict[str, int] = {}
        for k, raw in enumerate(row.extra_labels):
            line, column = positions[(r, k)]
            text = raw.strip()
            if text in index.exact:
                named.add(text)
                if raw != text:
                    findings.append(
                        Finding(
                            "info",
                            "stray-whitespace",
                            f"{where}: cell {raw!r} has surrounding spaces (matched as {text!r})",
                            row=r,
                            column=column,
                            line=line,
                            suggestion=text,
                        )
                    )
                if name_counts[text] > 1:
                    ids = sorted(c.id for c in extra.classes if c.name == text)
                    findings.append(
                        Finding(
                            "warning",
                            "ambiguous-label",
                            f"{where}: {text!r} names {len(ids)} classes of "
                            f"{extra.name!r} (ids {ids}); all of them are mapped here",
                            row=r,
                            column=column,
                            line=line,
                        )
                    )
            else:
                suggestion = index.suggest(raw)
                hint = ""
                if suggestion is not None and ", " in suggestion and suggestion not in index.exact:
                    hint = " (two labels run together? a comma may be missing)"
                findings.append(
                    Finding(
                        "error",
                        "unknown-label",
                        f"{where}: {raw!r} is not a label of {extra.name!r}{hint}",
                        row=r,
                        column=column,
                        line=line,
                        suggestion=suggestion,
                    )
                )
            if text in seen:
                findings.append(
                    Finding(
                        "warning",
                        "duplicate-cell",
                        f"{where}: {text!r} appears twice in this row (first in column "
                        f"{positions[(r, seen[text])][1]})",
                        row=r,
                        column=column,
                        line=line,
                    )
                )
            else:
                seen[text] = k

    for cls in extra.classes:
        if cls.name in named:
            continue
        if cls.id < 0:
            findings.append(
                Finding(
                    "info",
                    "unmapped-label",
                    f"extra label {cls.name!r} (id {cls.id}) is in no row; its id is negative, "
                    "so it cannot occur in a label image",
                )
            )
            continue
        findings.append(
            Finding(
                "error",
                "unmapped-label",
                f"extra label {cls.name!r} (id {cls.id}) is in no row: its pixels become 255 "
                "(ignore); add it to a class row or to the void row",
                suggestion=_close_row(cls.name, mapping),
            )
        )

    if source is not None:
        present = {row.source_id for row in mapping.rows}
        for cls in source.classes:
            if cls.id != VOID_ID and cls.id not in present:
                findings.append(
                    Finding(
                        "warning",
                        "missing-source-row",
                        f"source class {cls.id} ({cls.name}) has no row; no extra label can "
                        "become it",
                    )
                )
    findings += _id_range_findings(mapping, extra, source)
    return sorted(findings, key=_order)


def _id_range_findings(mapping: Mapping, extra: Taxonomy, source: Taxonomy | None) -> list[Finding]:
    """Ids a label PNG cannot hold: extra classes no pixel of an 8-bit (or any) id or palette
    PNG can be, and source classes a uint8 pseudo-label cannot be written as."""
    findings: list[Finding] = []
    for cls in extra.classes:
        if 0 <= cls.id <= PNG8_ID_MAX:
            continue
        if 0 <= cls.id <= PNG_ID_MAX:
            holds = "only a 16-bit grey label PNG holds it (8-bit and palette PNGs hold 0-255)"
        else:
            holds = (
                "no label PNG holds it (grey PNGs hold 0-65535, palette PNGs 0-255), so no "
                "pixel of an id or palette label is this class"
            )
        findings.append(
            Finding("info", "label-id-range", f"extra label {cls.name!r} has id {cls.id}: {holds}")
        )
    rows = {row.source_id: r for r, row in enumerate(mapping.rows)}
    for cls in source.classes if source is not None else ():
        if cls.id != VOID_ID and not 0 <= cls.id < VOID_ID:
            findings.append(
                Finding(
                    "error",
                    "source-id-range",
                    f"source class {cls.name!r} has id {cls.id}, which a uint8 pseudo-label "
                    f"cannot hold (0-{VOID_ID - 1}; {VOID_ID} is ignore): pseudo-labelling "
                    "with this mapping is refused",
                    row=rows.get(cls.id),
                )
            )
    return findings


def _close_row(name: str, mapping: Mapping) -> str | None:
    """The source class whose name resembles an unmapped extra label (a row to add it to).

    Mapillary-style names match on their last ``--`` part (``boat`` → ``object--vehicle--boat``).
    """
    rows: dict[str, str] = {}
    for row in mapping.source_rows:
        full = row.source_name.strip()
        rows.setdefault(_norm(full), full)
        rows.setdefault(_norm(full.rsplit("--", 1)[-1]), full)
    key = _norm(name)
    if key in rows:
        return rows[key]
    close = difflib.get_close_matches(key, list(rows), n=1, cutoff=0.85)
    return rows[close[0]] if close else None


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


__all__ = ["Finding", "Severity", "lint_mapping", "lint_source_consistency", "suggestion_hint"]
