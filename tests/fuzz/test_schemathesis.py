"""Schemathesis over every operation of the OpenAPI schema, against the real app.

The app runs over a migrated SQLite database seeded with a small demo world, so the ids
the generator tries (1, 2, ...) name real taxonomies, mappings, datasets, frames and
jobs. Every check runs (``--checks all``: no 5xx; status codes, content types, headers
and bodies as declared; schema-invalid input refused, valid input accepted), on data
that fits the schema and on data that does not. Examples are bounded and derandomized:
the same cases every run, a few minutes on two cores. Run alone: ``pytest tests/fuzz``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from ontolabel.core.config import Settings
from ontolabel.core.db import upgrade_database
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.feedback import FeedbackSources

# What ``schema.parametrize()`` builds per operation. Its fixture form (``from_fixture``)
# fails under pytest 9 (it renames ``node._nodeid``), so the test calls it per operation:
# the version is pinned in pyproject.toml.
from schemathesis.pytest._test_builder import build_operation_test

MAX_EXAMPLES = 25
"""Generated cases per operation (fitting the schema and not); the examples and coverage
phases add their own, a deterministic few dozen."""

load_all_checks()
ALL_CHECKS = CHECKS.get_all()

CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            # A body can fit the schema and still name a row that does not exist, or carry
            # a file that does not parse: the API refuses it with 422 naming the field.
            # Every other refusal of schema-valid input still fails the run.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]
            }
        }
    }
)


def _operations() -> list[str]:
    """``METHOD /path`` of every operation; the routes do not depend on the settings."""
    from ontolabel.api.app import create_app

    with tempfile.TemporaryDirectory() as home:
        app = create_app(Settings(home=Path(home)))
        paths = app.openapi()["paths"]
        app.state.engine.dispose()
    return [f"{method.upper()} {path}" for path, item in paths.items() for method in item]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    """The schema of an app over the demo world, its lifespan (job dispatcher) running."""
    from fastapi.testclient import TestClient
    from ontolabel.api.app import create_app
    from ontolabel.demo.world import install_demo

    home = tmp_path_factory.mktemp("fuzz") / "home"
    home.mkdir()
    config = Settings(home=home, database_url=f"sqlite:///{home / 'ontolabel.db'}")
    upgrade_database(config.sqlalchemy_url)
    install_demo(config, frames_per_dataset=4, size=(96, 48), echo=lambda _m: None)
    app = create_app(config)
    with TestClient(app):
        yield schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
    app.state.engine.dispose()


@pytest.mark.parametrize("operation", _operations())
def test_operation(api_schema: schemathesis.BaseSchema, operation: str) -> None:
    method, path = operation.split(" ", 1)
    endpoint = api_schema[path][method]

    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=ALL_CHECKS)

    # The phases the CLI runs: the schema's examples, the coverage cases (boundaries,
    # missing and wrongly typed values), then generated data that fits and that does not.
    build_operation_test(
        config=api_schema.config,
        operation=endpoint,
        test_func=fuzz,
        given_kwargs={},
        feedback=FeedbackSources(),
        explicit_settings=settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )()
