"""Reviewers' decisions on mapping cells and their carry-over across revisions."""

from __future__ import annotations

from typing import Any

import pytest
from datasets.factories import index, label_array, register, write_frame
from fastapi.testclient import TestClient
from mappings.factories import create_mapping, rows_payload, save
from ontolabel.core.config import Settings
from sqlalchemy.orm import Session, sessionmaker
from support.accounts import auth_headers


@pytest.fixture
def client(accounts_client: TestClient) -> TestClient:
    """Accounts mode: each author is the user of the token the request sends."""
    return accounts_client


def _decide(client: TestClient, mapping_id: int, **body: Any) -> Any:
    return client.post(
        "/api/verifications",
        json={"mapping_id": mapping_id, **body},
        headers=auth_headers(client, "rita"),
    )


def _states(client: TestClient, mapping_id: int, revision: int) -> dict[int, Any]:
    body = client.get(
        "/api/verifications/state", params={"mapping_id": mapping_id, "revision": revision}
    ).json()
    return {row["source_id"]: row for row in body["items"]}


def test_decisions_set_row_states_and_carry_over_unchanged_rows(client: TestClient) -> None:
    # given a mapping at revision 1 with a confirmed cell and a wrong one
    mapping_id = create_mapping(client)["id"]
    ok = _decide(client, mapping_id, source_id=0, extra_label="e0", decision="confirmed", note="ok")
    assert ok.status_code == 201, ok.text
    assert ok.json()["reviewer"] == "rita" and ok.json()["revision_number"] == 1
    _decide(client, mapping_id, source_id=1, extra_label="e1", decision="wrong")
    states = _states(client, mapping_id, 1)
    assert (states[0]["state"], states[1]["state"], states[2]["state"]) == (
        "verified", "disputed", "unverified",
    )  # fmt: skip

    # when revision 2 changes row 1 only
    rows = rows_payload()
    rows[1]["extra_labels"].append("e2")
    assert save(client, mapping_id, base=1, rows=rows).status_code == 200

    # then row 0's decision carries over and row 1 starts again
    states = _states(client, mapping_id, 2)
    assert states[0]["state"] == "verified" and states[0]["cells"][0]["carried_over"] is True
    assert states[1]["state"] == "unverified"
    # and revision 1 still shows what was decided then
    assert _states(client, mapping_id, 1)[1]["state"] == "disputed"


def test_only_cells_of_the_row_can_be_confirmed(client: TestClient) -> None:
    mapping_id = create_mapping(client)["id"]
    response = _decide(client, mapping_id, source_id=0, extra_label="e2", decision="confirmed")
    assert response.status_code == 422 and response.json()["field"] == "extra_label"
    missing = _decide(client, mapping_id, source_id=7, extra_label="e0", decision="confirmed")
    assert missing.status_code == 404


def test_absence_claims_track_the_reviewed_sample(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given an indexed dataset of the extra taxonomy and a saved sample of 3 frames
    mapping_id = create_mapping(client)["id"]
    root = settings.allowed_data_roots[0] / "ext-ds"
    for i in range(4):
        write_frame(root, f"s/{i:03d}", label_array(i, ids=(0, 1)))
    dataset_id = register(session_factory, settings, "ext-ds", root, taxonomy="ext")
    assert index(session_factory, settings, dataset_id)[0] == "succeeded"
    sample = client.post(
        f"/api/datasets/{dataset_id}/sample-sets",
        json={"name": "look", "rule": {"random": 3, "seed": 0}},
    ).json()

    # when a reviewer claims e2 is never labelled, without and then with the sample
    body = {"source_id": 2, "extra_label": "e2", "decision": "absent_confirmed"}
    assert _decide(client, mapping_id, **body).status_code == 422
    too_many = _decide(client, mapping_id, **body, sample_set_id=sample["id"], frames_reviewed=9)
    assert too_many.status_code == 422
    claim = _decide(
        client, mapping_id, **body, dataset_id=dataset_id, sample_set_id=sample["id"],
        evidence_frame_ids=sample["frame_ids"][:1],
    )  # fmt: skip

    # then it records how many frames were reviewed, and lists on the mapping
    assert claim.status_code == 201, claim.text
    assert claim.json()["frames_reviewed"] == 3
    listed = client.get("/api/verifications", params={"mapping_id": mapping_id}).json()
    assert listed["total"] == 1
    bad = _decide(client, mapping_id, **body, sample_set_id=sample["id"], evidence_frame_ids=[999])
    assert bad.status_code == 422
