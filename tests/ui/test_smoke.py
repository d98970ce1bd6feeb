"""The web app loads from the API server."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import shot

pytestmark = pytest.mark.browser


def test_app_shell_loads_within_its_content_security_policy(page: Any) -> None:
    # (Chromium reports each thing the policy blocks as a console error naming it)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Security Policy" in m.text else None)
    page.goto("/")
    page.get_by_role("link", name="Mappings").wait_for()
    shot(page, "00-shell")
    assert refused == []
