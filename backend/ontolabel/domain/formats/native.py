"""The native, reviewable text format (YAML) for taxonomies and mappings.

One class or one mapping row per entry, keys in a fixed order, fields left out when
they hold their default; ``load(dump(x)) == x`` and ``dump(load(text)) == text`` for
text that ``dump`` wrote. A leading ``#`` comment block (licence notice) is allowed and
ignored by the loader. Mapping cells are kept verbatim, stray spaces included.

Layout::

    kind: taxonomy            kind: mapping
    name: cityscapes          extra_taxonomy: bdd
    description: ''           source_taxonomy: cityscapes
    file_columns: [id, name]  rows:
    classes:                  - id: 0
    - {id: 0, name: road}       name: road
                                extra: [road]

Aliases (``*name``) are refused: a few hundred bytes of nested aliases would otherwise
expand into gigabytes, and ``dump`` never writes one. Names, cells, ids and counts are
held to ``domain.limits``.

``file_columns`` and a class's ``file_cells`` carry what a ``labels.csv`` had beyond the
fields (see :class:`~ontolabel.domain.taxonomy.TaxonomyClass`), so a CSV export from YAML
is the CSV the YAML was made from.
"""

from __future__ import annotations

from typing import Any

import yaml

from ontolabel.domain.formats import FormatError, refuse, refuse_repeated_ids, too_many
from ontolabel.domain.limits import (
    CELLS_MAX,
    CELLS_PER_ROW_MAX,
    CLASSES_MAX,
    ROWS_MAX,
    cell_problem,
    class_id_problem,
    name_problem,
    text_problem,
)
from ontolabel.domain.mapping import Mapping, MappingRow
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass

_LINE = "__line__"
_KEY_LINES = "__key_lines__"


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader (libyaml when present) recording each mapping's line under ``__line__``,
    refusing aliases."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # The composer hands an alias over as the anchored node itself: a node met twice.
        if node in self.constructed_objects or node in self.recursive_objects:
            raise FormatError(
                "YAML aliases (*name) are not accepted: the value anchored on this line is "
                "used again; write each value out in full",
                file=self.name,
                line=node.start_mark.line + 1,
            )
        return super().construct_object(node, deep)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    key_lines: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise FormatError(
                f"key {key!r} given twice",
                file=loader.name,
                line=key_node.start_mark.line + 1,
                field=str(key),
            )
        result[key] = loader.construct_object(value_node, deep=True)
        key_lines[key] = key_node.start_mark.line + 1
    result[_LINE] = node.start_mark.line + 1
    result[_KEY_LINES] = key_lines
    return result


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _load(text: str, source: str, kind: str) -> dict[str, Any]:
    loader = _LineLoader(text)
    loader.name = source
    try:
        doc = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise FormatError(
            f"malformed YAML: {exc.problem}",
            file=source,
            line=mark.line + 1 if mark else None,
        ) from exc
    except yaml.YAMLError as exc:
        raise FormatError(f"malformed YAML: {exc}", file=source) from exc
    finally:
        loader.dispose()
    if not isinstance(doc, dict):
        raise FormatError(f"expected a {kind} document (a mapping of keys)", file=source, line=1)
    if doc.get("kind") != kind:
        raise FormatError(
            f"expected 'kind: {kind}', got {doc.get('kind')!r}",
            file=source,
            line=doc[_LINE],
            field="kind",
        )
    return doc


def _name(value: Any, *, source: str, line: int, field: str) -> str:
    text: str = _typed(value, str, source=source, line=line, field=field)
    refuse(name_problem(text), file=source, line=line, field=field)
    return text


def _category(value: Any, *, source: str, line: int) -> str | None:
    text: str | None = _typed(value, (str, type(None)), source=source, line=line, field="category")
    if text is not None:
        refuse(text_problem(text), file=source, line=line, field="category")
    return text


def _class_id(value: Any, *, source: str, line: int, field: str) -> int:
    class_id: int = _typed(value, int, source=source, line=line, field=field)
    refuse(class_id_problem(class_id), file=source, line=line, field=field)
    return class_id


def _entries(doc: dict[str, Any], key: str, most: int, *, source: str, line: int) -> list[Any]:
    """The list under ``key``, refused past ``most`` entries (at the first one past)."""
    entries: list[Any] = _typed(doc[key], list, source=source, line=line, field=key)
    if len(entries) > most:
        past = entries[most]
        raise too_many(
            key, most, file=source, line=past.get(_LINE) if isinstance(past, dict) else line
        )
    return entries


