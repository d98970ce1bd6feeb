"""Transient database conflicts never reach a client: the request runs again.

A request is one unit of work (``api.deps.get_db`` commits it), so when it fails on a
conflict that starting again gets past (``core.db.is_transient``: SQLite's "database is
locked", PostgreSQL's serialization failure or deadlock) its transaction has rolled back
and nothing of it was kept; the request is replayed from its first body byte, with the
backoff of ``core.db.RETRY_DELAYS_S``. Once a response has started nothing is retried.

A replay's transaction begins as the writer (``ATTEMPT``, read by ``api.deps.get_db``):
it then waits for SQLite's lock up front and cannot fail on it again the same way. The
first attempt does not, so read-only requests sent by POST (lint, previews) never hold
the lock, and most writers never meet another.
When every attempt failed the answer is 503 with ``Retry-After``, never a 500.
"""

from __future__ import annotations

import logging
import random

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ontolabel.api.errors import service_unavailable
from ontolabel.core.db import RETRY_DELAYS_S, is_transient

log = logging.getLogger(__name__)

ATTEMPT = "ontolabel.attempt"
"""Scope key: which attempt at the request this is (0 the first)."""


class RetryTransient:
    """ASGI middleware: replay a request whose unit of work met a transient conflict.

    The body messages the app read are kept (it holds them anyway; ``api.limits``
    bounds them) and fed again to the next attempt before any new one is read.
    """

    def __init__(self, app: ASGIApp, delays: tuple[float, ...] = RETRY_DELAYS_S) -> None:
        self.app = app
        self.delays = delays

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen: list[Message] = []
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        for attempt in range(len(self.delays) + 1):
            replayed = 0
            scope[ATTEMPT] = attempt

            async def receive_again() -> Message:
                nonlocal replayed
                if replayed < len(seen):
                    replayed += 1
                    return seen[replayed - 1]
                message = await receive()
                if message["type"] == "http.request":
                    seen.append(message)
                    replayed += 1
                return message

            try:
                await self.app(scope, receive_again, send_tracked)
                return
            except Exception as exc:
                if started or not is_transient(exc):
                    raise
                if attempt == len(self.delays):
                    log.warning("%s %s: gave up after %d attempts: %s", *_route(scope), exc)
                    response = service_unavailable(
                        "the database stayed busy with other writes; retry in a moment"
                    )
                    await response(scope, receive, send)
                    return
            # Jitter spreads the writers that collided, so they do not collide again.
            delay = self.delays[attempt] * random.uniform(0.5, 1.5)
            log.info("%s %s: transient conflict, attempt %d again", *_route(scope), attempt + 2)
            await anyio.sleep(delay)


def _route(scope: Scope) -> tuple[str, str]:
    return scope.get("method", ""), scope.get("path", "")
