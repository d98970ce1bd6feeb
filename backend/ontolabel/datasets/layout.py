"""Where a dataset's frames are: globs, path patterns, presets, pairing image with label.

No SQL here: a walk of the tree and pure matching, shared by the dry run and the
index job. Globs are relative to the root (``**`` spans folders); a pattern is a regex
with named groups ``split``, ``sequence``, ``camera``, ``frame`` matched against the
path relative to the root. Image and label pair on their groups when both have a
pattern, else on the path below the glob's fixed folder without the extension.

A scan is a walk, a match of each file (:func:`match_files`) and a pairing (:func:`pair`);
the index job walks and matches subtrees in its process pool (``datasets.scanning``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from ontolabel.core.paths import is_inside
from ontolabel.domain.labels import LABEL_ENCODINGS, LabelEncoding
from ontolabel.errors import InvalidInput

GROUPS = ("split", "sequence", "camera", "frame")


@dataclass(frozen=True)
class Layout:
    """How files are found and paired; stored on the dataset row."""

    image_glob: str
    label_glob: str | None = None
    image_regex: str | None = None
    label_regex: str | None = None
    label_encoding: LabelEncoding = "id"


PRESETS: dict[str, Layout] = {
    "cityscapes": Layout(
        image_glob="leftImg8bit/*/*/*_leftImg8bit.png",
        label_glob="gtFine/*/*/*_gtFine_labelIds.png",
        image_regex=r"leftImg8bit/(?P<split>[^/]+)/[^/]+/(?P<sequence>[^/]+_\d+)_(?P<frame>\d+)_leftImg8bit\.png",
        label_regex=r"gtFine/(?P<split>[^/]+)/[^/]+/(?P<sequence>[^/]+_\d+)_(?P<frame>\d+)_gtFine_labelIds\.png",
    ),
    "apolloscape": Layout(
        image_glob="*/ColorImage/*/*/*.jpg",
        label_glob="*/Label/*/*/*_bin.png",
        image_regex=(
            r"(?P<split>[^/]+)/ColorImage/(?P<sequence>[^/]+)/Camera ?(?P<camera>\d+)/"
            r"(?P<frame>[^/]+)_Camera_\d+\.jpg"
        ),
        label_regex=(
            r"(?P<split>[^/]+)/Label/(?P<sequence>[^/]+)/Camera ?(?P<camera>\d+)/"
            r"(?P<frame>[^/]+)_Camera_\d+_bin\.png"
        ),
    ),
    "mapillary": Layout(
        image_glob="*/images/*.jpg",
        label_glob="*/labels/*.png",
        image_regex=r"(?P<split>[^/]+)/images/(?P<frame>[^/]+)\.jpg",
        label_regex=r"(?P<split>[^/]+)/labels/(?P<frame>[^/]+)\.png",
        label_encoding="palette",
    ),
    "goose": Layout(
        image_glob="images/*/*/*_windshield_vis.png",
        label_glob="labels/*/*/*_labelids.png",
        image_regex=(
            r"images/(?P<split>[^/]+)/(?P<sequence>[^/]+)/(?P<frame>.+?)_(?P<camera>[^_/]+)_vis\.png"
        ),
        label_regex=(
            r"labels/(?P<split>[^/]+)/(?P<sequence>[^/]+)/(?P<frame>.+?)_(?P<camera>[^_/]+)_labelids\.png"
        ),
    ),
    "generic": Layout(image_glob="images/**/*.*", label_glob="labels/**/*.png"),
}


@lru_cache(maxsize=64)
def glob_regex(glob: str) -> re.Pattern[str]:
    """A glob relative to the root as an anchored regex (``**/`` = any folders, ``*`` in one)."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


@lru_cache(maxsize=64)
def fixed_folder(glob: str) -> str:
    """The folders of ``glob`` before its first wildcard (``images/**/*.png`` → ``images``)."""
    parts = []
    for part in PurePosixPath(glob).parts[:-1]:
        if any(c in part for c in "*?["):
            break
        parts.append(part)
    return "/".join(parts)


@lru_cache(maxsize=64)  # match_files runs once per pool task
def compile_pattern(pattern: str | None, *, field: str) -> re.Pattern[str] | None:
    if not pattern:
        return None
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise InvalidInput(f"pattern {pattern!r} is not a valid regex: {exc}", field=field) from exc
    unknown = set(compiled.groupindex) - set(GROUPS)
    if unknown:
        raise InvalidInput(
            f"pattern group(s) {sorted(unknown)} unknown; use {', '.join(GROUPS)}", field=field
        )
    return compiled


