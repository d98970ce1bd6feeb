"""Bodies every domain shares: the one error shape, reading a schema off a row, and the
ranged integers and bounded names every path, query and body uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from annotated_types import Interval
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from ontolabel.domain.limits import (
    CELL_MAX_CHARS,
    CONTROL_CHARACTERS,
    NAME_MAX_CHARS,
    cell_problem,
    name_problem,
    text_problem,
)
from ontolabel.domain.taxonomy import CLASS_ID_MAX, CLASS_ID_MIN

Read = TypeVar("Read", bound=BaseModel)

ID_MAX = 2**31 - 1
"""Ids are INTEGER columns (32-bit on PostgreSQL): no larger one names a row, and the
databases refuse to compare with one past 64 bits, so it is a 422 here instead of a 500."""

Id = Annotated[int, Interval(ge=1, le=ID_MAX)]
"""A row id (or a revision number): in paths, queries and bodies."""
Offset = Annotated[int, Interval(ge=0, le=ID_MAX)]
"""Rows to skip in a list."""
Count = Annotated[int, Interval(ge=1, le=ID_MAX)]
"""How many (every n-th, n at random): never more than a table holds."""
Seq = Annotated[int, Interval(ge=0, le=ID_MAX)]
"""A position in a job's log."""
ClassId = Annotated[int, Interval(ge=CLASS_ID_MIN, le=CLASS_ID_MAX)]
"""A class id as taxonomies store it (32-bit)."""
Seed = Annotated[int, Interval(ge=-(2**63), le=2**63 - 1)]
"""A random seed (64-bit, so a stored sampling rule reads back in every database)."""


def _refusing(problem: Callable[[str], str | None]) -> AfterValidator:
    def check(text: str) -> str:
        found = problem(text)
        if found is not None:
            raise ValueError(found)
        return text

    return AfterValidator(check)


_PRINTABLE = f"[^{CONTROL_CHARACTERS}]"
Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=NAME_MAX_CHARS,
        json_schema_extra={"pattern": rf"^{_PRINTABLE}*[^\s{CONTROL_CHARACTERS}]{_PRINTABLE}*$"},
    ),
    _refusing(name_problem),
]
"""A name (taxonomy, class, mapping, dataset, model, sample set): not blank, no control
characters, at most ``NAME_MAX_CHARS`` (``domain.limits``, which the file readers share)."""
ShortText = Annotated[
    str,
    Field(max_length=NAME_MAX_CHARS, json_schema_extra={"pattern": f"^{_PRINTABLE}*$"}),
    _refusing(text_problem),
]
"""A short text beside a name (a class's category): no control characters, at most
``NAME_MAX_CHARS``, blank allowed."""
Cell = Annotated[
    str,
    Field(max_length=CELL_MAX_CHARS, json_schema_extra={"pattern": f"^{_PRINTABLE}*$"}),
    _refusing(cell_problem),
]
"""A mapping cell as written (padding kept): no control characters, at most
``CELL_MAX_CHARS``."""


class Body(BaseModel):
    """Base of every request body: unknown keys are refused, and JSON values must have the
    declared type, as the OpenAPI schema says (``0`` is no ``false``, ``"5"`` no ``5``).

    Strict mode takes no enum or tuple from JSON: bodies use ``Literal``, and ``FloatPair``
    for a pair.
    """

    model_config = ConfigDict(extra="forbid", strict=True)


def _pair_from_list(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


FloatPair = Annotated[tuple[float, float], BeforeValidator(_pair_from_list)]
"""Two numbers (a range), sent as a JSON array; strict bodies take no tuple from JSON."""


def read_record(schema: type[Read], record: object, **values: Any) -> Read:
    """``schema`` filled from ``record``'s attributes of the same names, then ``values``.

    For Read bodies that add what the row lacks (a count, the taxonomies' names); a row
    that lacks a field and gets no value for it fails loudly instead of defaulting.
    Nested bodies are read off objects the same way (a taxonomy's domain classes).
    """
    own = {name: getattr(record, name) for name in schema.model_fields if name not in values}
    return schema.model_validate({**own, **values}, from_attributes=True)


class FieldError(BaseModel):
    """One refused input: where (``classes[0].id``, ``limit``) and why."""

    field: str
    message: str


class ErrorRead(BaseModel):
    """Every error body (4xx and 5xx): ``detail`` says what to do; the rest says where.

    ``field``, ``file`` and ``line`` point at the input to fix when there is one;
    ``errors`` lists every refused field of a request that failed validation. Some
    errors add their own keys (a 409 carries what is stored now).
    """

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "detail": "labels.csv:7: duplicate class id 3 (first on line 4) (field 'id')",
                    "file": "labels.csv",
                    "line": 7,
                    "field": "id",
                },
                {
                    "detail": "classes[0].id: Input should be greater than or equal to 0",
                    "field": "classes[0].id",
                    "errors": [
                        {
                            "field": "classes[0].id",
                            "message": "Input should be greater than or equal to 0",
                        }
                    ],
                },
            ]
        },
    )

    detail: str = Field(description="What went wrong and what to do, for a person to read.")
    field: str | None = Field(default=None, description="The input field to fix, if one.")
    file: str | None = Field(default=None, description="The uploaded file at fault, if one.")
    line: int | None = Field(default=None, description="Its 1-based line, if known.")
    errors: list[FieldError] | None = Field(
        default=None, description="Every refused field, when the request failed validation."
    )
