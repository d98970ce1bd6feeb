"""Cityscapes-style label definitions: a ``labels.py`` with ``labels = [Label(...), ...]``.

The file is *parsed, never run*: ``ast.parse`` reads its syntax and each argument of a
``Label(...)`` call must be a literal (``ast.literal_eval``), so a hostile file can do
nothing but be refused. The fields are ``Label(name, id, trainId, category, categoryId,
hasInstances, ignoreInEval, color)``, in the order of the file's own
``namedtuple('Label', [...])`` when it has one (keywords work too; ``catId`` is
``categoryId``). A class reads exactly as the same row of a reference ``labels.csv``
would: ``categoryId`` and ``hasInstances`` (which ontolabel has no field for), the row
index and ``ignoreInEval: False`` are kept in ``file_cells`` for a CSV export.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

from ontolabel.domain.formats import FormatError, refuse_repeated_ids, too_many
from ontolabel.domain.formats.reference import LABELS_HEADER
from ontolabel.domain.limits import CLASSES_MAX, class_id_problem, name_problem, text_problem
from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass

FIELDS = LABELS_HEADER[1:]
"""Cityscapes' ``Label`` fields, in its order: the reference labels.csv header without its
row index."""
_ALIASES = {"catId": "categoryId"}


def _literal(node: ast.expr, *, source: str, what: str) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise FormatError(
            f"{what} is not a literal value (the file is read, never run)",
            file=source,
            line=getattr(node, "lineno", None),
            field=what,
        ) from None


def _field_order(tree: ast.Module, *, source: str) -> tuple[str, ...]:
    """The fields of the file's ``namedtuple('Label', [...])``, else Cityscapes' order."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and _called(node) == "namedtuple"
            and len(node.args) == 2
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == "Label"
        ):
            names = _literal(node.args[1], source=source, what="namedtuple fields")
            if isinstance(names, str):
                names = names.replace(",", " ").split()
            if isinstance(names, list | tuple) and all(isinstance(n, str) for n in names):
                return tuple(_ALIASES.get(str(n), str(n)) for n in names)
    return FIELDS


def _called(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _label_calls(tree: ast.Module, *, source: str) -> list[ast.Call]:
    """The ``Label(...)`` entries of the module-level ``labels = [...]``."""
    for node in tree.body:
        value: ast.expr | None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == "labels" for t in targets):
            if not isinstance(value, ast.List | ast.Tuple):
                raise FormatError(
                    "`labels` must be a list of Label(...)", file=source, line=node.lineno
                )
            calls = []
            for item in value.elts:
                if not (isinstance(item, ast.Call) and _called(item) == "Label"):
                    raise FormatError(
                        "every entry of `labels` must be a Label(...) call",
                        file=source,
                        line=item.lineno,
                    )
                calls.append(item)
                if len(calls) > CLASSES_MAX:
                    raise too_many("classes", CLASSES_MAX, file=source, line=item.lineno)
            return calls
    raise FormatError("no `labels = [Label(...), ...]` list in file", file=source, line=1)


def _value(
    fields: dict[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    *,
    line: int,
    source: str,
    optional: bool = True,
) -> Any:
    value = fields.get(key)
    if value is None and optional:
        return None
    if (isinstance(value, bool) and kind is int) or not isinstance(value, kind):
        raise FormatError(
            f"{key} must be {getattr(kind, '__name__', kind)}, got {value!r}",
            file=source,
            line=line,
            field=key,
        )
    return value


def _color(value: Any, *, line: int, source: str) -> str | None:
    if value is None:
        return None
    if (
        isinstance(value, tuple | list)
        and len(value) == 3
        and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value)
    ):
        return "#{:02x}{:02x}{:02x}".format(*value)
    raise FormatError(
        f"color must be an (r, g, b) tuple of 0-255, got {value!r}",
        file=source,
        line=line,
        field="color",
    )


def _check(problem: str | None, key: str, *, line: int, source: str) -> None:
    if problem is not None:
        raise FormatError(f"{key} {problem}", file=source, line=line, field=key)


