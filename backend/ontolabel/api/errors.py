"""Error rendering: every failure answers one JSON shape, ``core.schemas.ErrorRead``.

``detail`` is always a string a person can act on. Domain errors carry their status
and extra keys (``field``, ``file``, ``line``, a 409's ``current``); request validation
names each refused field in ``detail`` and lists them in ``errors``; an unknown route, a
wrong method and an unexpected failure say so in the same shape (docs/api.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

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


def service_unavailable(detail: str) -> JSONResponse:
    """503 with ``Retry-After``: the server is well but busy; the same request will do."""
    headers = {"Retry-After": str(RETRY_AFTER_S)}
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


def install_error_handlers(app: FastAPI) -> None:
    """Render every error path of ``app`` as an :class:`ErrorRead`."""

    @app.exception_handler(OntolabelError)
    async def _domain(_request: Request, exc: OntolabelError) -> JSONResponse:
        return JSONResponse({"detail": exc.message, **exc.extra}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_field_error(e) for e in exc.errors()]
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or "invalid request"
        content = ErrorRead(detail=detail, field=errors[0].field if errors else None, errors=errors)
        return _body(422, content)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        detail = str(exc.detail)
        route = f"{request.method} {request.url.path}"
        if detail == HTTPStatus(exc.status_code).phrase:
            # Starlette's bare phrases ("Not Found") tell a caller nothing to do.
            if exc.status_code == 404:
                detail = f"no such route: {route}; every route is listed at /docs"
            elif exc.status_code == 405:
                allowed = Headers(exc.headers or {}).get("allow")
                use = f"; use {allowed}" if allowed else ""
                detail = f"{request.method} is not allowed on {request.url.path}{use}"
        return _body(exc.status_code, ErrorRead(detail=detail), headers=exc.headers)

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
