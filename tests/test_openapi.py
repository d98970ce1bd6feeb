"""The OpenAPI document is complete: every JSON body in and out comes with an example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ontolabel.api.app import create_app
from ontolabel.core.config import Settings

JSON = dict[str, Any]


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> JSON:
    home: Path = tmp_path_factory.mktemp("home")
    app = create_app(Settings(home=home))
    try:
        return app.openapi()
    finally:
        app.state.engine.dispose()


def _has_example(spec: JSON, schema: JSON, depth: int = 0) -> bool:
    """An example on the schema, on every branch of a union, or on a list's items."""
    if "example" in schema or "examples" in schema:
        return True
    if "$ref" in schema:
        target = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        if "example" in target or "examples" in target:
            return True
        items = target.get("properties", {}).get("items", {})
        return depth == 0 and "items" in items and _has_example(spec, items["items"], 1)
    union = schema.get("anyOf", []) + schema.get("oneOf", [])
    branches = [s for s in union if s.get("type") != "null"]
    return bool(branches) and all(_has_example(spec, s, depth) for s in branches)


def _operations(spec: JSON) -> list[tuple[str, JSON]]:
    return [
        (f"{method.upper()} {path}", op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    ]


def test_every_json_request_body_has_an_example(spec: JSON) -> None:
    missing = []
    for name, op in _operations(spec):
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None and not ("examples" in body or _has_example(spec, body["schema"])):
            missing.append(name)
    assert missing == []


def _open_objects(spec: JSON, schema: JSON, seen: set[str]) -> list[str]:
    """Names of the object schemas under ``schema`` that accept keys they do not declare."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        target = spec["components"]["schemas"][name]
        own = (
            [name]
            if "properties" in target and target.get("additionalProperties") is not False
            else []
        )
        return own + _open_objects(spec, {**target, "additionalProperties": False}, seen)
    found = []
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for branch in schema.get(key, []):
            found += _open_objects(spec, branch, seen)
    items = [schema["items"]] if "items" in schema else []
    for sub in (*schema.get("properties", {}).values(), *items):
        found += _open_objects(spec, sub, seen)
    if "properties" in schema and schema.get("additionalProperties") is not False:
        found.append("(inline)")
    return found


def test_every_json_request_body_refuses_unknown_keys(spec: JSON) -> None:
    # a typo in a key would otherwise be dropped silently and its default used instead
    open_bodies = {}
    for name, op in _operations(spec):
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            found = set(_open_objects(spec, body["schema"], set()))
            if found:
                open_bodies[name] = sorted(found)
    assert open_bodies == {}


def test_every_json_response_has_an_example(spec: JSON) -> None:
    missing = []
    for name, op in _operations(spec):
        for code, response in op["responses"].items():
            body = response.get("content", {}).get("application/json")
            if not code.startswith("2") or body is None:
                continue
            if not ("example" in body or "examples" in body or _has_example(spec, body["schema"])):
                missing.append(f"{name} {code}")
    assert missing == []


def test_frame_pictures_declare_their_media_types(spec: JSON) -> None:
    paths = spec["paths"]
    for route, types in (
        ("image", {"image/png", "image/jpeg", "image/webp"}),
        ("label", {"image/png"}),
        ("overlay", {"image/png"}),
        ("thumbnail", {"image/jpeg"}),
        ("preview", {"image/png"}),
    ):
        ok = paths[f"/api/frames/{{frame_id}}/{route}"]["get"]["responses"]["200"]
        assert set(ok["content"]) == types, route