def _class(call: ast.Call, order: Sequence[str], position: int, *, source: str) -> TaxonomyClass:
    line = call.lineno
    if len(call.args) > len(order):
        raise FormatError(
            f"Label has {len(call.args)} values; its fields are {', '.join(order)}",
            file=source,
            line=line,
        )
    fields = {
        key: _literal(arg, source=source, what=key)
        for key, arg in zip(order, call.args, strict=False)
    }
    for keyword in call.keywords:
        key = _ALIASES.get(keyword.arg or "", keyword.arg or "**")
        fields[key] = _literal(keyword.value, source=source, what=key)
    name = _value(fields, "name", str, line=line, source=source, optional=False)
    _check(name_problem(name), "name", line=line, source=source)
    class_id = _value(fields, "id", int, line=line, source=source, optional=False)
    train_id = _value(fields, "trainId", int, line=line, source=source)
    for key, value in (("id", class_id), ("trainId", train_id)):
        if value is not None:
            _check(class_id_problem(value), key, line=line, source=source)
    category = _value(fields, "category", str, line=line, source=source)
    if category is not None:
        _check(text_problem(category), "category", line=line, source=source)
    ignore = _value(fields, "ignoreInEval", bool, line=line, source=source)
    cells = [("0", str(position))]
    category_id = _value(fields, "categoryId", (int, str), line=line, source=source)
    if category_id is not None:
        cells.append(("categoryId", str(category_id)))
    instances = _value(fields, "hasInstances", bool, line=line, source=source)
    if instances is not None:
        cells.append(("hasInstances", str(instances)))
    if ignore is False:
        cells.append(("ignoreInEval", "False"))
    return TaxonomyClass(
        id=class_id,
        name=name.strip(),
        train_id=train_id,
        color=_color(fields.get("color"), line=line, source=source),
        category=category.strip() if category else None,
        ignore=bool(ignore),
        file_cells=tuple(cells),
    )


def read_labels_py(text: str, *, name: str, source: str = "<upload>") -> Taxonomy:
    """A taxonomy from a Cityscapes-style ``labels.py``, without executing it."""
    try:
        tree = ast.parse(text, filename=source)
    except SyntaxError as exc:
        raise FormatError(f"not Python: {exc.msg}", file=source, line=exc.lineno) from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise FormatError(f"cannot be parsed: {exc}", file=source) from None
    order = _field_order(tree, source=source)
    calls = _label_calls(tree, source=source)
    classes = [_class(call, order, i, source=source) for i, call in enumerate(calls)]
    refuse_repeated_ids(
        [c.id for c in classes], [c.lineno for c in calls], what="class id", source=source
    )
    return Taxonomy(name=name, classes=tuple(classes), file_columns=LABELS_HEADER)


def _py(value: object) -> str:
    return repr(value)


def _cell_literal(cell: str | None) -> str:
    if cell is None:
        return "None"
    if cell in ("True", "False"):
        return cell
    try:
        return str(int(cell))
    except ValueError:
        return repr(cell)


def _rgb(color: str | None) -> str:
    if color is None:
        return "None"
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"({r:3d}, {g:3d}, {b:3d})"


def write_labels_py(taxonomy: Taxonomy) -> str:
    """A ``labels.py`` of the taxonomy, in Cityscapes' layout (``categoryId`` and
    ``hasInstances`` from ``file_cells``; ``None`` where a class has no value)."""
    lines = [
        f"# Label definitions of taxonomy {taxonomy.name!r}, written by ontolabel.",
        "from collections import namedtuple",
        "",
        "Label = namedtuple(",
        '    "Label",',
        "    [" + ", ".join(f'"{f}"' for f in FIELDS) + "],",
        ")",
        "",
        "labels = [",
        "    # name, id, trainId, category, categoryId, hasInstances, ignoreInEval, color",
    ]
    for c in taxonomy.classes:
        cells = dict(c.file_cells)
        values = [
            _py(c.name),
            str(c.id),
            _py(c.train_id),
            _py(c.category),
            _cell_literal(cells.get("categoryId")),
            _cell_literal(cells.get("hasInstances")),
            str(c.ignore),
            _rgb(c.color),
        ]
        lines.append(f"    Label({', '.join(values)}),")
    lines.append("]")
    return "\n".join(lines) + "\n"


__all__ = ["FIELDS", "read_labels_py", "write_labels_py"]
