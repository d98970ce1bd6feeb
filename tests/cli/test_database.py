"""Every command that uses the database works on a fresh or an older one.

The embedded SQLite file is migrated on first use; a configured database
(``ONTOLABEL_DATABASE_URL``) that is behind gets a one-line message naming the command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.migration import MigrationContext
from click.testing import CliRunner
from ontolabel.cli.catalog import DEFAULT_CATALOG
from ontolabel.cli.main import cli
from ontolabel.core.config import get_settings
from ontolabel.core.db import alembic_config, make_engine, schema_state, upgrade_database

HEAD = schema_state("sqlite://").head  # the newest migration, whatever its number
OLDER = "0005"


def _configure(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("ONTOLABEL_DATABASE_URL", url)
    get_settings.cache_clear()


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _migrate_to(url: str, revision: str) -> None:
    command.upgrade(alembic_config(url), revision)


COMMANDS = [
    ["jobs", "list"],
    ["dataset", "list"],
    ["ontologies", "load", "--dir", str(DEFAULT_CATALOG)],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_command_on_a_fresh_home_migrates_the_embedded_database(
    cli_home: Path, args: list[str]
) -> None:
    # given an empty home
    # when a command that reads the database runs
    result = CliRunner().invoke(cli, args)
    # then it works, and the embedded database is at the newest revision
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert _revision(f"sqlite:///{cli_home / 'ontolabel.db'}") == HEAD


def test_an_older_embedded_database_is_migrated_on_first_use(cli_home: Path) -> None:
    # given the embedded database at an older revision
    url = f"sqlite:///{cli_home / 'ontolabel.db'}"
    cli_home.mkdir()
    _migrate_to(url, OLDER)
    # when a command runs
    result = CliRunner().invoke(cli, ["jobs", "list"])
    # then it works on the migrated database
    assert result.exit_code == 0, result.output
    assert "0 of 0 job(s)" in result.output
    assert _revision(url) == HEAD


def test_a_configured_database_that_is_behind_names_the_command_to_run(
    cli_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a configured database at an older revision (someone's server's)
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    _migrate_to(url, OLDER)
    _configure(monkeypatch, url)
    runner = CliRunner()
    # when a command runs, then it refuses in one line naming the command, and migrates nothing
    refused = runner.invoke(cli, ["jobs", "list"])
    assert refused.exit_code == 1
    assert len(refused.output.strip().splitlines()) == 1, refused.output
    assert "`ontolabel db upgrade`" in refused.output and OLDER in refused.output
    assert _revision(url) == OLDER
    # and once that command ran, the first one works
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    listed = runner.invoke(cli, ["jobs", "list"])
    assert listed.exit_code == 0, listed.output


def test_an_empty_configured_database_names_the_command_to_run(
    cli_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(monkeypatch, f"sqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(cli, ["dataset", "list"])
    assert result.exit_code == 1
    assert "no ontolabel tables" in result.output and "`ontolabel db upgrade`" in result.output


def test_a_database_newer_than_the_code_is_refused_clearly(
    cli_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a database a newer ontolabel migrated past this code's newest revision
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    engine.dispose()
    _configure(monkeypatch, url)
    # when a command runs, then it says the code is older than the database
    result = CliRunner().invoke(cli, ["jobs", "list"])
    assert result.exit_code == 1
    assert "0099" in result.output and "upgrade ontolabel" in result.output


def test_commands_print_no_warning_on_a_fresh_or_an_older_home(tmp_path: Path) -> None:
    # given the ontolabel command run as a user would, on a fresh home
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONTOLABEL_")}
    env["ONTOLABEL_HOME"] = str(tmp_path / "home")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ontolabel.cli.main", *args],
            env=env, capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip

    # when it migrates the database, then again on a migrated one
    first, again = run("dataset", "list"), run("jobs", "list")
    # then neither prints anything on stderr (no SQLAlchemy reflection warning)
    assert (first.returncode, first.stderr) == (0, "")
    assert (again.returncode, again.stderr) == (0, "")
    # and an older database being migrated is quiet too
    older = tmp_path / "older"
    older.mkdir()
    _migrate_to(f"sqlite:///{older / 'ontolabel.db'}", OLDER)
    env["ONTOLABEL_HOME"] = str(older)
    migrated = run("jobs", "list")
    assert (migrated.returncode, migrated.stderr) == (0, "")
