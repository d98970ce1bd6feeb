"""Security headers on every response, from outside everything else in the app.

The web app's own files need nothing but ``'self'``: Vite builds scripts and styles into
files, Preact sets styles through the DOM (not ``style`` attributes), and preview layers
arrive as ``data:`` URLs, hence ``img-src``. FastAPI's ``/docs`` and ``/redoc`` pages load
their bundles from a CDN and start them with an inline script; they alone get a policy
that allows that, and they show nothing but the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_ALWAYS = ("object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'")
APP_POLICY = "; ".join(("default-src 'self'", "img-src 'self' data: blob:", *_ALWAYS))
_CDN = "https://cdn.jsdelivr.net"
DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        f"script-src 'self' 'unsafe-inline' {_CDN}",
        f"style-src 'self' 'unsafe-inline' {_CDN} https://fonts.googleapis.com",
        "font-src https://fonts.gstatic.com",
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
        "worker-src blob:",
        *_ALWAYS,
    )
)
_FIXED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders:
    """ASGI middleware: sets the policy headers on every HTTP response that ``app`` sends."""

    def __init__(self, app: ASGIApp, *, docs_paths: Collection[str]) -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_POLICY if scope["path"] in self.docs_paths else APP_POLICY

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = policy
                for name, value in _FIXED.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_secured)
