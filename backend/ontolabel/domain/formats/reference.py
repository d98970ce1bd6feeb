"""The reference CSV formats published with the paper (``labels.csv``, ``master_labels_*.csv``).

The reference files are written by hand, so the reader is lenient where the meaning is
clear (BOM, blank cells, ragged rows, stray whitespace, header variants ``,name,…`` /
``id,name`` / ``trainId,name``) and strict where it is not (non-integer or duplicate
ids, broken quoting, what ``domain.limits`` bounds): those raise :class:`FormatError`
naming file, line and field. A file of more records than a taxonomy or mapping may hold
is refused at the first record past the bound, without reading the rest.
Mapping cells are kept verbatim (stray spaces included) so an export reproduces the
file's text per row; whitespace and spelling are lint findings, not silent fixes.

A cell a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab or CR first,
and not a number like ``-1``) is written with a ``'`` in front, as OWASP advises against
CSV injection, and read back without it: export and import stay exact.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from ontolabel.domain.formats import FormatError, refuse, refuse_repeated_ids, too_many
from ontolabel.domain.limits import (
    CELLS_MAX,
    CELLS_PER_ROW_MAX,
    CLASSES_MAX,
    ROWS_MAX,
    cell_problem,
    class_id_problem,
    name_problem,
)
from ontolabel.domain.mapping import Mapping, MappingRow
from ontolabel.domain.taxonomy import (
    VOID_ID,
    Taxonomy,
    TaxonomyClass,
)

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
"""Header written by :func:`write_labels_csv` for a taxonomy not read from a file (the
reference files' own header)."""

_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n", ""}
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


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


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _runs_as_formula(cell: str) -> bool:
    """True when a spreadsheet would evaluate ``cell`` (or it, unquoted, once read back)."""
    if cell.startswith("'"):
        return _runs_as_formula(cell[1:])
    return cell.startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell)


def _neutralised(cell: str) -> str:
    return f"'{cell}" if _runs_as_formula(cell) else cell


def _unquoted(cell: str) -> str:
    """A cell as :func:`_neutralised` had it (a file's other cells as they are)."""
    return cell[1:] if cell.startswith("'") and _runs_as_formula(cell[1:]) else cell


def _csv_text(rows: Iterable[Sequence[object]]) -> str:
    """A reference CSV of ``rows``, each cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([_neutralised(str(cell)) for cell in row] for row in rows)
    return out.getvalue()


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
            yield start, [_unquoted(c) for c in cells]


def _records(text: str, source: str, *, most: int, what: str) -> list[tuple[int, list[str]]]:
    """The file's records, the header (if any) dropped; refused at the first past ``most``."""
    records = list(islice(_rows(text, source), most + 2))
    if records and _is_header(records[0][1]):
        records = records[1:]
    if len(records) > most:
        raise too_many(what, most, file=source, line=records[most][0])
    return records


def _is_int(value: str) -> bool:
    try:
        int(value.strip())
    except ValueError:
        return False
    return True


def _is_header(cells: Sequence[str]) -> bool:
    return not _is_int(cells[0]) or (len(cells) > 1 and cells[1].strip().lower() == "name")


# --- labels.csv ---------------------------------------------------------------------


