"""The reference CSV formats published with the paper (``labels.csv``, ``master_labels_*.csv``).

The reference files are written by hand, so the reader is lenient where the meaning is
clear (BOM, blank cells, ragged rows, stray whitespace, header variants ``,name,…`` /
``id,name`` / ``trainId,name``) and strict where it is not (non-integer or duplicate
ids, broken quoting): those raise :class:`FormatError` naming file, line and field.
Mapping cells are kept verbatim (stray spaces included) so an export reproduces the
file's text per row; whitespace and spelling are lint findings, not silent fixes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ontolabel.domain.formats import FormatError, refuse_repeated_ids
from ontolabel.domain.mapping import Mapping, MappingRow
from ontolabel.domain.taxonomy import VOID_ID, Taxonomy, TaxonomyClass

LABELS_HEADER = (
    "0",
    "name",
    "id",
    "trainId",
    "category",
    "categoryId",
    "hasInstances",
    "ignoreInEval",
    "color",
)
"""Header written by :func:`write_labels_csv` (the reference files' own header)."""

_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n", ""}


@dataclass(frozen=True)
class CellRef:
    """Where one extra-label cell of a mapping sits in its file (for lint positions).

    ``row_index`` indexes ``Mapping.rows``; ``line`` and ``column`` are 1-based.
    """

    row_index: int
    line: int
    column: int
    raw_text: str


@dataclass(frozen=True)
class ParsedMapping:
    """A mapping read from a reference CSV, with what lint needs to point into the file.

    ``source`` is the source taxonomy the first two columns define (void row excluded).
    """

    mapping: Mapping
    source: Taxonomy
    cells: tuple[CellRef, ...]


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _rows(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(first line, cells)`` per non-blank CSV record."""
    reader = csv.reader(io.StringIO(_strip_bom(text)), strict=True)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FormatError(f"malformed CSV: {exc}", file=source, line=reader.line_num) from exc
        if any(c.strip() for c in cells):
            yield start, cells


def _parse_int(value: str, *, source: str, line: int, field: str) -> int:
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        raise FormatError(
            f"{field} must be an integer, got {value!r}", file=source, line=line, field=field
        ) from None


def _is_int(value: str) -> bool:
    try:
        int(value.strip())
    except ValueError:
        return False
    return True


def _is_header(cells: Sequence[str]) -> bool:
    return not _is_int(cells[0]) or (len(cells) > 1 and cells[1].strip().lower() == "name")


def _cell(cells: Sequence[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


# --- labels.csv ---------------------------------------------------------------------


def read_labels_csv(text: str, *, name: str, source: str = "<upload>") -> Taxonomy:
    """Read a ``labels.csv`` taxonomy; the class id is the ``id`` column (else column 1).

    Columns the domain has no field for (the leading row index, ``categoryId``,
    ``hasInstances``) are dropped; ``ignoreInEval`` becomes ``ignore``.
    """
    records = list(_rows(text, source))
    if not records:
        raise FormatError("no classes in file", file=source, line=1)
    columns: dict[str, int] = {}
    first = records[0][1]
    if _is_header(first):
        for i, cell in enumerate(first):
            key = cell.strip().lower()
            if key and key not in columns and not (i == 0 and _is_int(key)):
                columns[key] = i
        records = records[1:]
    id_col = columns.get("id", 0)
    name_col = columns.get("name", 1)
    classes: list[TaxonomyClass] = []
    for line, cells in records:
        class_id = _parse_int(_cell(cells, id_col), source=source, line=line, field="id")
        class_name = _cell(cells, name_col)
        if not class_name:
            raise FormatError("class has no name", file=source, line=line, field="name")
        train = _cell(cells, columns.get("trainid"))
        ignore = _cell(cells, columns.get("ignoreineval")).lower()
        if ignore not in _TRUE | _FALSE:
            raise FormatError(
                f"ignoreInEval must be True or False, got {ignore!r}",
                file=source,
                line=line,
                field="ignoreInEval",
            )
        classes.append(
            TaxonomyClass(
                id=class_id,
                name=class_name,
                train_id=(
                    _parse_int(train, source=source, line=line, field="trainId") if train else None
                ),
                color=_cell(cells, columns.get("color")) or None,
                category=_cell(cells, columns.get("category")) or None,
                ignore=ignore in _TRUE,
            )
        )
    refuse_repeated_ids(
        [c.id for c in classes], [line for line, _ in records], what="class id", source=source
    )
    return Taxonomy(name=name, classes=tuple(classes))


def write_labels_csv(taxonomy: Taxonomy) -> str:
    """Write a taxonomy as a reference ``labels.csv`` (header included)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LABELS_HEADER)
    for index, c in enumerate(taxonomy.classes):
        writer.writerow(
            [
                index,
                c.name,
                c.id,
                "" if c.train_id is None else c.train_id,
                c.category or "",
                "",
                "",
                "True" if c.ignore else "",
                c.color or "",
            ]
        )
    return out.getvalue()


# --- master_labels_*.csv --------------------------------------------------------------


def read_mapping_csv(
    text: str,
    *,
    extra_taxonomy: str,
    source_taxonomy: str,
    source: str = "<upload>",
) -> ParsedMapping:
    """Read a ``master_labels_<source>.csv`` mapping of ``extra_taxonomy`` onto ``source_taxonomy``.

    Column 1 is the source class id (255 = void), column 2 its name, every further
    non-blank cell names an extra label. A first row whose id is not an integer, or whose
    second cell is ``name``, is the header.
    """
    records = list(_rows(text, source))
    if records and _is_header(records[0][1]):
        records = records[1:]
    rows: list[MappingRow] = []
    cells: list[CellRef] = []
    for line, record in records:
        if not record[0].strip():
            raise FormatError(
                "row has no source class id in column 1", file=source, line=line, field="id"
            )
        source_id = _parse_int(record[0], source=source, line=line, field="id")
        name = record[1] if len(record) > 1 else ""
        if not name.strip():
            raise FormatError(
                f"source class {source_id} has no name in column 2",
                file=source,
                line=line,
                field="name",
            )
        labels: list[str] = []
        for column, raw in enumerate(record[2:], start=3):
            if raw.strip():
                labels.append(raw)
                cells.append(CellRef(len(rows), line, column, raw))
        rows.append(MappingRow(source_id=source_id, source_name=name, extra_labels=tuple(labels)))
    if not rows:
        raise FormatError("no mapping rows in file", file=source, line=1)
    refuse_repeated_ids(
        [r.source_id for r in rows],
        [line for line, _ in records],
        what="source class id",
        source=source,
    )
    mapping = Mapping(
        extra_taxonomy=extra_taxonomy, source_taxonomy=source_taxonomy, rows=tuple(rows)
    )
    source_classes = tuple(
        TaxonomyClass(id=r.source_id, name=r.source_name.strip()) for r in mapping.source_rows
    )
    return ParsedMapping(
        mapping=mapping,
        source=Taxonomy(name=source_taxonomy, classes=source_classes),
        cells=tuple(cells),
    )


def write_mapping_csv(mapping: Mapping) -> str:
    """Write a mapping as a reference CSV (``id,name`` header, cells verbatim)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "name"])
    for row in mapping.rows:
        writer.writerow([row.source_id, row.source_name, *row.extra_labels])
    return out.getvalue()


__all__ = [
    "LABELS_HEADER",
    "VOID_ID",
    "CellRef",
    "ParsedMapping",
    "read_labels_csv",
    "read_mapping_csv",
    "write_labels_csv",
    "write_mapping_csv",
]
