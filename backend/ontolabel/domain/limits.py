"""How large a taxonomy or a mapping may be, and which names are refused.

One set of bounds for request bodies (``core.schemas``) and files (``domain.formats``), so
whatever way a taxonomy or mapping comes in, what lint and the constraint tables get is
bounded. Each is far above what the shipped ontologies need (at most 134 classes, 101
labels in one row, 148 in one mapping, 51 characters in a cell).
"""

from __future__ import annotations

import re

from ontolabel.domain.taxonomy import CLASS_ID_MAX, CLASS_ID_MIN

NAME_MAX_CHARS = 200
"""A taxonomy, mapping, class, dataset, model or sample-set name."""
CELL_MAX_CHARS = 256
"""A mapping cell: an extra label's name as written, padding included."""
CLASSES_MAX = 10_000
"""Classes in one taxonomy."""
ROWS_MAX = CLASSES_MAX + 1
"""Rows in one mapping: a row per source class, and the void row."""
CELLS_PER_ROW_MAX = CLASSES_MAX
"""Labels in one mapping row: at most every class of the extra taxonomy."""
CELLS_MAX = 100_000
"""Label cells in one mapping, all rows together."""

CONTROL_CHARACTERS = r"\x00-\x1f\x7f-\x9f"
"""Unicode's control characters (category Cc), as a regex character range."""
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")


def control_character(text: str) -> str | None:
    """Why ``text`` cannot be stored as a name or cell: the first control character in it."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    return (
        f"must not contain control characters (U+{ord(found.group()):04X} at character "
        f"{found.start() + 1})"
    )


def class_id_problem(value: int) -> str | None:
    """Why ``value`` cannot be a class id (the database stores them in 32 bits), or None."""
    if CLASS_ID_MIN <= value <= CLASS_ID_MAX:
        return None
    return f"must be a 32-bit integer ({CLASS_ID_MIN} to {CLASS_ID_MAX})"


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be a short text such as a category (too long, a control
    character), or None."""
    if len(text) > NAME_MAX_CHARS:
        return f"must be at most {NAME_MAX_CHARS} characters, not {len(text)}"
    return control_character(text)


def name_problem(text: str) -> str | None:
    """Why ``text`` cannot be a name (blank, too long, a control character), or None."""
    return "must not be blank" if not text.strip() else text_problem(text)


def cell_problem(text: str) -> str | None:
    """Why ``text`` cannot be a mapping cell (too long, a control character), or None."""
    if len(text) > CELL_MAX_CHARS:
        return f"must be at most {CELL_MAX_CHARS} characters, not {len(text)}"
    return control_character(text)
