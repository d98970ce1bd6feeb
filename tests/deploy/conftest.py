"""The parsed compose file, shared by the deployment tests."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from support.deploy_files import COMPOSE_FILE


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


@pytest.fixture(scope="session")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found
