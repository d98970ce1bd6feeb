"""Settings come from the documented ONTOLABEL_* variables, with the documented defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ontolabel.core.config import Settings

VARIABLES = (
    "ONTOLABEL_HOME",
    "ONTOLABEL_DATABASE_URL",
    "ONTOLABEL_REDIS_URL",
    "ONTOLABEL_DATA_ROOTS",
    "ONTOLABEL_OUTPUT_ROOT",
    "ONTOLABEL_CACHE_DIR",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    return monkeypatch


def test_defaults_are_the_embedded_setup(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # given no ONTOLABEL_* variable
    settings = Settings()
    # then: home in ~/.ontolabel, a SQLite file there, in-process jobs, outputs in the home
    home = tmp_path / "user" / ".ontolabel"
    assert settings.home == home
    assert settings.sqlalchemy_url == f"sqlite:///{home / 'ontolabel.db'}"
    assert settings.redis_url is None and settings.is_embedded
    assert settings.outputs == home / "outputs"
    assert settings.cache_dir == home / "cache"
    assert settings.allowed_data_roots == [home / "demo"]  # only the demo world


def test_every_variable_is_read(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # given each documented variable set
    clean_env.setenv("ONTOLABEL_HOME", str(tmp_path / "h"))
    clean_env.setenv("ONTOLABEL_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/x")
    clean_env.setenv("ONTOLABEL_REDIS_URL", "redis://127.0.0.1:6379/3")
    clean_env.setenv("ONTOLABEL_DATA_ROOTS", os.pathsep.join(["/data/a", "/data/b", ""]))
    clean_env.setenv("ONTOLABEL_OUTPUT_ROOT", str(tmp_path / "out"))
    clean_env.setenv("ONTOLABEL_CACHE_DIR", str(tmp_path / "shared/cache"))
    settings = Settings()
    # then each one lands where the README says
    assert settings.home == tmp_path / "h"
    assert settings.sqlalchemy_url == "postgresql+psycopg://postgres@127.0.0.1/x"
    assert settings.redis_url == "redis://127.0.0.1:6379/3" and not settings.is_embedded
    assert settings.allowed_data_roots == [Path("/data/a"), Path("/data/b"), tmp_path / "h/demo"]
    assert settings.outputs == tmp_path / "out"
    assert settings.cache_dir == tmp_path / "shared/cache"


def test_a_quoted_tilde_means_the_user_home(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("ONTOLABEL_HOME", "~/labels")
    clean_env.setenv("ONTOLABEL_OUTPUT_ROOT", "~/pseudo")
    clean_env.setenv("ONTOLABEL_DATA_ROOTS", "~/data")
    clean_env.setenv("ONTOLABEL_CACHE_DIR", "~/cache")
    settings = Settings()
    user = tmp_path / "user"
    assert settings.home == user / "labels"
    assert settings.outputs == user / "pseudo"
    assert settings.allowed_data_roots[0] == user / "data"
    assert settings.cache_dir == user / "cache"


def test_the_cache_follows_the_home_unless_set(tmp_path: Path) -> None:
    # given a home and no cache folder of its own
    settings = Settings(home=tmp_path / "h")
    # then previews and thumbnails are cached in the home; a set cache_dir wins
    assert settings.cache_dir == tmp_path / "h/cache"
    assert Settings(home=tmp_path / "h", cache_dir=tmp_path / "c").cache_dir == tmp_path / "c"


def test_route_threads_follow_the_database_unless_set(tmp_path: Path) -> None:
    pg = "postgresql+psycopg://u@h/db"
    sizes = {"db_pool_size": 20, "db_max_overflow": 20}
    assert Settings(home=tmp_path, **sizes).thread_count == 8  # SQLite: one writer
    assert Settings(home=tmp_path, database_url=pg, **sizes).thread_count == 40
    assert Settings(home=tmp_path, database_url=pg, api_threads=5, **sizes).thread_count == 5
    with pytest.raises(ValueError, match="db_pool_size"):
        Settings(home=tmp_path, db_pool_size=0)
