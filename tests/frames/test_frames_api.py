"""Serving frames by id: content types, colours, caching headers, bombs, paths."""

from __future__ import annotations

import io
import os
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from datasets.factories import (
    COLORS,
    create_taxonomy,
    index,
    label_array,
    register,
    write_frame,
    write_png,
)
from fastapi.testclient import TestClient
from ontolabel.core.config import Settings
from ontolabel.frames.service import RENDER_MAX_SIDE
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker


@pytest.fixture
def frame(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> dict[str, Any]:
    root = settings.allowed_data_roots[0] / "ds"
    write_frame(root, "s/000", label_array(0, ids=(0, 4, 200)))
    create_taxonomy(session_factory)
    dataset_id = register(session_factory, settings, "ds", root)
    assert index(session_factory, settings, dataset_id)[0] == "succeeded"
    items = client.get(f"/api/datasets/{dataset_id}/frames").json()["items"]
    return {**items[0], "root": root}


def _png(body: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))


def _hex(pixel: np.ndarray) -> str:
    r, g, b = (int(v) for v in pixel)
    return f"#{r:02x}{g:02x}{b:02x}"


def test_label_is_coloured_with_the_taxonomy_colours(
    client: TestClient, frame: dict[str, Any]
) -> None:
    response = client.get(f"/api/frames/{frame['id']}/label")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    rgb = _png(response.content)
    assert _hex(rgb[0, 0]) == COLORS[0]
    assert _hex(rgb[4, 0]) == COLORS[4]
    # id 200 has no colour in the taxonomy: a deterministic fallback
    assert tuple(rgb[7, 0]) == tuple(
        _png(client.get(f"/api/frames/{frame['id']}/label").content)[7, 0]
    )


def test_image_overlay_thumbnail_and_etags(
    client: TestClient, frame: dict[str, Any], settings: Settings
) -> None:
    image = client.get(f"/api/frames/{frame['id']}/image")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert "max-age" in image.headers["cache-control"]
    again = client.get(
        f"/api/frames/{frame['id']}/image", headers={"If-None-Match": image.headers["etag"]}
    )
    assert again.status_code == 304
    overlay = client.get(f"/api/frames/{frame['id']}/overlay", params={"alpha": 1.0})
    assert _png(overlay.content)[0, 0].tolist() == [0x80, 0x40, 0x80]
    thumb = client.get(f"/api/frames/{frame['id']}/thumbnail", params={"size": 32})
    assert thumb.headers["content-type"] == "image/jpeg"
    assert list((settings.cache_dir / "thumbnails").glob(f"{frame['id']}-*.jpg"))
    detail = client.get(f"/api/frames/{frame['id']}").json()
    assert detail["histogram"] == {"0": 48, "4": 48, "200": 32}


def test_decompression_bomb_is_a_422_naming_the_frame(
    client: TestClient, frame: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a pixel limit below this frame's size (Pillow's own knob)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 50)
    response = client.get(f"/api/frames/{frame['id']}/label")
    assert response.status_code == 422
    assert response.json()["frame"] == frame["id"]
    assert str(frame["id"]) in response.json()["detail"]


def test_a_file_swapped_for_a_link_out_of_the_root_is_not_served(
    client: TestClient, frame: dict[str, Any], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.png"
    Image.fromarray(np.zeros((8, 16), dtype=np.uint8)).save(secret)
    label = frame["root"] / frame["label_path"]
    label.unlink()
    os.symlink(secret, label)
    response = client.get(f"/api/frames/{frame['id']}/label")
    assert response.status_code == 403


def test_unknown_frame_is_404(client: TestClient, frame: dict[str, Any]) -> None:
    assert client.get("/api/frames/999999/image").status_code == 404


def test_image_content_type_comes_from_the_bytes(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given a TIFF image (no browser shows it) and a JPEG saved under a .png name
    root = settings.allowed_data_roots[0] / "mixed"
    rgb = np.zeros((8, 16, 3), dtype=np.uint8)
    rgb[:, :8] = (200, 30, 10)
    (root / "images" / "s").mkdir(parents=True)
    Image.fromarray(rgb).save(root / "images/s/000.tif", format="TIFF")
    Image.fromarray(rgb).save(root / "images/s/001.png", format="JPEG")
    for key in ("000", "001"):
        write_png(root / "labels" / "s" / f"{key}.png", label_array(0))
    create_taxonomy(session_factory)
    dataset_id = register(session_factory, settings, "mixed", root)
    assert index(session_factory, settings, dataset_id)[0] == "succeeded"
    frames = client.get(f"/api/datasets/{dataset_id}/frames").json()["items"]
    by_name = {Path(f["image_path"]).name: f["id"] for f in frames}
    # when each image is fetched
    tiff = client.get(f"/api/frames/{by_name['000.tif']}/image")
    jpeg = client.get(f"/api/frames/{by_name['001.png']}/image")
    # then the TIFF arrives as a PNG with the same pixels, the JPEG as what it is
    assert tiff.status_code == 200 and tiff.headers["content-type"] == "image/png"
    assert tiff.headers["x-content-type-options"] == "nosniff"
    assert (_png(tiff.content) == rgb).all()
    assert jpeg.status_code == 200 and jpeg.headers["content-type"] == "image/jpeg"
    assert jpeg.content == (root / "images/s/001.png").read_bytes()


def test_label_and_overlay_of_a_64_mpx_frame_are_drawn_at_a_bounded_size(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given an 8000 x 4000 frame: a JPEG image and a grey id label
    root = settings.allowed_data_roots[0] / "big"
    (root / "images" / "s").mkdir(parents=True)
    Image.fromarray(np.full((4000, 8000, 3), 90, dtype=np.uint8)).save(root / "images/s/000.jpg")
    write_png(root / "labels" / "s" / "000.png", label_array(0, size=(8000, 4000)))
    create_taxonomy(session_factory)
    dataset_id = register(session_factory, settings, "big", root)
    assert index(session_factory, settings, dataset_id)[0] == "succeeded"
    (frame,) = client.get(f"/api/datasets/{dataset_id}/frames").json()["items"]
    # when its label and overlay are drawn, with every Python and numpy allocation traced
    tracemalloc.start()
    try:
        label = client.get(f"/api/frames/{frame['id']}/label")
        overlay = client.get(f"/api/frames/{frame['id']}/overlay", params={"alpha": 1.0})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # then both are at most RENDER_MAX_SIDE long, in the frame's proportions, coloured as
    # the label is, and no array as large as the frame (one byte a pixel) was ever made
    for response in (label, overlay):
        assert response.status_code == 200
        picture = _png(response.content)
        assert picture.shape == (RENDER_MAX_SIDE // 2, RENDER_MAX_SIDE, 3)
        assert _hex(picture[0, 0]) == COLORS[0] and _hex(picture[-1, 0]) == COLORS[4]
    assert peak < 8000 * 4000
