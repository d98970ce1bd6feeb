"""The app starts on each database and says so."""

from fastapi.testclient import TestClient


def test_health_answers_ok(client: TestClient) -> None:
    # when
    response = client.get("/api/health")
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_openapi_is_served(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "ontolabel"
