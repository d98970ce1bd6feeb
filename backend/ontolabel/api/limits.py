"""Request body limits, enforced while the body arrives and before FastAPI parses it.

FastAPI reads a whole body before validating it (and Starlette spools an upload to disk
first), so a limit checked in a route comes after the cost. Here a declared
``Content-Length`` over the limit is answered at once, nothing read, and a body without
one is counted chunk by chunk and refused at the first chunk past it.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ontolabel.core.config import Settings

FORM_ROOM_BYTES = 64 * 1024
"""Room an upload's form gets beyond ``max_upload_bytes`` for its other fields and part
headers; the file itself is held to the limit by ``core.uploads.read_limited``."""


def body_limit(settings: Settings, content_type: str) -> tuple[int, str]:
    """The most bytes a body of ``content_type`` may have, and the setting that says so."""
    if content_type.lower().startswith("multipart/form-data"):
        return settings.max_upload_bytes + FORM_ROOM_BYTES, "ONTOLABEL_MAX_UPLOAD_BYTES"
    return settings.max_json_bytes, "ONTOLABEL_MAX_JSON_BYTES"


def _too_large(limit: int, setting: str) -> tuple[str, dict[str, int]]:
    detail = (
        f"the request body is larger than the {limit}-byte limit; send less, or raise {setting}"
    )
    return detail, {"limit": limit}


class BodyLimit:
    """ASGI middleware: 413 for a body over its limit; the app's settings give the limits."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit, setting = body_limit(scope["app"].state.settings, headers.get("content-type", ""))
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            detail, extra = _too_large(limit, setting)
            response = JSONResponse(
                {"detail": detail, **extra}, status_code=413, headers={"Connection": "close"}
            )
            await response(scope, receive, send)
            return
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI lets an HTTPException from reading the body through to the
                    # error handlers, which answer it like any other error.
                    detail, _ = _too_large(limit, setting)
                    raise HTTPException(413, detail, headers={"Connection": "close"})
            return message

        await self.app(scope, receive_limited, send)
