"""The FastAPI application: routers, error rendering, static frontend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp

from ontolabel import __version__
from ontolabel.accounts.routes import audit_router, auth_router, tokens_router, users_router
from ontolabel.api.admission import Admission
from ontolabel.api.errors import ANY_ERROR, INVALID_REQUEST, install_error_handlers
from ontolabel.api.headers import SecurityHeaders
from ontolabel.api.limits import BodyLimit
from ontolabel.api.retry import RetryTransient
from ontolabel.core.config import Settings, get_settings
from ontolabel.core.db import make_engine, make_session_factory
from ontolabel.datasets.routes import router as datasets_router
from ontolabel.frames.routes import router as frames_router
from ontolabel.jobs.kinds import import_kind_modules, params_models
from ontolabel.jobs.routes import creation_router
from ontolabel.jobs.routes import router as jobs_router
from ontolabel.mappings.routes import router as mappings_router
from ontolabel.models.routes import router as models_router
from ontolabel.preview.routes import router as preview_router
from ontolabel.taxonomies.routes import router as taxonomies_router
from ontolabel.verifications.routes import router as verifications_router

FRONTEND_DIST = Path(__file__).resolve().parents[3] / "frontend" / "dist"


class _App(FastAPI):
    """FastAPI with the security headers outside its error middleware, so a 500 has them."""

    def build_middleware_stack(self) -> ASGIApp:
        docs = {p for p in (self.docs_url, self.redoc_url) if p}
        return SecurityHeaders(super().build_middleware_stack(), docs_paths=docs)


@asynccontextmanager
async def _thread_limit(app: FastAPI) -> AsyncIterator[None]:
    """Size the threads of synchronous routes to the connection pool (``Settings.thread_count``).

    AnyIO's default is 40 whatever the pool: more threads than connections and the extra
    threads only wait for one, holding their request; the rest queue here, holding nothing.
    """
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = app.state.settings.thread_count
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings``; the database must already be migrated."""
    settings = settings or get_settings()
    app = _App(
        title="ontolabel",
        version=__version__,
        description="Taxonomies, ontology mappings and constrained pseudo-labels.",
        responses=ANY_ERROR,
        lifespan=_thread_limit,
    )
    engine = make_engine(
        settings.sqlalchemy_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)

    install_error_handlers(app)
    app.add_middleware(RetryTransient)  # inside BodyLimit: it replays a body already bounded
    app.add_middleware(Admission, limit=settings.admitted_requests)
    app.add_middleware(BodyLimit)
    if settings.allowed_origins:  # else no CORS header at all: other origins are refused
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )

    @app.get(
        "/api/health",
        tags=["health"],
        responses={
            200: {
                "content": {"application/json": {"example": {"status": "ok", "version": "0.1.0"}}}
            }
        },
    )
    def health() -> dict[str, str]:
        """Answers once the app is ready to serve."""
        return {"status": "ok", "version": __version__}

    for router in (
        auth_router,
        users_router,
        tokens_router,
        audit_router,
        taxonomies_router,
        mappings_router,
        datasets_router,
        frames_router,
        verifications_router,
        jobs_router,
        models_router,
        preview_router,
    ):
        app.include_router(router, responses=INVALID_REQUEST)
    import_kind_modules(settings.extra_kind_modules)  # plugin kinds join POST /api/jobs
    app.include_router(creation_router(params_models()), responses=INVALID_REQUEST)

    if FRONTEND_DIST.is_dir():
        app.mount("/", StaticFiles(directory=FRONTEND_DIST, html=True), name="frontend")
    return app