def _integer(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError("must be an integer") from None
    problem = class_id_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _optional_integer(text: str) -> int | None:
    return _integer(text) if text.strip() else None


def _bounded_name(value: str) -> str:
    problem = name_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _name(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank: every class needs one")
    return _bounded_name(text.strip())


def _optional_name(text: str) -> str | None:
    return _bounded_name(text.strip()) if text.strip() else None


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value not in _TRUE | _FALSE:
        raise ValueError("must be True or False")
    return value in _TRUE


def _color(text: str) -> str | None:
    value = text.strip()
    if value and not _COLOR.fullmatch(value):
        raise ValueError("must be a colour #rrggbb")
    return value or None


def _blank_if_none(value: object) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class _Field:
    """A labels.csv column with a :class:`TaxonomyClass` field: how its text reads and is
    written. ``column`` is its name in the reference header and its key in ``file_cells``."""

    column: str
    attr: str
    read: Callable[[str], Any]
    write: Callable[[Any], str]

    def reads_as(self, text: str, value: object) -> bool:
        try:
            return bool(self.read(text) == value)
        except ValueError:
            return False


_FIELDS = (
    _Field("id", "id", _integer, str),
    _Field("name", "name", _name, str),
    _Field("trainId", "train_id", _optional_integer, _blank_if_none),
    _Field("category", "category", _optional_name, _blank_if_none),
    _Field("ignoreInEval", "ignore", _flag, lambda ignore: "True" if ignore else ""),
    _Field("color", "color", _color, _blank_if_none),
)
_ID = _FIELDS[0]
_FIELD_NAMES = {f.column.lower() for f in _FIELDS}
_DEFAULT_POSITION = {"id": 0, "name": 1}
"""Without a header naming them, the id is column 1 and the name column 2."""


def _field_columns(columns: Sequence[str]) -> dict[int, _Field]:
    """Which column holds which field: the first column named for it, else its default position
    (a column holds one field: in ``trainId,name`` column 1 is the id)."""
    position: dict[str, int] = {}
    for i, header in enumerate(columns):
        position.setdefault(header.strip().lower(), i)
    found: dict[int, _Field] = {}
    for f in _FIELDS:
        at = position.get(f.column.lower(), _DEFAULT_POSITION.get(f.column))
        if at is not None and at < len(columns) and at not in found:  # a short header
            found[at] = f
    return found


def _column_names(
    header: Sequence[str], fields: dict[int, _Field], records: Sequence[Sequence[str]]
) -> list[str | None]:
    """Each column's name in ``file_columns``, None for one left out.

    A field's column keeps its header as written. Another column needs a name of its own:
    one that is blank, repeats an earlier one or a field's is called ``column N`` (its
    position), and left out when no record has a value in it.
    """
    names: list[str | None] = []
    taken = _FIELD_NAMES | {header[i].strip().lower() for i in fields}
    for i, header_text in enumerate(header):
        key = header_text.strip().lower()
        if i in fields:
            names.append(header_text)
        elif key and key not in taken:
            names.append(header_text)
            taken.add(key)
        elif any(i < len(cells) and cells[i] for cells in records):
            names.append(f"column {i + 1}")
            taken.add(f"column {i + 1}")
        else:
            names.append(None)
    return names


def read_labels_csv(text: str, *, name: str, source: str = "<upload>") -> Taxonomy:
    """Read a ``labels.csv`` taxonomy; the class id is the ``id`` column (else column 1).

    Every cell is kept: a field's value (names and categories stripped, ``ignoreInEval`` as
    ``ignore``), and in ``file_cells`` the cells of columns without a field and any field's
    text that its value would not be written as. A file without a header reads as ``id,name``.
    """
    first = next(_rows(text, source), None)
    if first is None:
        raise FormatError("no classes in file", file=source, line=1)
    header: list[str] = first[1] if _is_header(first[1]) else ["id", "name"]
    records = _records(text, source, most=CLASSES_MAX, what="classes")
    width = max([len(header), *(len(cells) for _, cells in records)])
    header = [*header, *[""] * (width - len(header))]
    fields = _field_columns(header)
    names = _column_names(header, fields, [cells for _, cells in records])
    classes: list[TaxonomyClass] = []
    for line, cells in records:
        values: dict[str, Any] = {}
        file_cells: list[tuple[str, str]] = []
        for i, column in enumerate(names):
            cell = cells[i] if i < len(cells) else ""
            f = fields.get(i)
            if f is None:
                if column is not None and cell:
                    file_cells.append((column, cell))
                continue
            values[f.attr] = _read_field(f, cell, source=source, line=line)
            if cell != f.write(values[f.attr]):
                file_cells.append((f.column, cell))
        for f in _FIELDS:
            if f.attr not in values:  # no column holds it
                values[f.attr] = _read_field(f, "", source=source, line=line)
        classes.append(TaxonomyClass(**values, file_cells=tuple(file_cells)))
    refuse_repeated_ids(
        [c.id for c in classes], [line for line, _ in records], what="class id", source=source
    )
    return Taxonomy(
        name=name,
        classes=tuple(classes),
        file_columns=tuple(c for c in names if c is not None),
    )


def _read_field(f: _Field, cell: str, *, source: str, line: int) -> Any:
    try:
        return f.read(cell)
    except ValueError as exc:
        raise FormatError(
            f"{f.column} {exc}, got {cell!r}", file=source, line=line, field=f.column
        ) from None


def write_labels_csv(taxonomy: Taxonomy) -> str:
    """Write a taxonomy as a ``labels.csv``: in the columns of the file it was read from (else
    the reference header), each cell as that file had it while it still reads as the value.

    Nothing is left out: a field or ``file_cells`` column the header lacks is added at the end.
    """
    columns = list(taxonomy.file_columns or LABELS_HEADER)
    fields = _field_columns(columns)
    held = {f.column for f in fields.values()}
    for f in _FIELDS:
        if f.column not in held and any(f.write(getattr(c, f.attr)) for c in taxonomy.classes):
            fields[len(columns)] = f
            columns.append(f.column)
    keys = [fields[i].column if i in fields else column for i, column in enumerate(columns)]
    for c in taxonomy.classes:
        for key, _ in c.file_cells:
            if key not in keys and key.lower() not in _FIELD_NAMES:
                columns.append(key)
                keys.append(key)
    rows: list[list[str]] = [columns]
    for position, c in enumerate(taxonomy.classes):
        cells = dict(c.file_cells)
        if not taxonomy.file_columns:  # the reference header's first column is the row index
            cells.setdefault(LABELS_HEADER[0], str(position))
        row = []
        for i, key in enumerate(keys):
            field = fields.get(i)
            if field is None:
                row.append(cells.get(key, ""))
                continue
            value = getattr(c, field.attr)
            text = cells.get(field.column)
            if text is None or not field.reads_as(text, value):
                text = field.write(value)
            row.append(text)
        rows.append(row)
    return _csv_text(rows)


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
    records = _records(text, source, most=ROWS_MAX, what="rows")
    rows: list[MappingRow] = []
    cells: list[CellRef] = []
    for line, record in records:
        if not record[0].strip():
            raise FormatError(
                "row has no source class id in column 1", file=source, line=line, field="id"
            )
        source_id = _read_field(_ID, record[0], source=source, line=line)
        name = record[1] if len(record) > 1 else ""
        if not name.strip():
            raise FormatError(
                f"source class {source_id} has no name in column 2",
                file=source,
                line=line,
                field="name",
            )
        refuse(name_problem(name), file=source, line=line, field="name")
        labels: list[str] = []
        for column, raw in enumerate(record[2:], start=3):
            if raw.strip():
                refuse(cell_problem(raw), file=source, line=line, field="extra")
                labels.append(raw)
                cells.append(CellRef(len(rows), line, column, raw))
        if len(labels) > CELLS_PER_ROW_MAX:
            raise too_many(
                "labels in one row", CELLS_PER_ROW_MAX, file=source, line=line, field="extra"
            )
        if len(cells) > CELLS_MAX:
            raise too_many("labels in all rows", CELLS_MAX, file=source, line=line, field="extra")
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
    """Write a mapping as a reference CSV (``id,name`` header, cells verbatim but for a
    formula's quote)."""
    header = [["id", "name"]]
    return _csv_text(header + [[r.source_id, r.source_name, *r.extra_labels] for r in mapping.rows])


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
