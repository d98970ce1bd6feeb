"""The web app loads from the API server."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import shot

pytestmark = pytest.mark.browser


def test_app_shell_loads(page: Any) -> None:
    page.goto("/")
    page.get_by_role("link", name="Mappings").wait_for()
    shot(page, "00-shell")
