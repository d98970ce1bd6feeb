"""MSeg's tab-separated class-remapping files (``mseg-api/mseg/class_remapping_files``).

- **Master** (``MSeg_master.tsv``): a header row of column names, then one row per class
  of the ``universal`` column. Every column named like a dataset (lowercase letters,
  digits, ``-``, ``_``, ``.``: ``cityscapes-19``, ``voc2012``) holds, per universal class,
  the dataset classes that become it: one name, ``{a, b}`` for several, blank for none.
  The other columns (``Parent Category``, ``WordNet 3.1 Synset``, ``Defn …``) describe
  the universal class. The ``unlabeled`` row is void (255). Read here as the universal
  taxonomy (ids in row order, as MSeg numbers them; ``Parent Category`` is the category,
  the other descriptions are kept in ``file_cells``) plus one mapping per dataset column.
- **Pairwise** (``<a>_to_<b>.tsv``): header ``a<TAB>b``, then one ``class of a<TAB>class
  of b`` line per class of ``a`` (many to one). Read as the mapping ``a → b``; ``b``'s
  classes get ids in order of first appearance, ``unlabeled`` is void.

Names in sets are stripped (MSeg's own reader does the same); an export writes a set as
``{a, b}`` and one name bare. A pairwise file holds one target per label, so exporting a
mapping that allows a label several real classes is refused; a label that may also be
void (``building → {building, void}``) is written with its real class.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ontolabel.domain.formats import FormatError, refuse, too_many
from ontolabel.domain.limits import CLASSES_MAX, ROWS_MAX, cell_problem, name_problem
from ontolabel.domain.mapping import Mapping, MappingRow
from ontolabel.domain.taxonomy import VOID_ID, Taxonomy, TaxonomyClass
from ontolabel.errors import InvalidInput

UNIVERSAL = "universal"
UNLABELED = "unlabeled"
PARENT = "Parent Category"
_DATASET_COLUMN = re.compile(r"[a-z0-9][a-z0-9._-]*")


@dataclass(frozen=True)
class MsegMaster:
    """The universal taxonomy and, per dataset column, its mapping onto it."""

    universal: Taxonomy
    mappings: dict[str, Mapping]


@dataclass(frozen=True)
class MsegPairwise:
    """A pairwise file: the mapping ``a → b``, and the classes of ``a`` (in line order) and
    of ``b`` (in order of first appearance) it names."""

    mapping: Mapping
    extra: Taxonomy
    target: Taxonomy


def is_dataset_column(header: str) -> bool:
    return header != UNIVERSAL and bool(_DATASET_COLUMN.fullmatch(header))


def _records(text: str, source: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter="\t", quoting=csv.QUOTE_NONE)
    records = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                records.append((reader.line_num, cells))
            if len(records) > ROWS_MAX + 1:
                raise too_many("rows", ROWS_MAX, file=source, line=reader.line_num)
    except csv.Error as exc:
        raise FormatError(f"malformed TSV: {exc}", file=source, line=reader.line_num) from exc
    if not records:
        raise FormatError("no rows in file", file=source, line=1)
    return records


def parse_cell(cell: str, *, source: str, line: int, field: str) -> tuple[str, ...]:
    """``a`` → (a,), ``{a, b}`` → (a, b), blank → ()."""
    text = cell.strip()
    if text.startswith("{") != text.endswith("}"):
        raise FormatError(f"unbalanced braces in {cell!r}", file=source, line=line, field=field)
    if text.startswith("{"):
        names = tuple(n.strip() for n in text[1:-1].split(",") if n.strip())
    else:
        names = (text,) if text else ()
    for name in names:
        refuse(cell_problem(name), file=source, line=line, field=field)
    return names


def format_cell(names: Sequence[str]) -> str:
    stripped = list(dict.fromkeys(n.strip() for n in names))
    if len(stripped) == 1:
        return stripped[0]
    return "{" + ", ".join(stripped) + "}" if stripped else ""


def _tsv(rows: Sequence[Sequence[str]], source: str) -> str:
    for row in rows:
        for cell in row:
            if "\t" in cell or "\n" in cell or "\r" in cell:
                raise InvalidInput(
                    f"{cell!r} holds a tab or line break, which a TSV cannot: rename it",
                    field=source,
                )
    return "".join("\t".join(row) + "\n" for row in rows)


def looks_like_master(text: str) -> bool:
    """A master file has a ``universal`` column; a pairwise one has two columns."""
    first = next((line for line in text.lstrip("\ufeff").splitlines() if line.strip()), "")
    return UNIVERSAL in [c.strip() for c in first.split("\t")] and first.count("\t") > 1


# --- master ---------------------------------------------------------------------------


def read_mseg_master(text: str, *, name: str = UNIVERSAL, source: str = "<upload>") -> MsegMaster:
    """The universal taxonomy (named ``name``) and one mapping per dataset column."""
    records = _records(text, source)
    header = [h.strip() for h in records[0][1]]
    if UNIVERSAL not in header:
        raise FormatError(
            f"no {UNIVERSAL!r} column in the header",
            file=source,
            line=records[0][0],
            field="header",
        )
    at = header.index(UNIVERSAL)
    datasets = [(i, h) for i, h in enumerate(header) if is_dataset_column(h)]
    described = [(i, h) for i, h in enumerate(header) if h and i != at and not is_dataset_column(h)]
    classes: list[TaxonomyClass] = []
    rows: dict[str, list[MappingRow]] = {h: [] for _, h in datasets}
    seen: dict[str, int] = {}
    for line, cells in records[1:]:
        cells = [*cells, *[""] * (len(header) - len(cells))]
        universal = cells[at].strip()
        if not universal:
            raise FormatError("row has no universal class", file=source, line=line, field=UNIVERSAL)
        refuse(name_problem(universal), file=source, line=line, field=UNIVERSAL)
        if universal in seen:
            raise FormatError(
                f"universal class {universal!r} appears twice (first on line {seen[universal]})",
                file=source,
                line=line,
                field=UNIVERSAL,
            )
        seen[universal] = line
        void = universal == UNLABELED
        class_id = VOID_ID if void else len(classes)
        if not void:
            notes = tuple((h, cells[i]) for i, h in described if h != PARENT and cells[i].strip())
            parent = cells[header.index(PARENT)].strip() if PARENT in header else ""
            classes.append(
                TaxonomyClass(class_id, universal, category=parent or None, file_cells=notes)
            )
            if len(classes) > CLASSES_MAX:
                raise too_many("classes", CLASSES_MAX, file=source, line=line)
        for i, h in datasets:
            labels = parse_cell(cells[i], source=source, line=line, field=h)
            rows[h].append(MappingRow(class_id, "void" if void else universal, labels))
    universal_taxonomy = Taxonomy(name=name, classes=tuple(classes))
    mappings = {
        h: Mapping(extra_taxonomy=h, source_taxonomy=name, rows=tuple(_void_last(r)))
        for h, r in rows.items()
    }
    return MsegMaster(universal=universal_taxonomy, mappings=mappings)


def _void_last(rows: list[MappingRow]) -> list[MappingRow]:
    return [r for r in rows if not r.is_void] + [r for r in rows if r.is_void]


def write_mseg_master(universal: Taxonomy, mappings: Sequence[Mapping]) -> str:
    """A master TSV: ``Parent Category``, one column per mapping (named after its extra
    taxonomy), ``universal``, then the descriptions kept in ``file_cells``."""
    described = list(
        dict.fromkeys(k for c in universal.classes for k, _ in c.file_cells if k != PARENT)
    )
    columns = [m.extra_taxonomy for m in mappings]
    for column in columns:
        if not is_dataset_column(column):
            raise InvalidInput(
                f"taxonomy name {column!r} cannot head a master TSV column (MSeg's are "
                "lowercase letters, digits, '-', '_', '.'); rename it",
                field="mappings",
            )
    header = [PARENT, *columns, UNIVERSAL, *described]
    out: list[list[str]] = [header]
    lines = [(c.id, c.name, c.category or "", dict(c.file_cells)) for c in universal.classes]
    lines.append((VOID_ID, UNLABELED, "", {}))
    for class_id, name, parent, notes in lines:
        row = [format_cell(_row_labels(m, class_id)) for m in mappings]
        out.append([parent, *row, name, *(notes.get(k, "") for k in described)])
    return _tsv(out, "universal")


def _row_labels(mapping: Mapping, class_id: int) -> tuple[str, ...]:
    row = mapping.row(class_id)
    return row.extra_labels if row else ()


# --- pairwise -------------------------------------------------------------------------


def read_mseg_pairwise(
    text: str,
    *,
    extra_taxonomy: str | None = None,
    source_taxonomy: str | None = None,
    source: str = "<upload>",
) -> MsegPairwise:
    """The mapping ``a → b`` of a pairwise file (names default to its header)."""
    records = _records(text, source)
    header = [h.strip() for h in records[0][1]]
    if len(header) != 2 or not all(header):
        raise FormatError(
            "a pairwise TSV has a header of two dataset names", file=source, line=records[0][0]
        )
    extra = extra_taxonomy or header[0]
    target = source_taxonomy or header[1]
    rows: dict[str, list[str]] = {}
    labels: list[str] = []
    for line, cells in records[1:]:
        if len(cells) != 2 or not cells[0].strip() or not cells[1].strip():
            raise FormatError("each line is `class<TAB>class` (two names)", file=source, line=line)
        label, into = cells[0].strip(), cells[1].strip()
        refuse(cell_problem(label), file=source, line=line, field=header[0])
        refuse(name_problem(into), file=source, line=line, field=header[1])
        rows.setdefault(into, []).append(label)
        labels.append(label)
        if len(labels) > CLASSES_MAX:
            raise too_many("classes", CLASSES_MAX, file=source, line=line)
    classes = [TaxonomyClass(i, n) for i, n in enumerate(n for n in rows if n != UNLABELED)]
    mapping_rows = [MappingRow(c.id, c.name, tuple(rows[c.name])) for c in classes]
    if UNLABELED in rows:
        mapping_rows.append(MappingRow(VOID_ID, "void", tuple(rows[UNLABELED])))
    mapping = Mapping(extra_taxonomy=extra, source_taxonomy=target, rows=tuple(mapping_rows))
    return MsegPairwise(
        mapping=mapping,
        extra=Taxonomy(
            name=extra,
            classes=tuple(TaxonomyClass(i, n) for i, n in enumerate(dict.fromkeys(labels))),
        ),
        target=Taxonomy(name=target, classes=tuple(classes)),
    )


def write_mseg_pairwise(mapping: Mapping, extra_names: Sequence[str] = ()) -> str:
    """A pairwise TSV of ``mapping``: each extra label with its one target (``unlabeled``
    for void), in the order of ``extra_names`` (the extra taxonomy's) then of the rows;
    422 naming the label when it may become several real classes."""
    targets: dict[str, list[str]] = {n.strip(): [] for n in extra_names}
    for row in mapping.rows:
        for label in dict.fromkeys(label.strip() for label in row.extra_labels):
            targets.setdefault(label, []).append(
                UNLABELED if row.is_void else row.source_name.strip()
            )
    out = [[mapping.extra_taxonomy, mapping.source_taxonomy]]
    for label, into in targets.items():
        real = [t for t in into if t != UNLABELED]
        if not into:
            continue  # a label of the taxonomy that no row names
        if len(real) > 1:
            raise InvalidInput(
                f"extra label {label!r} may become {', '.join(repr(t) for t in real)}; MSeg's "
                "pairwise TSV holds one class per label: export as CSV or YAML instead",
                field="format",
            )
        out.append([label, real[0] if real else UNLABELED])
    return _tsv(out, "mapping")


__all__ = [
    "MsegMaster",
    "MsegPairwise",
    "format_cell",
    "is_dataset_column",
    "looks_like_master",
    "parse_cell",
    "read_mseg_master",
    "read_mseg_pairwise",
    "write_mseg_master",
    "write_mseg_pairwise",
]
