"""Scanning a dataset's tree in the reader pool: subtrees walked and matched in parallel.

At ApolloScape scale the index job's plan lists and stats 280k files and matches each
path against the layout's patterns, while the pool that reads labels afterwards sits
idle. Here its workers walk and match whole subtrees and this process pairs their
matches as they come, in the walk's order, so the result is exactly :func:`scan`'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ontolabel.datasets.layout import (
    FileStat,
    Layout,
    Match,
    Scan,
    match_below,
    match_files,
    pair,
    scan,
    walk_pieces,
)
from ontolabel.datasets.reading import discard_pool, reader_pool

SUBTREES_PER_WORKER = 4
"""Tasks to hand out per worker (even shares, each still thousands of files at scale)."""


def scan_in_pool(root: Path, layout: Layout, workers: int) -> Scan:
    """:func:`scan` of ``root``, its subtrees walked by the reader pool's ``workers``."""
    base, pieces = walk_pieces(root, SUBTREES_PER_WORKER * workers)
    parts: list[Future[list[Match]] | list[FileStat]] = []
    try:
        pool = reader_pool(workers)
        for piece in _tasks(pieces, SUBTREES_PER_WORKER * workers):
            parts.append(
                pool.submit(match_below, base, piece, layout) if isinstance(piece, tuple) else piece
            )
        return pair(layout, _matches(layout, parts))
    except BrokenProcessPool:
        discard_pool(workers)  # a dead worker: walk here instead, as scan does
        return scan(root, layout)
    finally:
        for part in parts:
            if isinstance(part, Future):
                part.cancel()


def _tasks(
    pieces: list[list[FileStat] | str], tasks: int
) -> Iterator[list[FileStat] | tuple[str, ...]]:
    """The pieces in order, runs of folders grouped into about ``tasks`` tasks (a tree of
    thousands of small folders is not thousands of tasks)."""
    folders = sum(isinstance(piece, str) for piece in pieces)
    per_task = max(1, -(-folders // tasks))
    run: list[str] = []
    for piece in pieces:
        if isinstance(piece, str):
            run.append(piece)
            if len(run) < per_task:
                continue
        if run:
            yield tuple(run)
            run = []
        if not isinstance(piece, str):
            yield piece
    if run:
        yield tuple(run)


def _matches(layout: Layout, parts: list[Future[list[Match]] | list[FileStat]]) -> Iterator[Match]:
    for part in parts:
        if isinstance(part, Future):
            yield from part.result()
        else:
            yield from match_files(layout, part)
