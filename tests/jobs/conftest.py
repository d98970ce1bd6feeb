"""Job-system fixtures: settings that know the test kind, a job factory, real workers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.jobs import service
from sqlalchemy.orm import Session, sessionmaker
from support.celery_worker import celery_stack  # noqa: F401  (fixture)

from . import kinds_for_tests

KIND_MODULE = kinds_for_tests.__name__


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings plus the test kind and short leases."""
    return settings.model_copy(
        update={"extra_kind_modules": KIND_MODULE, "job_lease_s": 2, "max_deliveries": 3}
    )


@pytest.fixture
def make_job(settings: Settings, session_factory: sessionmaker[Session]) -> Callable[..., int]:
    """Create a committed ``test_writer`` job (no dispatcher: tests drive it)."""

    def make(**params: Any) -> int:
        with session_scope(session_factory) as session:
            writer = kinds_for_tests.WriterParams(**params)
            return service.create_job(session, settings, writer, "tester").id

    return make