def _check_keys(entry: dict[str, Any], allowed: set[str], required: set[str], source: str) -> int:
    line: int = entry.get(_LINE, 0)
    keys = set(entry) - {_LINE, _KEY_LINES}
    for key in sorted(keys - allowed, key=str):
        raise FormatError(
            f"unknown key {key!r}; expected one of {sorted(allowed)}",
            file=source,
            line=line,
            field=str(key),
        )
    for key in sorted(required - keys):
        raise FormatError(f"missing key {key!r}", file=source, line=line, field=key)
    return line


def _typed(
    value: Any, types: type | tuple[type, ...], *, source: str, line: int, field: str
) -> Any:
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        ok = False
    else:
        ok = isinstance(value, types)
    if not ok:
        raise FormatError(
            f"{field} has the wrong type ({type(value).__name__}: {value!r})",
            file=source,
            line=line,
            field=field,
        )
    return value


class _FlowMapping(dict[str, Any]):
    """A mapping written on one line (``{id: 0, name: road}``), whatever it holds."""


class _Dumper(yaml.SafeDumper):
    """Safe dumper that writes :class:`_FlowMapping` in flow style."""


_Dumper.add_representer(
    _FlowMapping,
    lambda dumper, data: dumper.represent_mapping(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, data, flow_style=True
    ),
)


def _dump(doc: dict[str, Any]) -> str:
    """Readable UTF-8 YAML; escaped ASCII when PyYAML would not read its own text back.

    (PyYAML's emitter mangles a few code points, e.g. U+0085, when it writes them raw.)
    """
    options: dict[str, Any] = {"sort_keys": False, "default_flow_style": None, "width": 10_000}
    text = yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, **options)
    if yaml.load(text, Loader=_BaseLoader) != doc:
        text = yaml.dump(doc, Dumper=_Dumper, allow_unicode=False, **options)
    return text


# --- taxonomy -----------------------------------------------------------------------


def _class_entry(c: TaxonomyClass) -> _FlowMapping:
    entry = _FlowMapping(id=c.id, name=c.name)
    if c.train_id is not None:
        entry["train_id"] = c.train_id
    if c.color is not None:
        entry["color"] = c.color
    if c.category is not None:
        entry["category"] = c.category
    if c.ignore:
        entry["ignore"] = True
    if c.file_cells:
        entry["file_cells"] = dict(c.file_cells)
    return entry


def dump_taxonomy(t: Taxonomy) -> str:
    """Serialise a taxonomy (one flow-style line per class)."""
    doc: dict[str, Any] = {"kind": "taxonomy", "name": t.name, "description": t.description}
    if t.file_columns:
        doc["file_columns"] = list(t.file_columns)
    doc["classes"] = [_class_entry(c) for c in t.classes]
    return _dump(doc)


def _texts(value: Any, *, source: str, line: int, field: str) -> tuple[str, ...]:
    """A list of strings (``file_columns``)."""
    for text in _typed(value, list, source=source, line=line, field=field):
        _typed(text, str, source=source, line=line, field=field)
    return tuple(value)


def _cells(value: Any, *, source: str, line: int) -> tuple[tuple[str, str], ...]:
    """A mapping of column to text (``file_cells``), in the order written."""
    cells = _typed(value, dict, source=source, line=line, field="file_cells")
    pairs = [(k, v) for k, v in cells.items() if k not in (_LINE, _KEY_LINES)]
    for key, text in pairs:
        _typed(key, str, source=source, line=line, field="file_cells")
        _typed(text, str, source=source, line=line, field="file_cells")
    return tuple(pairs)