def validate_layout(layout: Layout) -> None:
    """Refuse globs that could leave the root and patterns that do not compile."""
    for field_name, glob in (("image_glob", layout.image_glob), ("label_glob", layout.label_glob)):
        if glob is None:
            continue
        parts = PurePosixPath(glob).parts
        if not glob or glob.startswith("/") or ".." in parts or "\\" in glob:
            raise InvalidInput(
                f"{field_name} {glob!r} must be a relative glob without '..'", field=field_name
            )
    compile_pattern(layout.image_regex, field="image_regex")
    compile_pattern(layout.label_regex, field="label_regex")
    if layout.label_encoding not in LABEL_ENCODINGS:
        raise InvalidInput(
            f"label encoding {layout.label_encoding!r} unknown; use one of {LABEL_ENCODINGS}",
            field="label_encoding",
        )


class FileStat(NamedTuple):
    """A file found by :func:`walk` (a named tuple: far cheaper to make 280k times than a
    frozen dataclass)."""

    rel: str
    size: int
    mtime_ns: int


_NAME = attrgetter("name")


def walk(root: Path) -> Iterator[FileStat]:
    """Every regular file under ``root``, skipping links that lead out of it.

    Plain strings, not pathlib: at 280k files pathlib's parsing costs more than the walk.
    """
    base = str(root.resolve())
    return walk_below(base, base)


def walk_below(base: str, folder: str) -> Iterator[FileStat]:
    """:func:`walk` of the resolved root ``base``, from ``folder`` (``base`` or below) down.

    Depth first, so one folder's subtree is one contiguous run of the whole walk: a part of
    the tree can be walked elsewhere (:func:`walk_pieces`) and the order stays the same.
    """
    stack = [folder]
    while stack:
        files, folders = list_folder(base, stack.pop())
        yield from files
        stack.extend(reversed(folders))


def list_folder(base: str, folder: str) -> tuple[list[FileStat], list[str]]:
    """One step of :func:`walk`: ``folder``'s files in walk order, then its subfolders."""
    try:
        entries = sorted(os.scandir(folder), key=_NAME, reverse=True)
    except OSError:
        return [], []
    cut = len(base) + 1
    files: list[FileStat] = []
    folders: list[str] = []
    for entry in entries:
        if entry.is_symlink() and not is_inside(Path(entry.path), Path(base)):
            continue
        if entry.is_dir(follow_symlinks=False):
            folders.append(entry.path)
        elif entry.is_file():
            st = entry.stat()
            rel = entry.path[cut:].replace(os.sep, "/")
            files.append(FileStat(rel, st.st_size, st.st_mtime_ns))
    folders.reverse()
    return files, folders


def walk_pieces(root: Path, folders: int) -> tuple[str, list[list[FileStat] | str]]:
    """:func:`walk` of ``root`` cut into ordered pieces: files listed here, and folders to walk
    elsewhere with :func:`walk_below` (listing level by level until there are ``folders``).

    Returns the resolved root and the pieces; their files, in order, are the walk's.
    """
    base = str(root.resolve())
    pieces: list[list[FileStat] | str] = [base]
    while 0 < sum(isinstance(p, str) for p in pieces) < folders:
        deeper: list[list[FileStat] | str] = []
        for piece in pieces:
            if isinstance(piece, str):
                files, below = list_folder(base, piece)
                if files:
                    deeper.append(files)
                deeper.extend(below)
            else:
                deeper.append(piece)
        pieces = deeper
    return base, pieces


@dataclass
class FrameFiles:
    """A frame as found on disk: its files, groups and, if unpaired, why."""

    key: str
    image: FileStat | None = None
    label: FileStat | None = None
    groups: dict[str, str] = field(default_factory=dict)
    problem: str | None = None


@dataclass
class Scan:
    """What a walk found: frames (paired or not) and files that matched a glob only."""

    frames: list[FrameFiles]
    images: int = 0
    labels: int = 0
    off_pattern: list[str] = field(default_factory=list)

    @property
    def paired(self) -> int:
        return sum(1 for f in self.frames if f.image and f.label)

    @property
    def unpaired(self) -> list[FrameFiles]:
        return [f for f in self.frames if f.problem]


