"""Every integer in a path, query or header is range-checked: 422 naming it, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

JSON = dict[str, Any]
PAST = (1, 2**63, 10**20)
"""Just past a parameter's maximum, 64-bit and past (what the databases refused with a 500)."""


def _is_integer(schema: JSON) -> bool:
    return bool(_integer_schemas(schema))


def _integer_schemas(schema: JSON) -> list[JSON]:
    """The integer schemas in a parameter's schema (an optional one, a list's items)."""
    found = []
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "integer":
            found.append(branch)
        found += _integer_schemas(branch["items"]) if "items" in branch else []
    return found


def _integer_parameters(spec: JSON) -> list[tuple[str, str, JSON, JSON]]:
    """(method, path, operation, parameter) for every integer parameter of every operation."""
    return [
        (method, path, operation, parameter)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if _is_integer(parameter["schema"])
    ]


def _value(parameter: JSON) -> Any:
    return 1 if _is_integer(parameter["schema"]) else "x"


def test_every_integer_parameter_declares_its_range(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    unbounded = [
        f"{method.upper()} {path} {parameter['in']} {parameter['name']}"
        for method, path, _, parameter in _integer_parameters(spec)
        for schema in _integer_schemas(parameter["schema"])
        if "maximum" not in schema or "minimum" not in schema
    ]
    assert unbounded == []


def _request(
    client: TestClient, method: str, path: str, operation: JSON, target: JSON, value: int
) -> Any:
    values = {"path": {}, "query": {}, "header": {}}
    for parameter in operation.get("parameters", []):
        if parameter is target:
            given: Any = [str(value)] if "array" in str(parameter["schema"]) else str(value)
        elif parameter["in"] == "path" or parameter.get("required"):
            given = str(_value(parameter))
        else:
            continue
        values[parameter["in"]][parameter["name"]] = given
    url = path.format(**values["path"])
    return client.request(method, url, params=values["query"], headers=values["header"])


@pytest.mark.parametrize("past", PAST)
def test_an_integer_out_of_range_anywhere_is_a_422_naming_it(client: TestClient, past: int) -> None:
    # given every integer parameter of every operation
    spec = client.get("/openapi.json").json()
    wrong = []
    for method, path, operation, parameter in _integer_parameters(spec):
        # when it is sent past its maximum (the rest at harmless values)
        top = max(s["maximum"] for s in _integer_schemas(parameter["schema"]))
        value = top + 1 if past == 1 else max(past, top + 1)
        try:
            response = _request(client, method, path, operation, parameter, value)
        except Exception as exc:  # the app raised: a 500
            wrong.append(f"{method.upper()} {path} {parameter['name']}={value}: {exc!r}")
            continue
        # then the answer is a 422 naming it, or for a query, the 404 of the path's row
        # when a dependency looked that up first (FastAPI checks the query after it)
        fields = [e["field"] for e in response.json().get("errors", [])]
        named = response.status_code == 422 and any(f.startswith(parameter["name"]) for f in fields)
        if not (named or (response.status_code == 404 and parameter["in"] != "path")):
            wrong.append(f"{method.upper()} {path} {parameter['name']}={value}: {response}")
    assert wrong == []