def load_taxonomy(text: str, *, source: str = "<upload>") -> Taxonomy:
    """Parse :func:`dump_taxonomy` output; duplicate ids are a :class:`FormatError`.

    Duplicate names are accepted (CamVid, RUGD have them); lint reports them.
    """
    doc = _load(text, source, "taxonomy")
    top = _check_keys(
        doc,
        {"kind", "name", "description", "file_columns", "classes"},
        {"name", "classes"},
        source,
    )
    name = _name(doc["name"], source=source, line=top, field="name")
    description = _typed(
        doc.get("description", ""), str, source=source, line=top, field="description"
    )
    file_columns = _texts(
        doc.get("file_columns", []), source=source, line=top, field="file_columns"
    )
    entries = _entries(doc, "classes", CLASSES_MAX, source=source, line=top)
    classes: list[TaxonomyClass] = []
    lines: list[int] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise FormatError(
                "each class must be a mapping", file=source, line=top, field="classes"
            )
        line = _check_keys(
            entry,
            {"id", "name", "train_id", "color", "category", "ignore", "file_cells"},
            {"id", "name"},
            source,
        )
        c = TaxonomyClass(
            id=_class_id(entry["id"], source=source, line=line, field="id"),
            name=_name(entry["name"], source=source, line=line, field="name"),
            train_id=None
            if entry.get("train_id") is None
            else _class_id(entry["train_id"], source=source, line=line, field="train_id"),
            color=_typed(
                entry.get("color"), (str, type(None)), source=source, line=line, field="color"
            ),
            category=_category(entry.get("category"), source=source, line=line),
            ignore=_typed(
                entry.get("ignore", False), bool, source=source, line=line, field="ignore"
            ),
            file_cells=_cells(entry.get("file_cells", {}), source=source, line=line),
        )
        classes.append(c)
        lines.append(line)
    refuse_repeated_ids([c.id for c in classes], lines, what="class id", source=source)
    return Taxonomy(
        name=name, classes=tuple(classes), description=description, file_columns=file_columns
    )


# --- mapping ------------------------------------------------------------------------


def dump_mapping(m: Mapping) -> str:
    """Serialise a mapping (rows in order, cells verbatim)."""
    return _dump(
        {
            "kind": "mapping",
            "extra_taxonomy": m.extra_taxonomy,
            "source_taxonomy": m.source_taxonomy,
            "rows": [
                {"id": r.source_id, "name": r.source_name, "extra": list(r.extra_labels)}
                for r in m.rows
            ],
        }
    )


def load_mapping_with_lines(
    text: str, *, source: str = "<upload>"
) -> tuple[Mapping, tuple[int, ...]]:
    """Parse a native mapping and return the file line of each row's labels (for lint)."""
    doc = _load(text, source, "mapping")
    top = _check_keys(
        doc,
        {"kind", "extra_taxonomy", "source_taxonomy", "rows"},
        {"extra_taxonomy", "source_taxonomy", "rows"},
        source,
    )
    extra = _name(doc["extra_taxonomy"], source=source, line=top, field="extra_taxonomy")
    src = _name(doc["source_taxonomy"], source=source, line=top, field="source_taxonomy")
    entries = _entries(doc, "rows", ROWS_MAX, source=source, line=top)
    cells = 0
    rows: list[MappingRow] = []
    lines: list[int] = []
    row_lines: list[int] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise FormatError("each row must be a mapping", file=source, line=top, field="rows")
        line = _check_keys(entry, {"id", "name", "extra"}, {"id", "name"}, source)
        source_id = _class_id(entry["id"], source=source, line=line, field="id")
        labels_line = entry[_KEY_LINES].get("extra", line)
        labels = _typed(entry.get("extra", []), list, source=source, line=line, field="extra")
        cells += len(labels)
        if len(labels) > CELLS_PER_ROW_MAX:
            raise too_many(
                "labels in one row", CELLS_PER_ROW_MAX, file=source, line=labels_line, field="extra"
            )
        if cells > CELLS_MAX:
            raise too_many(
                "labels in all rows", CELLS_MAX, file=source, line=labels_line, field="extra"
            )
        for label in labels:
            _typed(label, str, source=source, line=labels_line, field="extra")
            refuse(cell_problem(label), file=source, line=labels_line, field="extra")
        rows.append(
            MappingRow(
                source_id=source_id,
                source_name=_name(entry["name"], source=source, line=line, field="name"),
                extra_labels=tuple(labels),
            )
        )
        lines.append(labels_line)
        row_lines.append(line)
    refuse_repeated_ids(
        [r.source_id for r in rows], row_lines, what="source class id", source=source
    )
    return Mapping(extra_taxonomy=extra, source_taxonomy=src, rows=tuple(rows)), tuple(lines)


def load_mapping(text: str, *, source: str = "<upload>") -> Mapping:
    """Parse :func:`dump_mapping` output."""
    return load_mapping_with_lines(text, source=source)[0]


__all__ = [
    "dump_mapping",
    "dump_taxonomy",
    "load_mapping",
    "load_mapping_with_lines",
    "load_taxonomy",
]