def _default_groups(rel_key: str) -> dict[str, str]:
    folder, _, name = rel_key.rpartition("/")
    return {"sequence": folder, "frame": name}


def _stem_key(rel: str, glob: str) -> str:
    folder = fixed_folder(glob)
    below = rel[len(folder) + 1 :] if folder and rel.startswith(folder + "/") else rel
    stem, dot, ext = below.rpartition(".")
    return stem if dot and "/" not in ext else below


def _groups(values: tuple[str | None, ...]) -> dict[str, str]:
    return {name: value for name, value in zip(GROUPS, values, strict=True) if value is not None}


Match = tuple[str, int, int, bool, str | None, tuple[str | None, ...], str]
"""A file matching the image or the label glob: its path, size and mtime, whether it is the
image, its frame key (None: off the pattern), its ``GROUPS`` (None: not in the pattern) and
stem. A plain tuple: pool workers send 280k back, and named ones cost 5x to unpickle."""


def scan(root: Path, layout: Layout) -> Scan:
    """Walk ``root`` once and pair every image with its label."""
    return pair(layout, match_files(layout, walk(root)))


def match_below(base: str, folders: tuple[str, ...], layout: Layout) -> list[Match]:
    """The matches under consecutive folders of :func:`walk_pieces` (a process pool's task)."""
    files = (stat for folder in folders for stat in walk_below(base, folder))
    return list(match_files(layout, files))


def match_files(layout: Layout, files: Iterable[FileStat]) -> Iterator[Match]:
    """The files matching the image or the label glob, in order, with their keys (no pairing)."""
    image_glob = glob_regex(layout.image_glob)
    label_glob = glob_regex(layout.label_glob) if layout.label_glob else None
    image_re = compile_pattern(layout.image_regex, field="image_regex")
    label_re = compile_pattern(layout.label_regex, field="label_regex")
    by_groups = image_re is not None and label_re is not None
    absent: tuple[str | None, ...] = (None,) * len(GROUPS)
    for rel, size, mtime_ns in files:
        if image_glob.match(rel):
            is_image, pattern, glob = True, image_re, layout.image_glob
        elif label_glob is not None and label_glob.match(rel):
            is_image, pattern, glob = False, label_re, layout.label_glob or ""
        else:
            continue
        values = absent
        if pattern is not None:
            m = pattern.fullmatch(rel) or pattern.search(rel)
            if m is None:
                yield rel, size, mtime_ns, is_image, None, absent, ""
                continue
            found = m.groupdict()
            values = tuple(found.get(name) for name in GROUPS)
        stem = _stem_key(rel, glob)
        key = "|".join(v or "" for v in values) if by_groups else stem
        yield rel, size, mtime_ns, is_image, key, values, stem


def pair(layout: Layout, matches: Iterable[Match]) -> Scan:
    """Pair matched files (in walk order: the first of two sharing a key is kept) into frames."""
    frames: dict[str, FrameFiles] = {}
    result = Scan(frames=[])
    for rel, size, mtime_ns, is_image, key, values, stem in matches:
        if is_image:
            result.images += 1
        else:
            result.labels += 1
        if key is None:
            result.off_pattern.append(rel)
            continue
        entry = frames.get(key)
        if entry is None:
            entry = frames[key] = FrameFiles(key=key)
        if is_image:
            if entry.image is not None:
                entry.problem = f"two images share the key {key!r}: {entry.image.rel}, {rel}"
                continue
            entry.image = FileStat(rel, size, mtime_ns)
            entry.groups = _groups(values) or entry.groups or _default_groups(stem)
        else:
            if entry.label is not None:
                entry.problem = f"two labels share the key {key!r}: {entry.label.rel}, {rel}"
                continue
            entry.label = FileStat(rel, size, mtime_ns)
            if not entry.groups:
                entry.groups = _groups(values) or _default_groups(stem)
    for entry in frames.values():
        if entry.problem:
            continue
        if entry.image is None and entry.label is not None:
            entry.problem = f"missing partner: label {entry.label.rel} has no image"
        elif entry.label is None and layout.label_glob and entry.image is not None:
            entry.problem = f"missing partner: image {entry.image.rel} has no label"
    result.frames = sorted(frames.values(), key=lambda f: f.key)
    return result
