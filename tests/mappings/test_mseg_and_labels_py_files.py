"""MSeg TSVs and Cityscapes-style labels.py through the import and export routes."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from ontolabel.domain.formats.mseg import read_mseg_master

MASTER = (
    "Parent Category\tcity-4\tuniversal\tDefn\n"
    "flat\troad\troad\ta way\n"
    "vehicle\t{car, van}\tcar\t\n"
    "\t\tbus\t\n"
    "unlabeled\tsky\tunlabeled\t\n"
)
PAIRWISE = "city-5\tcity-3\nunlabeled\tunlabeled\nroad\troad\nparking\tunlabeled\ncar\tcar\n"
LABELS_PY = """from collections import namedtuple
Label = namedtuple('Label', ['name', 'id', 'trainId', 'category', 'categoryId',
                             'hasInstances', 'ignoreInEval', 'color'])
labels = [
    Label('unlabeled', 0, 255, 'void', 0, False, True, (0, 0, 0)),
    Label('road', 7, 0, 'flat', 1, False, False, (128, 64, 128)),
]
"""


def _import(client: TestClient, what: str, filename: str, text: str, **form: Any) -> Any:
    return client.post(f"/api/{what}/import", files={"file": (filename, text.encode())}, data=form)


def _extra(client: TestClient, name: str, names: list[str]) -> None:
    classes = [{"id": i, "name": n} for i, n in enumerate(names)]
    created = client.post(
        "/api/taxonomies", json={"name": name, "kind": "extra", "classes": classes}
    )
    assert created.status_code == 201, created.text


def test_labels_py_imports_and_exports_without_being_run(client: TestClient) -> None:
    imported = _import(client, "taxonomies", "labels.py", LABELS_PY, name="cs")
    assert imported.status_code == 201, imported.text
    body = imported.json()
    assert [(c["id"], c["name"], c["train_id"], c["color"]) for c in body["classes"]] == [
        (0, "unlabeled", 255, "#000000"),
        (7, "road", 0, "#804080"),
    ]
    exported = client.get(f"/api/taxonomies/{body['id']}/export", params={"format": "py"})
    assert exported.status_code == 200 and "Label('road', 7, 0, 'flat', 1, False" in exported.text
    again = _import(client, "taxonomies", "labels.py", exported.text, name="cs-again").json()
    assert again["classes"] == body["classes"]
    csv = client.get(f"/api/taxonomies/{body['id']}/export", params={"format": "csv"}).text
    assert csv.splitlines()[2] == "1,road,7,0,flat,1,False,False,#804080"


def test_master_tsv_round_trips_through_the_database(client: TestClient) -> None:
    # given the universal taxonomy and the city-4 column imported from a master file
    universal = _import(client, "taxonomies", "MSeg_master.tsv", MASTER, kind="source")
    assert universal.status_code == 201, universal.text
    assert universal.json()["name"] == "universal"
    _extra(client, "city-4", ["road", "car", "van", "sky"])
    mapping = _import(client, "mappings", "MSeg_master.tsv", MASTER, extra_taxonomy="city-4")
    assert mapping.status_code == 201, mapping.text
    rows = mapping.json()["head"]["rows"]
    assert [(r["source_id"], r["extra_labels"]) for r in rows] == [
        (0, ["road"]),
        (1, ["car", "van"]),
        (2, []),
        (255, ["sky"]),
    ]
    # when the universal taxonomy is exported as a master TSV
    exported = client.get(
        f"/api/taxonomies/{universal.json()['id']}/export", params={"format": "tsv"}
    )
    # then it reads back as the file did
    assert exported.status_code == 200, exported.text
    assert read_mseg_master(exported.text) == read_mseg_master(MASTER)


def test_pairwise_tsv_imports_onto_a_new_taxonomy_and_exports_the_same_text(
    client: TestClient,
) -> None:
    _extra(client, "city-5", ["unlabeled", "road", "parking", "car"])
    imported = _import(client, "mappings", "city-5_to_city-3.tsv", PAIRWISE)
    assert imported.status_code == 201, imported.text
    body = imported.json()
    assert (body["extra_taxonomy"], body["source_taxonomy"]) == ("city-5", "city-3")
    exported = client.get(f"/api/mappings/{body['id']}/export", params={"format": "tsv"})
    assert exported.status_code == 200 and exported.text == PAIRWISE


def test_a_master_column_that_is_not_there_is_422_naming_the_columns(client: TestClient) -> None:
    _extra(client, "city-9", ["road"])
    response = _import(client, "mappings", "m.tsv", MASTER, extra_taxonomy="city-9")
    assert response.status_code == 422
    assert response.json()["field"] == "extra_taxonomy" and "city-4" in response.json()["detail"]
    pairwise_as_taxonomy = _import(client, "taxonomies", "p.tsv", PAIRWISE)
    assert pairwise_as_taxonomy.status_code == 422
