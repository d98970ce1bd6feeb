"""Accounts mode in the browser: the sign-in form, then the app as the signed-in user,
whose writes carry the CSRF header."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import ACCOUNT, shot

pytestmark = pytest.mark.browser


def test_signing_in_through_the_form_opens_the_taxonomies_screen(
    browser: Any, accounts_server: str
) -> None:
    ctx = browser.new_context(base_url=accounts_server, viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    try:
        # given the app answers 401 to an anonymous browser: the form is shown
        page.goto("/")
        form = page.get_by_role("form", name="Sign in")
        name, password = ACCOUNT
        form.get_by_label("Password").fill("wrong password")
        form.get_by_label("User name").fill(name)
        form.get_by_role("button", name="Sign in").click()
        expect(form.get_by_role("alert")).to_contain_text("wrong user name or password")
        # when signing in with the right password
        form.get_by_label("Password").fill(password)
        form.get_by_role("button", name="Sign in").click()
        # then the taxonomies screen, with who is signed in and a way out
        expect(page.get_by_role("heading", name="Taxonomies")).to_be_visible()
        expect(page.get_by_label("Signed in as")).to_contain_text(f"{name} · editor")
        shot(page, "sign-in-taxonomies")
        # and a write from the page (session cookie + X-CSRF-Token) is accepted
        csv = b"id,name,color\n0,road,#804080\n1,sky,#4682b4\n"
        page.get_by_label("taxonomy file").set_input_files(
            {"name": "labels.csv", "mimeType": "text/csv", "buffer": csv}
        )
        page.get_by_placeholder("name (default: file name)").fill("rita-taxonomy")
        page.get_by_role("button", name="Import").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("rita-taxonomy")
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("form", name="Sign in")).to_be_visible()
    finally:
        ctx.close()
