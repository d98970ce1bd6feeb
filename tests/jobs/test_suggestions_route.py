"""GET /api/jobs/{id}/suggestions: a finished suggest job's result, typed; 404 otherwise."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from ontolabel.core.db import session_scope
from ontolabel.jobs import repository
from sqlalchemy.orm import Session, sessionmaker
from support.suggestions import planted_outputs

SOURCE = [(0, "road"), (2, "building"), (8, "vegetation")]
EXTRA = ["street", "house", "tree", "tunnel"]
ROWS = {"road": ["street"], "building": ["house"], "vegetation": ["tree"]}
TRUTH = {"street": "road", "house": "building", "tree": "vegetation", "tunnel": "building"}


def _job(factory: sessionmaker[Session], kind: str, status: str, outputs: dict[str, Any]) -> int:
    with session_scope(factory) as session:
        job = repository.add_job(session, kind, {"mapping": {"mapping_id": 3}}, "alice")
        if status != "queued":
            repository.finalize_job(session, job.id, status, outputs=outputs)
        return job.id


def test_a_succeeded_suggest_job_serves_its_cells_and_matrix(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    # given a suggest job whose teacher sees tunnel pixels as building (a missing cell)
    outputs = planted_outputs(EXTRA, SOURCE, ROWS, TRUTH)
    outputs["mapping"] = {"mapping_id": 3, "revision": 2, "mapping": "m"}
    outputs["frame_ids"] = {"seq0/cam0_000.png": 11}
    job_id = _job(session_factory, "suggest", "succeeded", outputs)
    # when
    response = client.get(f"/api/jobs/{job_id}/suggestions")
    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["job_id"], body["mapping_id"], body["revision"]) == (job_id, 3, 2)
    assert [(c["source"], c["extra"]) for c in body["add"]] == [("building", "tunnel")]
    assert body["add"][0]["frames"] == ["seq0/cam0_000.png", "seq0/cam0_001.png"]
    assert body["matrix"]["extra"] == EXTRA
    assert body["matrix"]["source"] == [n for _, n in SOURCE]
    assert body["frame_ids"] == {"seq0/cam0_000.png": 11}
    assert "suggestions" not in body  # the worker's file path stays on the server


def test_other_kinds_unfinished_and_missing_jobs_have_no_suggestions(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    other = _job(session_factory, "pseudo_label", "succeeded", {"frames": 4})
    queued = _job(session_factory, "suggest", "queued", {})
    for job_id, words in ((other, "not suggest"), (queued, "queued"), (999, "does not exist")):
        response = client.get(f"/api/jobs/{job_id}/suggestions")
        assert response.status_code == 404, response.text
        assert words in response.json()["detail"]
