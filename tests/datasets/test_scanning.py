"""Scanning a tree in the reader pool finds exactly what a plain walk finds, in its order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ontolabel.datasets.layout import PRESETS, Layout, scan, walk, walk_below, walk_pieces
from ontolabel.datasets.scanning import scan_in_pool


def _touch(root: Path, rel: str, body: bytes = b"x") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


@pytest.fixture
def apollo(tmp_path: Path) -> Path:
    """An ApolloScape-shaped tree with every kind of oddity a scan reports."""
    root = tmp_path / "apollo"
    for record in range(1, 4):
        for cam in (5, 6):
            for i in range(3):
                stem = f"1709{record}{i}_Camera_{cam}"
                _touch(root, f"road01_ins/ColorImage/Record00{record}/Camera {cam}/{stem}.jpg")
                if (record, cam, i) != (2, 5, 1):  # one image without its label
                    _touch(root, f"road01_ins/Label/Record00{record}/Camera {cam}/{stem}_bin.png")
    _touch(root, "road01_ins/Label/Record003/Camera 6/orphan_Camera_6_bin.png")  # no image
    _touch(root, "road01_ins/ColorImage/Record001/Camera 5/notes.jpg")  # off the pattern
    _touch(root, "road01_ins/README.txt")  # matches no glob
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, root / "road01_ins" / "ColorImage" / "escape")
    return root


@pytest.fixture
def generic(tmp_path: Path) -> Path:
    """Stem-keyed pairing with two images sharing a key, files at every depth."""
    root = tmp_path / "generic"
    for rel in ("a/1.png", "a/1.jpg", "a/b/2.png", "a/b/c/3.png", "top.png", "z/4.png"):
        _touch(root, f"images/{rel}")
    for rel in ("a/1.png", "a/b/2.png", "a/b/c/3.png", "top.png", "z/9.png"):
        _touch(root, f"labels/{rel}")
    for i in range(30):  # many small folders: grouped into a few tasks
        _touch(root, f"images/many/{i:02d}/f.png")
        _touch(root, f"labels/many/{i:02d}/f.png")
    return root


@pytest.mark.parametrize("folders", [1, 2, 3, 8, 1000])
def test_the_pieces_of_a_walk_hold_its_files_in_its_order(apollo: Path, folders: int) -> None:
    base, pieces = walk_pieces(apollo, folders)

    files = [
        stat
        for piece in pieces
        for stat in (walk_below(base, piece) if isinstance(piece, str) else piece)
    ]

    assert files == list(walk(apollo))
    # the tree has 12 leaf folders: asked for fewer, some pieces are left to walk elsewhere
    assert any(isinstance(p, str) for p in pieces) == (folders <= 12)


@pytest.mark.parametrize("subtrees", [1, 4])
def test_a_scan_in_the_pool_equals_a_plain_scan(
    apollo: Path, generic: Path, subtrees: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ontolabel.datasets import scanning

    monkeypatch.setattr(scanning, "SUBTREES_PER_WORKER", subtrees)
    for root, layout in (
        (apollo, PRESETS["apolloscape"]),
        (generic, Layout(image_glob="images/**/*.*", label_glob="labels/**/*.png")),
    ):
        expected = scan(root, layout)

        found = scan_in_pool(root, layout, workers=2)

        assert found == expected
        assert found.frames and any(f.problem for f in found.frames)
    assert scan_in_pool(apollo, PRESETS["apolloscape"], 2).off_pattern == [
        "road01_ins/ColorImage/Record001/Camera 5/notes.jpg"
    ]
