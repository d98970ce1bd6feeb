"""Shared fixtures: real databases (SQLite file, PostgreSQL), settings in a temp home.

Services: under ``CI=true`` a missing PostgreSQL or Redis fails the run; elsewhere
the tests that need it are skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from ontolabel.core.config import Settings
from ontolabel.core.db import make_engine, make_session_factory, upgrade_database
from ontolabel.core.tables import metadata
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

PG_ADMIN_URL = os.environ.get(
    "ONTOLABEL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("ONTOLABEL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"


def service_missing(name: str, why: str) -> None:
    """Fail under CI, skip elsewhere."""
    if IN_CI:
        pytest.fail(f"{name} is required under CI=true but unavailable: {why}")
    pytest.skip(f"{name} unavailable: {why}")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session, dropped afterwards."""
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            name = f"ontolabel_test_{uuid.uuid4().hex[:10]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        service_missing("PostgreSQL", str(exc).splitlines()[0])
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade_database(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(engine: Engine) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    if not tables:
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                conn.execute(text(f'DELETE FROM "{t}"'))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each kind; persistence tests run on both."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ontolabel.db'}"
        upgrade_database(url)
        return url
    url: str = request.getfixturevalue("pg_database")
    engine = make_engine(url)
    _truncate_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    data = tmp_path / "data"
    data.mkdir()
    return Settings(home=home, database_url=db_url, data_roots=str(data))


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    eng = make_engine(settings.sqlalchemy_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def client(settings: Settings) -> Iterator[object]:
    """A TestClient on a real app over the parametrised database."""
    from fastapi.testclient import TestClient
    from ontolabel.api.app import create_app

    app = create_app(settings)
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()


@pytest.fixture
def accounts_client(settings: Settings) -> Iterator[object]:
    """A TestClient on an accounts-mode app; it acts as the admin ``admin`` unless a
    request sends its own ``Authorization`` (``support.accounts.auth_headers``)."""
    from support.accounts import accounts_client as open_client

    with open_client(settings) as c:
        yield c


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The CLI's environment at its defaults: an empty ``ONTOLABEL_HOME`` (not created yet),
    no configured database or broker; settings are read afresh."""
    from ontolabel.core.config import get_settings

    path = tmp_path / "home"
    monkeypatch.setenv("ONTOLABEL_HOME", str(path))
    monkeypatch.delenv("ONTOLABEL_DATABASE_URL", raising=False)
    monkeypatch.delenv("ONTOLABEL_REDIS_URL", raising=False)
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()
