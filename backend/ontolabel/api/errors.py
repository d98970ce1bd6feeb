"""Error rendering: every failure answers one JSON shape, ``core.schemas.ErrorRead``.

``detail`` is always a string a person can act on. Domain errors carry their status
and extra keys (``field``, ``file``, ``line``, a 409's ``current``); request validation
names each refused field in ``detail`` and lists them in ``errors``; an unknown route, a
wrong method and an unexpected failure say so in the same shape (docs/api.md); an
unreachable database is 503 with ``Retry-After``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

from ontolabel.core.db import is_transient
from ontolabel.core.schemas import ErrorRead, FieldError
from ontolabel.errors import OntolabelError

_REQUEST_PARTS = ("body", "query", "path", "header", "cookie")

# Errors are JSON whatever the route answers on success (an event stream, a PNG), so the
# media type is named rather than left to FastAPI, which would take the route's.
_JSON_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorRead"}}}
ANY_ERROR: dict[int | str, dict[str, Any]] = {
    "default": {
        "model": ErrorRead,
        "content": _JSON_ERROR,
        "description": "Any error: `detail` says what to do.",
    }
}
INVALID_REQUEST: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ErrorRead,
        "content": _JSON_ERROR,
        "description": "Invalid input: `detail` names the field(s), `errors` lists each.",
    }
}


def _body(
    status: int, content: ErrorRead, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(content.model_dump(exclude_none=True), status_code=status, headers=headers)


RETRY_AFTER_S = 1
"""What a 503 asks a client to wait: a busy moment passes within about a second."""


def service_unavailable(detail: str, retry_after_s: int = RETRY_AFTER_S) -> JSONResponse:
    """503 with ``Retry-After``: busy or unreachable for a while; the same request will do."""
    headers = {"Retry-After": str(retry_after_s)}
    return _body(503, ErrorRead(detail=detail), headers=headers)


def field_name(loc: Sequence[str | int]) -> str:
    """``("body", "classes", 0, "id")`` → ``classes[0].id``: the name the client sent."""
    parts = list(loc[1:] if len(loc) > 1 and loc[0] in _REQUEST_PARTS else loc)
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
    return name or "body"


def _field_error(error: dict[str, Any]) -> FieldError:
    loc, ctx = tuple(error.get("loc", ())), error.get("ctx") or {}
    if error.get("type") == "json_invalid":
        at = f" at character {loc[1]}" if len(loc) > 1 else ""
        return FieldError(field="body", message=f"malformed JSON{at}: {ctx.get('error', '')}")
    if error.get("type") in ("union_tag_invalid", "union_tag_not_found"):
        # The discriminator (a job's ``kind``) is the field to fix, not the whole object.
        loc = (*loc, str(ctx.get("discriminator", "")).strip("'"))
    return FieldError(field=field_name(loc), message=str(error.get("msg", "invalid")))


def allowed_methods(request: Request) -> list[str]:
    """The methods the OpenAPI document lists for this URL's path.

    Starlette's ``Allow`` names only the first route that matched, and a route whose
    integer parameter cannot read this path (``/api/taxonomies/import`` against
    ``/api/taxonomies/{taxonomy_id}``) does not answer here at all.
    """
    path, allowed = request.url.path, set()
    for pattern, methods in _documented_paths(request.app):
        if pattern.fullmatch(path):
            allowed.update(methods)
    return sorted(allowed)


def _documented_paths(app: FastAPI) -> list[tuple[re.Pattern[str], list[str]]]:
    cached: list[tuple[re.Pattern[str], list[str]]] | None = getattr(
        app.state, "documented_paths", None
    )
    if cached is None:
        cached = [
            (_path_pattern(template, item), [m.upper() for m in item if m in _METHODS])
            for template, item in app.openapi()["paths"].items()
        ]
        app.state.documented_paths = cached
    return cached


_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _path_pattern(template: str, item: Mapping[str, Any]) -> re.Pattern[str]:
    """``/api/x/{x_id}`` as a regex: an integer parameter matches digits only."""
    kinds: dict[str, str] = {}
    for operation in item.values():
        for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
            if parameter.get("in") == "path":
                kinds[parameter["name"]] = parameter.get("schema", {}).get("type", "string")
    pattern = ""
    for literal, name in re.findall(r"([^{]*)(?:\{([^}]*)\})?", template):
        pattern += re.escape(literal)
        if name:
            pattern += r"-?\d+" if kinds.get(name) == "integer" else r"[^/]+"
    return re.compile(pattern)


def _not_allowed(request: Request, methods: list[str]) -> JSONResponse:
    allowed = ", ".join(methods)
    detail = f"{request.method} is not allowed on {request.url.path}; use {allowed}"
    return _body(405, ErrorRead(detail=detail), headers={"Allow": allowed})


DATABASE_RETRY_AFTER_S = 5


def is_database_unavailable(exc: BaseException) -> bool:
    """A database that cannot be reached (down, restarting, refusing connections): worth
    retrying shortly, unlike a bug in a query. (An exhausted pool has its own handler.)"""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def install_error_handlers(app: FastAPI) -> None:
    """Render every error path of ``app`` as an :class:`ErrorRead`."""

    @app.exception_handler(OntolabelError)
    async def _domain(_request: Request, exc: OntolabelError) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.message, **exc.extra}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        if any(tuple(e.get("loc", ()))[:1] == ("path",) for e in exc.errors()):
            # A word where an id goes may be another route's path, for another method.
            methods = allowed_methods(request)
            if methods and request.method not in methods:
                return _not_allowed(request, methods)
        errors = [_field_error(e) for e in exc.errors()]
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or "invalid request"
        content = ErrorRead(detail=detail, field=errors[0].field if errors else None, errors=errors)
        return _body(422, content)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        detail = str(exc.detail)
        route = f"{request.method} {request.url.path}"
        if exc.status_code == 404:
            # An API path asked with another method falls through to the frontend's files
            # (mounted at ``/``), which know no API route: the path exists, the method not.
            methods = allowed_methods(request)
            if methods and request.method not in methods:
                return _not_allowed(request, methods)
        if detail == HTTPStatus(exc.status_code).phrase:
            # Starlette's bare phrases ("Not Found") tell a caller nothing to do.
            if exc.status_code == 404:
                detail = f"no such route: {route}; every route is listed at /docs"
            elif exc.status_code == 405:
                # A ``{name:path}`` parameter reads as one segment in OpenAPI: then
                # Starlette's own list stands.
                listed = Headers(exc.headers or {}).get("allow", "")
                methods = allowed_methods(request) or [
                    m.strip() for m in listed.split(",") if m.strip()
                ]
                if methods:
                    return _not_allowed(request, methods)
                detail = f"{request.method} is not allowed on {request.url.path}"
        return _body(exc.status_code, ErrorRead(detail=detail), headers=exc.headers)

    async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        if not is_database_unavailable(exc):
            raise exc  # a bug, not an outage: the 500 handler answers and logs it
        if is_transient(exc):
            raise exc  # another writer held the lock: ``api.retry`` runs the request again
        # The pool pings connections before use (pool_pre_ping), so once the database is
        # back the next request gets a fresh connection: no restart needed.
        detail = (
            f"the database is unavailable ({type(exc.__cause__ or exc).__name__}); "
            f"try again in {DATABASE_RETRY_AFTER_S} s"
        )
        return service_unavailable(detail, retry_after_s=DATABASE_RETRY_AFTER_S)

    app.add_exception_handler(DBAPIError, _database_unavailable)

    @app.exception_handler(PoolTimeout)
    async def _pool_timeout(request: Request, exc: PoolTimeout) -> JSONResponse:
        # Every database connection stayed busy for ONTOLABEL_DB_POOL_TIMEOUT_S.
        return service_unavailable(
            f"the server is busy ({request.method} {request.url.path} waited for a database "
            "connection too long); retry in a moment"
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The server re-raises after this answer, so the traceback lands in its log.
        detail = (
            f"internal error ({type(exc).__name__}) in {request.method} {request.url.path}; "
            "the server log has the traceback: please report it"
        )
        return _body(500, ErrorRead(detail=detail))
