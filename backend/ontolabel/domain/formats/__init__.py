"""File formats for taxonomies and mappings: the reference CSVs and the native YAML.

Both sides raise :class:`FormatError`, which names the file, line and field so a person
can open the file and fix it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ontolabel.domain.taxonomy import first_repeat
from ontolabel.errors import InvalidInput


class FormatError(InvalidInput):
    """A file that cannot be read; the message and ``extra`` name file, line and field."""

    def __init__(
        self,
        message: str,
        *,
        file: str,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        where = file if line is None else f"{file}:{line}"
        what = f" (field {field!r})" if field else ""
        super().__init__(f"{where}: {message}{what}", file=file, line=line, field=field)
        self.file = file
        self.line = line
        self.field = field


def refuse(problem: str | None, *, file: str, line: int | None, field: str) -> None:
    """Raise a :class:`FormatError` saying what is wrong with ``field``, if anything is
    (``problem`` is a ``domain.limits`` check's answer)."""
    if problem is not None:
        raise FormatError(f"{field} {problem}", file=file, line=line, field=field)


def too_many(
    what: str, most: int, *, file: str, line: int | None, field: str | None = None
) -> FormatError:
    """The error for the first of ``what`` past its bound ``most`` (``domain.limits``)."""
    return FormatError(
        f"more than {most} {what}; that is the most one file may hold",
        file=file,
        line=line,
        field=field,
    )


def decode_text(data: bytes, *, source: str) -> str:
    """Decode an uploaded file as UTF-8 (a leading BOM is dropped)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FormatError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8",
            file=source,
            line=line,
            field="encoding",
        ) from exc
    return text


def refuse_repeated_ids(
    ids: Sequence[int], lines: Sequence[int], *, what: str, source: str
) -> None:
    """A :class:`FormatError` on the line that repeats an id (``lines[i]`` holds ``ids[i]``)."""
    repeat = first_repeat(ids)
    if repeat is not None:
        first, again = repeat
        raise FormatError(
            f"duplicate {what} {ids[again]} (first on line {lines[first]})",
            file=source,
            line=lines[again],
            field="id",
        )


__all__ = ["FormatError", "decode_text", "refuse", "refuse_repeated_ids", "too_many"]
