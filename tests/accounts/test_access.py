"""Access control in accounts mode: credentials, roles, CSRF, sign-in; local mode's admin."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from ontolabel.core.users import Role
from support.accounts import bearer, token_for
from taxonomies.factories import create_taxonomy, taxonomy_payload

PUBLIC = {"GET /api/health", "POST /api/auth/login", "POST /api/auth/logout"}
"""Operations anyone may call; logout only clears the caller's own cookies."""


def _anonymous(client: TestClient) -> TestClient:
    """A client of the same app that sends no credentials."""
    return TestClient(client.app)


def _operations(client: TestClient) -> list[tuple[str, str]]:
    spec: dict[str, Any] = client.app.openapi()  # type: ignore[attr-defined]
    return [
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if path.startswith("/api/")
    ]


def test_every_api_operation_but_the_public_ones_answers_401_without_credentials(
    accounts_client: TestClient,
) -> None:
    anonymous = _anonymous(accounts_client)
    operations = _operations(accounts_client)
    assert len(operations) > 40  # the walk found the routers
    refused = {}
    for method, path in operations:
        if f"{method} {path}" in PUBLIC:
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = anonymous.request(method, url)
        if response.status_code != 401 or response.headers.get("www-authenticate") != "Bearer":
            refused[f"{method} {path}"] = response.status_code
    assert refused == {}


def test_without_credentials_the_answer_says_how_to_sign_in(accounts_client: TestClient) -> None:
    response = _anonymous(accounts_client).get("/api/taxonomies")
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]
    assert "/api/auth/login" in response.json()["detail"]


def test_health_and_login_need_no_credentials(accounts_client: TestClient) -> None:
    anonymous = _anonymous(accounts_client)
    assert anonymous.get("/api/health").status_code == 200
    wrong = anonymous.post("/api/auth/login", json={"name": "nobody", "password": "x"})
    assert wrong.status_code == 401


def test_a_viewer_reads_but_cannot_write(accounts_client: TestClient) -> None:
    viewer = bearer(token_for(accounts_client, "vera", Role.viewer))
    create_taxonomy(accounts_client, name="t")
    assert accounts_client.get("/api/taxonomies", headers=viewer).status_code == 200
    response = accounts_client.post("/api/taxonomies", json=taxonomy_payload("u"), headers=viewer)
    assert response.status_code == 403
    assert "editor" in response.json()["detail"]


def test_an_editor_writes_but_cannot_manage_users_or_read_the_audit_log(
    accounts_client: TestClient,
) -> None:
    editor = bearer(token_for(accounts_client, "eddie", Role.editor))
    created = accounts_client.post("/api/taxonomies", json=taxonomy_payload("u"), headers=editor)
    assert created.status_code == 201
    assert accounts_client.get("/api/users", headers=editor).status_code == 403
    new_user = {"name": "mallory", "role": "admin"}
    assert accounts_client.post("/api/users", json=new_user, headers=editor).status_code == 403
    assert accounts_client.get("/api/audit", headers=editor).status_code == 403


def test_the_author_is_the_token_user_whatever_a_header_claims(
    accounts_client: TestClient,
) -> None:
    bob = bearer(token_for(accounts_client, "bob"))
    response = accounts_client.post(
        "/api/taxonomies",
        json=taxonomy_payload("t"),
        headers={**bob, "X-Ontolabel-User": "mallory"},
    )
    assert response.status_code == 201
    audit = accounts_client.get("/api/audit", params={"entity": "taxonomy"}).json()
    assert [e["actor"] for e in audit["items"]] == ["bob"]


def test_a_revoked_token_is_refused_at_once(accounts_client: TestClient) -> None:
    bob = bearer(token_for(accounts_client, "bob"))
    tokens = accounts_client.get("/api/tokens", headers=bob).json()["items"]
    assert accounts_client.get("/api/auth/me", headers=bob).json()["name"] == "bob"
    # when bob revokes his token
    revoked = accounts_client.delete(f"/api/tokens/{tokens[0]['id']}", headers=bob)
    assert revoked.status_code == 204
    # then it no longer works
    response = accounts_client.get("/api/auth/me", headers=bob)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_token_is_shown_once_and_listed_by_prefix(accounts_client: TestClient) -> None:
    bob = bearer(token_for(accounts_client, "bob"))
    created = accounts_client.post("/api/tokens", json={"name": "laptop"}, headers=bob)
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("olt_") and len(token) > 40
    listed = accounts_client.get("/api/tokens", headers=bob).json()["items"]
    assert "token" not in listed[0] and token.startswith(listed[0]["prefix"])
    assert accounts_client.get("/api/auth/me", headers=bearer(token)).json()["name"] == "bob"


def test_another_users_token_is_revoked_only_by_an_admin(accounts_client: TestClient) -> None:
    bob, eve = bearer(token_for(accounts_client, "bob")), bearer(token_for(accounts_client, "eve"))
    bobs = accounts_client.get("/api/tokens", headers=bob).json()["items"][0]["id"]
    assert accounts_client.delete(f"/api/tokens/{bobs}", headers=eve).status_code == 403
    assert accounts_client.delete(f"/api/tokens/{bobs}").status_code == 204  # the admin


