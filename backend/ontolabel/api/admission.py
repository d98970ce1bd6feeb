"""At most as many API requests run at once as there are threads and connections for them.

A synchronous route takes a thread several times (its dependencies, the route, response
validation) and holds its session's connection in between. With more requests in flight
than threads, the requests holding connections wait for threads while the threads wait for
connections: the pool starves until its timeout, and a burst of 200 readers stalled the
server (docs/performance.md, "Load"). Requests beyond the limit wait here instead, in the
event loop, holding neither, and are served in turn.
"""

from __future__ import annotations

import re

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

UNGATED = re.compile(r"^/api/jobs/[^/]+/events$|^/api/health$")
"""Event streams last as long as their job and use short sessions of their own; health
must answer while the server is busy."""


class Admission:
    """ASGI middleware: ``limit`` API requests at a time, the rest queue in arrival order."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._turns: anyio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/") or UNGATED.match(path):
            await self.app(scope, receive, send)
            return
        if self._turns is None:  # made in the server's event loop, on its first request
            self._turns = anyio.Semaphore(self.limit)
        async with self._turns:
            await self.app(scope, receive, send)
