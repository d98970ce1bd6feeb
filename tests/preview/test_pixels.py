"""Per-pixel ids of a preview: the hover info the browser decodes must name the right
extra label, allowed source classes and chosen class at known pixels, in a bounded size."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from ontolabel.core.config import Settings
from ontolabel.domain.constraint import allowed_table
from ontolabel.domain.mapping import Mapping, MappingRow
from ontolabel.domain.taxonomy import VOID_ID, Taxonomy, TaxonomyClass
from ontolabel.preview.cache import preview_cache_path
from ontolabel.preview.pixels import MAX_SIDE, encode, label_rules, nearest

SOURCE = ["road", "building", "sky"]
EXTRA = ["road", "house", "sky", "tunnel", "unlabeled"]
ROWS = [
    {"source_id": 0, "source_name": "road", "extra_labels": ["road"]},
    {"source_id": 1, "source_name": "building", "extra_labels": ["house"]},
    {"source_id": 2, "source_name": "sky", "extra_labels": ["sky"]},
    {"source_id": 255, "source_name": "void", "extra_labels": ["unlabeled"]},
]


def _decode(ids: dict[str, Any]) -> np.ndarray:
    dtype = np.dtype(ids["dtype"]).newbyteorder("<")
    raw = np.frombuffer(base64.b64decode(ids["data"]), dtype=dtype)
    return raw.reshape(ids["height"], ids["width"])


def test_nearest_keeps_ids_and_caps_the_long_side() -> None:
    ids = np.arange(600 * 1000).reshape(600, 1000) % 7
    small = nearest(ids)
    assert small.shape == (154, MAX_SIDE)
    assert set(np.unique(small)) <= set(range(7))
    assert small[0, 0] == ids[0, 0] and small[-1, -1] == ids[153 * 600 // 154, 255 * 1000 // 256]
    assert nearest(ids[:10, :20]).shape == (10, 20)  # small frames are left as they are


def test_encode_is_little_endian_and_clips_into_the_dtype() -> None:
    encoded = encode(np.array([[1, 300, -4]]), "uint16")
    assert (encoded.width, encoded.height, encoded.dtype) == (3, 1, "uint16")
    assert base64.b64decode(encoded.data) == bytes([1, 0, 44, 1, 0, 0])
    assert base64.b64decode(encode(np.array([[7, 999]]), "uint8").data) == bytes([7, 255])


def test_label_rules_say_what_each_present_label_may_become() -> None:
    source = Taxonomy("s", tuple(TaxonomyClass(i, n) for i, n in enumerate(SOURCE)))
    extra = Taxonomy("e", tuple(TaxonomyClass(i, n) for i, n in enumerate(EXTRA)))
    rows = tuple(
        MappingRow(r["source_id"], r["source_name"], tuple(r["extra_labels"])) for r in ROWS
    )
    table = allowed_table(Mapping("e", "s", rows), extra, source)
    rules = label_rules(np.array([[1, 3, 4, 900]]), table, extra)
    assert [(r.extra_id, r.names, r.allowed_source_ids, r.void) for r in rules] == [
        (1, ("house",), (1,), False),
        (3, ("tunnel",), (), False),
        (4, ("unlabeled",), (), True),
        (900, (), (), False),  # an id the taxonomy lacks
    ]


def _seed(client: TestClient, settings: Settings) -> tuple[int, str]:
    for name, kind, names in (("src", "source", SOURCE), ("ext", "extra", EXTRA)):
        classes = [{"id": i, "name": n} for i, n in enumerate(names)]
        made = client.post("/api/taxonomies", json={"name": name, "kind": kind, "classes": classes})
        assert made.status_code == 201, made.text
    mapping = client.post(
        "/api/mappings",
        json={
            "name": "ext-to-src",
            "extra_taxonomy": "ext",
            "source_taxonomy": "src",
            "rows": ROWS,
        },
    )
    assert mapping.status_code == 201, mapping.text
    # A 600 x 1000 frame: sky on top, house in the middle, road below, a tunnel bottom left;
    # the teacher favours building everywhere.
    label = np.full((600, 1000), EXTRA.index("house"), dtype=np.int32)
    label[:150] = EXTRA.index("sky")
    label[450:] = EXTRA.index("road")
    label[520:, :100] = EXTRA.index("tunnel")
    probs = np.full((3, 600, 1000), 0.2, dtype=np.float32)
    probs[SOURCE.index("building")] = 0.6
    path = preview_cache_path(settings.cache_dir, "teacher-x", "seq/f1")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, probs=probs, label=label, class_names=np.asarray(SOURCE))
    return int(mapping.json()["id"]), "/api/previews/teacher-x/seq/f1"


def test_preview_carries_bounded_pixel_ids_for_hover_info(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    # given: a mapping and a cached frame whose tunnel is in no row
    mapping_id, url = _seed(client, settings)
    # when: the saved revision is previewed
    saved = client.post(url, json={"mapping_id": mapping_id})
    assert saved.status_code == 200, saved.text
    body = saved.json()
    # then: the old fields are as they were
    assert body["pseudo_label"].startswith("data:image/png;base64,") and body["revision"] == 1
    pixels = body["pixels"]
    pseudo, extra = _decode(pixels["pseudo_label"]), _decode(pixels["extra_label"])
    # and: the maps are nearest-downsampled to 256 px on the long side
    assert pseudo.shape == extra.shape == (154, 256)
    assert pixels["pseudo_label"]["dtype"] == "uint8" and pixels["extra_label"]["dtype"] == "uint16"
    # and: known pixels name their label and chosen class (tunnel: ignored)
    names = {c["id"]: c["name"] for c in pixels["source_classes"]}
    top, middle, tunnel = (0, 0), (77, 128), (153, 0)
    assert EXTRA[extra[top]] == "sky" and names[int(pseudo[top])] == "sky"
    assert EXTRA[extra[middle]] == "house" and names[int(pseudo[middle])] == "building"
    assert EXTRA[extra[tunnel]] == "tunnel" and pseudo[tunnel] == VOID_ID
    rules = {r["extra_id"]: r for r in pixels["labels"]}
    assert sorted(rules) == [0, 1, 2, 3]
    assert rules[3] == {"extra_id": 3, "names": ["tunnel"], "allowed_source_ids": [], "void": False}
    assert rules[1]["allowed_source_ids"] == [1]

    # when: the draft maps tunnel to building too
    draft = [dict(r) for r in ROWS]
    draft[1] = {**draft[1], "extra_labels": ["house", "tunnel"]}
    edited = client.post(url, json={"mapping_id": mapping_id, "rows": draft}).json()
    # then: the tunnel pixel becomes building and its rule follows the draft
    assert int(_decode(edited["pixels"]["pseudo_label"])[tunnel]) == 1
    allowed = {r["extra_id"]: r["allowed_source_ids"] for r in edited["pixels"]["labels"]}
    assert allowed[3] == [1]
    assert len(edited["pixels"]["extra_label"]["data"]) < 4 * 256 * 256 * 2 // 3 + 4
