"""Saving mappings: every save is a revision; a stale base gets 409 and overwrites nothing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ontolabel.core.audit import list_audit_events
from ontolabel.core.db import session_scope
from ontolabel.core.users import User
from ontolabel.core.writes import begin_write
from ontolabel.errors import Conflict
from ontolabel.mappings import repository, service
from ontolabel.mappings.schemas import MappingRowSchema
from sqlalchemy.orm import Session, sessionmaker
from support.accounts import auth_headers

from mappings.factories import create_mapping, rows_payload, save


@pytest.fixture
def client(accounts_client: TestClient) -> TestClient:
    """Accounts mode: each author is the user of the token the request sends."""
    return accounts_client


def test_create_makes_revision_one(client: TestClient) -> None:
    created = create_mapping(client)
    assert created["head_revision"] == 1
    assert created["extra_taxonomy"] == "ext"
    assert created["source_taxonomy"] == "src"
    head = created["head"]
    assert (head["number"], head["author"], head["message"], head["based_on"]) == (
        1,
        "alice",
        "first",
        None,
    )
    assert head["rows"] == rows_payload()


def test_save_appends_a_revision_with_author_message_and_diff(client: TestClient) -> None:
    created = create_mapping(client)
    rows = rows_payload()
    rows[0]["extra_labels"].append("e_void")
    # when
    response = save(
        client, created["id"], base=1, rows=rows, user="bob", message="road may be void"
    )
    # then
    assert response.status_code == 200, response.text
    head = response.json()["head"]
    assert (head["number"], head["author"], head["message"], head["based_on"]) == (
        2,
        "bob",
        "road may be void",
        1,
    )
    assert head["rows"] == rows
    assert head["diff"]["changed"] == [
        {
            "source_id": 0,
            "source_name": "src0",
            "added": ["e_void"],
            "removed": [],
            "renamed_from": None,
        }
    ]
    assert client.get(f"/api/mappings/{created['id']}/revisions/1").json()["rows"] == rows_payload()


def test_two_editors_on_one_base_one_wins_other_gets_409_then_reapplies(
    client: TestClient,
) -> None:
    created = create_mapping(client)
    mapping_id = created["id"]
    alice_rows = rows_payload()
    alice_rows[0]["extra_labels"].append("e1")
    bob_rows = rows_payload()
    bob_rows[2]["extra_labels"].append("e_void")
    # when both save against revision 1
    first = save(client, mapping_id, base=1, rows=alice_rows, user="alice")
    second = save(client, mapping_id, base=1, rows=bob_rows, user="bob")
    # then alice wins and bob is told what is stored now
    assert first.status_code == 200
    assert second.status_code == 409
    conflict = second.json()
    assert conflict["current_revision"] == 2
    assert conflict["current"]["rows"] == alice_rows
    assert conflict["current"]["author"] == "alice"
    assert "revision 2" in conflict["detail"]
    assert client.get(f"/api/mappings/{mapping_id}").json()["head"]["rows"] == alice_rows
    # when bob re-applies his change on top of revision 2
    merged = [dict(r, extra_labels=list(r["extra_labels"])) for r in alice_rows]
    merged[2]["extra_labels"].append("e_void")
    third = save(client, mapping_id, base=2, rows=merged, user="bob")
    # then the history shows both edits
    assert third.status_code == 200
    history = client.get(f"/api/mappings/{mapping_id}/revisions").json()
    assert history["total"] == 3
    assert [(r["number"], r["author"], r["based_on"]) for r in history["items"]] == [
        (3, "bob", 2),
        (2, "alice", 1),
        (1, "alice", None),
    ]


def _save_in_own_transaction(
    barrier: threading.Barrier,
    factory: sessionmaker[Session],
    mapping_id: int,
    base: int,
    writer: int,
) -> str:
    """One writer's save, started with the others; "won" or "409@<head it was shown>"."""
    rows = [MappingRowSchema.model_validate(r).to_domain() for r in rows_payload()]
    barrier.wait()
    try:
        with session_scope(factory) as session:
            service.save_mapping(
                session,
                mapping_id,
                base_revision=base,
                rows=rows,
                message=f"writer {writer}",
                user=User(name=f"w{writer}"),
            )
    except Conflict as exc:
        return f"409@{exc.extra['current_revision']}"
    return "won"


