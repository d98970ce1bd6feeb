"""Path safety: client-supplied roots and relative paths cannot leave the allowed roots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ontolabel.core.paths import resolve_data_root, resolve_inside
from ontolabel.datasets.layout import Layout, scan
from ontolabel.errors import Forbidden


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    """/data/ds (allowed root's dataset), /data/ds2 (sibling prefix), /outside/secret.txt."""
    data = tmp_path / "data"
    ds = data / "ds"
    (ds / "images").mkdir(parents=True)
    (ds / "images" / "a.png").write_bytes(b"inside")
    (data / "ds2").mkdir()
    (data / "ds2" / "x.txt").write_text("sibling")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    return {"data": data, "ds": ds, "outside": outside}


@pytest.mark.parametrize(
    "relative",
    [
        "../ds2/x.txt",
        "images/../../ds2/x.txt",
        "/etc/passwd",
        "%2e%2e/ds2/x.txt",
        "%252e%252e/ds2/x.txt",
        "..%2fds2%2fx.txt",
        "images\\..\\..\\ds2\\x.txt",
        "..\\ds2",
        "~/secret.txt",
        "images/a.png\x00.txt",
    ],
)
def test_relative_paths_that_leave_the_root_are_refused(
    tree: dict[str, Path], relative: str
) -> None:
    with pytest.raises(Forbidden):
        resolve_inside(tree["ds"], relative)


def test_a_plain_relative_path_resolves_inside(tree: dict[str, Path]) -> None:
    assert resolve_inside(tree["ds"], "images/a.png").read_bytes() == b"inside"


def test_symlink_pointing_out_of_the_root_is_refused_and_not_walked(tree: dict[str, Path]) -> None:
    # given links inside the dataset that point outside it (a file and a folder)
    os.symlink(tree["outside"] / "secret.txt", tree["ds"] / "images" / "leak.png")
    os.symlink(tree["outside"], tree["ds"] / "images" / "out")
    # then resolving them is refused
    with pytest.raises(Forbidden):
        resolve_inside(tree["ds"], "images/leak.png")
    with pytest.raises(Forbidden):
        resolve_inside(tree["ds"], "images/out/secret.txt")
    # and a walk of the dataset never lists them
    found = scan(tree["ds"], Layout(image_glob="**/*"))
    assert [f.image.rel for f in found.frames if f.image] == ["images/a.png"]


@pytest.mark.parametrize(
    "root",
    [
        "{data}/ds/../../outside",
        "{outside}",
        "relative/ds",
        "{data}/ds%2f..%2f..%2foutside",
        "{data}\\ds",
        "{data}/ds/missing",
    ],
)
def test_roots_outside_the_allowed_data_roots_are_refused(tree: dict[str, Path], root: str) -> None:
    text = root.format(data=tree["data"], outside=tree["outside"])
    with pytest.raises(Forbidden):
        resolve_data_root(text, [tree["data"]])


def test_a_sibling_sharing_the_prefix_is_not_inside(tree: dict[str, Path]) -> None:
    # /data/ds is allowed; /data/ds2 merely shares its prefix
    with pytest.raises(Forbidden):
        resolve_data_root(str(tree["data"] / "ds2"), [tree["ds"]])
    assert resolve_data_root(str(tree["ds"]), [tree["ds"]]) == tree["ds"].resolve()


def test_a_root_that_is_a_symlink_out_of_the_allowed_root_is_refused(tree: dict[str, Path]) -> None:
    os.symlink(tree["outside"], tree["data"] / "escape")
    with pytest.raises(Forbidden):
        resolve_data_root(str(tree["data"] / "escape"), [tree["data"]])