def test_a_disabled_user_is_refused_at_once(accounts_client: TestClient) -> None:
    bob = bearer(token_for(accounts_client, "bob"))
    bob_id = next(
        u["id"] for u in accounts_client.get("/api/users").json()["items"] if u["name"] == "bob"
    )
    disabled = accounts_client.patch(f"/api/users/{bob_id}", json={"active": False})
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert accounts_client.get("/api/taxonomies", headers=bob).status_code == 401


def test_the_last_active_admin_cannot_be_demoted(accounts_client: TestClient) -> None:
    users = accounts_client.get("/api/users").json()["items"]
    admin_id = next(u["id"] for u in users if u["role"] == "admin")
    response = accounts_client.patch(f"/api/users/{admin_id}", json={"role": "editor"})
    assert response.status_code == 409 and "last active admin" in response.json()["detail"]


def _add_user(client: TestClient, name: str = "rita", password: str = "correct horse") -> None:
    """An editor with a password, made by the admin over the API."""
    created = client.post("/api/users", json={"name": name, "role": "editor", "password": password})
    assert created.status_code == 201, created.text


def _sign_in(client: TestClient, name: str = "rita", password: str = "correct horse") -> TestClient:
    """A browser: no token, a session cookie after signing in."""
    _add_user(client, name, password)
    browser = _anonymous(client)
    signed = browser.post("/api/auth/login", json={"name": name, "password": password})
    assert signed.status_code == 200, signed.text
    return browser


def test_sign_in_sets_an_http_only_lax_session_cookie_and_a_readable_csrf_cookie(
    accounts_client: TestClient,
) -> None:
    _add_user(accounts_client)
    browser = _anonymous(accounts_client)
    signed = browser.post("/api/auth/login", json={"name": "rita", "password": "correct horse"})
    cookies = signed.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("ontolabel_session="))
    csrf = next(c for c in cookies if c.startswith("ontolabel_csrf="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Path=/" in session
    assert "HttpOnly" not in csrf
    assert "Secure" not in session  # plain http here; https requests get Secure
    me = browser.get("/api/auth/me").json()
    assert (me["name"], me["role"], me["via"]) == ("rita", "editor", "cookie")
    assert me["csrf_token"] == signed.json()["csrf_token"] == browser.cookies["ontolabel_csrf"]


def test_a_cookie_write_needs_the_csrf_header(accounts_client: TestClient) -> None:
    browser = _sign_in(accounts_client)
    csrf = browser.get("/api/auth/me").json()["csrf_token"]
    # without the header: refused, naming the missing token
    missing = browser.post("/api/taxonomies", json=taxonomy_payload("t"))
    assert missing.status_code == 403 and "missing CSRF token" in missing.json()["detail"]
    wrong = browser.post(
        "/api/taxonomies", json=taxonomy_payload("t"), headers={"X-CSRF-Token": "x" + csrf}
    )
    assert wrong.status_code == 403 and "invalid CSRF token" in wrong.json()["detail"]
    # with it: written, authored by the signed-in user
    ok = browser.post("/api/taxonomies", json=taxonomy_payload("t"), headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201, ok.text
    audit = accounts_client.get("/api/audit", params={"entity": "taxonomy"}).json()
    assert audit["items"][0]["actor"] == "rita"


def test_sign_out_ends_the_session(accounts_client: TestClient) -> None:
    browser = _sign_in(accounts_client)
    assert browser.post("/api/auth/logout").status_code == 204
    browser.cookies.clear()
    assert browser.get("/api/auth/me").status_code == 401


def test_a_wrong_password_and_an_unknown_user_get_the_same_401(
    accounts_client: TestClient,
) -> None:
    _add_user(accounts_client)
    anonymous = _anonymous(accounts_client)
    wrong = anonymous.post("/api/auth/login", json={"name": "rita", "password": "wrong horse"})
    unknown = anonymous.post("/api/auth/login", json={"name": "nobody", "password": "x"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert "ontolabel_session" not in wrong.cookies


def test_local_mode_acts_as_the_local_admin_without_sign_in(client: TestClient) -> None:
    me = client.get("/api/auth/me").json()
    assert (me["name"], me["role"], me["auth"], me["via"]) == ("local", "admin", "local", "local")
    assert client.get("/api/users").status_code == 200


def test_the_audit_log_lists_newest_first_with_filters(accounts_client: TestClient) -> None:
    bob = bearer(token_for(accounts_client, "bob"))
    for name in ("a", "b"):
        accounts_client.post("/api/taxonomies", json=taxonomy_payload(name), headers=bob)
    page = accounts_client.get(
        "/api/audit", params={"actor": "bob", "entity": "taxonomy", "limit": 1}
    ).json()
    assert page["total"] == 2 and len(page["items"]) == 1
    assert page["items"][0]["action"] == "create" and page["items"][0]["detail"]
    newest = accounts_client.get("/api/audit").json()["items"]
    assert [e["id"] for e in newest] == sorted((e["id"] for e in newest), reverse=True)