def test_concurrent_saves_have_exactly_one_winner_per_base(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    created = create_mapping(client)
    mapping_id = created["id"]
    writers, rounds = 6, 3
    for base in range(1, rounds + 1):
        # given six writers released at once, all based on the same head
        barrier = threading.Barrier(writers, timeout=30)
        save_one = partial(_save_in_own_transaction, barrier, session_factory, mapping_id, base)
        with ThreadPoolExecutor(max_workers=writers) as pool:
            outcomes = list(pool.map(save_one, range(writers)))
        # then exactly one wins and every other is shown the winner's revision
        assert sorted(outcomes) == [f"409@{base + 1}"] * (writers - 1) + ["won"]
    history = client.get(f"/api/mappings/{mapping_id}/revisions").json()["items"]
    assert [r["number"] for r in history] == list(range(rounds + 1, 0, -1))
    assert [r["based_on"] for r in history[:-1]] == list(range(rounds, 0, -1))


def test_revert_makes_a_new_revision_with_old_content(client: TestClient) -> None:
    created = create_mapping(client)
    mapping_id = created["id"]
    changed = rows_payload()
    changed[1]["extra_labels"] = []
    assert save(client, mapping_id, base=1, rows=changed).status_code == 200
    # when
    response = client.post(
        f"/api/mappings/{mapping_id}/revisions/1/revert", json={"base_revision": 2}
    )
    # then
    assert response.status_code == 200, response.text
    head = response.json()["head"]
    assert (head["number"], head["based_on"], head["message"]) == (3, 2, "revert to revision 1")
    assert head["rows"] == rows_payload()
    stale = client.post(f"/api/mappings/{mapping_id}/revisions/1/revert", json={"base_revision": 2})
    assert stale.status_code == 409
    assert stale.json()["current_revision"] == 3
    assert client.post(f"/api/mappings/{mapping_id}/revisions/9/revert").status_code == 404


def test_archived_mapping_is_hidden_but_readable(client: TestClient) -> None:
    created = create_mapping(client)
    assert client.post(f"/api/mappings/{created['id']}/archive").json()["archived"] is True
    assert client.get("/api/mappings").json() == {"items": [], "total": 0}
    listed: dict[str, Any] = client.get("/api/mappings", params={"include_archived": True}).json()
    assert listed["total"] == 1
    assert client.get(f"/api/mappings/{created['id']}").status_code == 200
    assert client.post(f"/api/mappings/{created['id']}/restore").json()["archived"] is False
    assert client.get("/api/mappings").json()["total"] == 1


def test_missing_mapping_and_revision_are_404(client: TestClient) -> None:
    created = create_mapping(client)
    assert client.get("/api/mappings/999").status_code == 404
    assert client.get(f"/api/mappings/{created['id']}/revisions/7").status_code == 404
    assert client.get("/api/mappings/999/revisions").status_code == 404
    assert save(client, 999, base=1, rows=rows_payload()).status_code == 404


def test_compare_and_set_refuses_a_writer_that_skipped_the_lock(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    # given a writer holding a stale copy of the mapping (read before someone else saved)
    created = create_mapping(client)
    with session_factory() as stale_session:
        stale = repository.get_mapping(stale_session, created["id"])
        assert stale is not None
        _, previous, _ = service.load_domain_mapping(stale_session, created["id"])
        stale_session.commit()  # keeps the loaded (now stale) attributes
        assert save(client, created["id"], base=1, rows=rows_payload()).status_code == 200
        # when it appends without taking the row lock
        begin_write(stale_session)
        with pytest.raises(Conflict) as refused:
            service._append_revision(
                stale_session,
                stale,
                previous,
                base=1,
                previous=previous,
                message="late",
                user=User(name="late"),
                action="save",
            )
        stale_session.rollback()
    # then the database's compare-and-set turns it into a 409 with the real head
    assert refused.value.extra["current_revision"] == 2
    assert client.get(f"/api/mappings/{created['id']}").json()["head_revision"] == 2


def test_every_change_is_audited_with_its_author(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    created = create_mapping(client, user="alice")
    save(client, created["id"], base=1, rows=rows_payload(), user="bob")
    client.post(f"/api/mappings/{created['id']}/archive", headers=auth_headers(client, "carol"))
    with session_factory() as session:
        events = list_audit_events(session, entity="mapping", entity_id=created["id"])
    assert [(e.action, e.actor) for e in events] == [
        ("create", "alice"),
        ("save", "bob"),
        ("archive", "carol"),
    ]
    assert events[1].detail["revision"] == 2


def test_a_stored_revision_cannot_be_modified(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    created = create_mapping(client)
    with session_factory() as session:
        revision = repository.get_revision(session, created["id"], 1)
        assert revision is not None
        revision.message = "rewritten history"
        with pytest.raises(TypeError, match="immutable"):
            session.flush()
        session.rollback()
    assert client.get(f"/api/mappings/{created['id']}").json()["head"]["message"] == "first"
