"""``ontolabel jobs …`` and ``ontolabel worker`` from the command line."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner
from ontolabel.cli.main import cli
from ontolabel.core.config import Settings, get_settings

from .kinds_for_tests import KIND


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The CLI reads settings from the environment; point it at the test database."""
    values = {
        "ONTOLABEL_HOME": str(settings.home),
        "ONTOLABEL_DATABASE_URL": settings.sqlalchemy_url,
        "ONTOLABEL_EXTRA_KIND_MODULES": settings.extra_kind_modules,
        "ONTOLABEL_JOB_LEASE_S": "2",
    }
    monkeypatch.delenv("ONTOLABEL_REDIS_URL", raising=False)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield values
    get_settings.cache_clear()


def test_run_show_list_and_wait_a_job(env: dict[str, str], make_job: Callable[..., int]) -> None:
    job_id = make_job(units=3, per_chunk=2, bad_units=[1])
    runner = CliRunner()

    ran = runner.invoke(cli, ["jobs", "run", str(job_id)])
    assert ran.exit_code == 0, ran.output
    assert f"job {job_id}: succeeded 3/3" in ran.output
    assert "[warning] frame_0001: unreadable image (test)" in ran.output

    shown = runner.invoke(cli, ["jobs", "show", str(job_id)])
    assert "frame errors: 1" in shown.output and '"units": 2' in shown.output
    listed = runner.invoke(cli, ["jobs", "list", "--kind", KIND])
    assert "1 of 1 job(s)" in listed.output
    waited = runner.invoke(cli, ["jobs", "wait", str(job_id)])
    assert waited.exit_code == 0 and "succeeded 3/3" in waited.output


def test_wait_exits_1_for_a_failed_job_and_cancel_reports(
    env: dict[str, str], make_job: Callable[..., int]
) -> None:
    runner = CliRunner()
    failing = make_job(units=2, per_chunk=2, raise_in_chunks=[0])
    assert runner.invoke(cli, ["jobs", "run", str(failing)]).exit_code == 1
    waited = runner.invoke(cli, ["jobs", "wait", str(failing)])
    assert waited.exit_code == 1 and "always fails" in waited.output

    queued = make_job(units=2)
    cancelled = runner.invoke(cli, ["jobs", "cancel", str(queued)])
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.output
    missing = runner.invoke(cli, ["jobs", "show", "999"])
    assert missing.exit_code == 1 and "job 999 does not exist" in missing.output


def test_worker_without_a_broker_says_what_to_set(env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["worker"])
    assert result.exit_code == 1
    assert "ONTOLABEL_REDIS_URL" in result.output


def test_the_api_process_never_imports_torch() -> None:
    code = (
        "import sys; from ontolabel.api.app import create_app; "
        "import ontolabel.jobs.service, ontolabel.jobs.runner, ontolabel.jobs.dispatch; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
