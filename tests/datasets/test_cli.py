"""``ontolabel dataset add / index / sample`` end to end on a constructed layout."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from ontolabel.cli.main import cli
from ontolabel.core.config import get_settings
from ontolabel.core.db import session_scope
from ontolabel.datasets import indexing, service
from ontolabel.domain.formats.native import dump_taxonomy
from ontolabel.domain.formats.reference import write_labels_csv
from ontolabel.jobs.runner import session_factory_for

from .factories import TAXONOMY, write_png

CHUNK_LINE = re.compile(r"^job \d+: chunk (\d+)/(\d+) done \((\d+)/(\d+)\)$")


@pytest.fixture
def env(cli_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("ONTOLABEL_DATA_ROOTS", str(data))
    get_settings.cache_clear()
    return data


def _apollo_like(root: Path) -> list[str]:
    """Record001 (45 frames) and Record002 (21 frames), cameras 5 and 6; returns hand picks."""
    picks = []
    for record, count in (("Record001", 45), ("Record002", 21)):
        for cam in (5, 6):
            for i in range(count):
                stem = f"{1000 + i * 7}_Camera_{cam}"
                img = f"road01_ins/ColorImage/{record}/Camera {cam}/{stem}.jpg"
                (root / img).parent.mkdir(parents=True, exist_ok=True)
                from PIL import Image

                Image.new("RGB", (4, 2), (i, 0, 0)).save(root / img)
                ids = np.full((2, 4), 5 if i == 13 else 0, dtype=np.uint8)
                write_png(root / f"road01_ins/Label/{record}/Camera {cam}/{stem}_bin.png", ids)
                if i % 20 == 0:
                    picks.append((record, i, cam, img))
    # a person's order: sequence, then frame, then camera
    return [p[3] for p in sorted(picks)]


def test_add_index_and_sample_every_20th(env: Path, tmp_path: Path) -> None:
    root = env / "apollo"
    expected = _apollo_like(root)
    labels_csv = tmp_path / "labels.csv"
    labels_csv.write_text(write_labels_csv(TAXONOMY))
    runner = CliRunner()

    dry = runner.invoke(
        cli, ["dataset", "add", "apollo", str(root), "--taxonomy", str(labels_csv),
              "--preset", "apolloscape", "--dry-run"],
    )  # fmt: skip
    assert dry.exit_code == 0, dry.output
    assert "pairs: 132" in dry.output and "camera: 5, 6" in dry.output

    added = runner.invoke(
        cli, ["dataset", "add", "apollo", str(root), "--taxonomy", str(labels_csv),
              "--preset", "apolloscape"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    indexed = runner.invoke(cli, ["dataset", "index", "apollo"])
    assert indexed.exit_code == 0, indexed.output
    assert "succeeded" in indexed.output

    sampled = runner.invoke(cli, ["dataset", "sample", "apollo", "--every", "20"])
    assert sampled.exit_code == 0, sampled.output
    assert sampled.output.splitlines() == expected

    one_cam = runner.invoke(cli, ["dataset", "sample", "apollo", "--every", "20", "--camera", "6"])
    assert one_cam.output.splitlines() == [p for p in expected if "Camera 6/" in p]

    cars = runner.invoke(cli, ["dataset", "sample", "apollo", "--label", "car"])
    assert len(cars.output.splitlines()) == 4

    rnd = ["dataset", "sample", "apollo", "--random", "5", "--seed", "3"]
    assert runner.invoke(cli, rnd).output == runner.invoke(cli, rnd).output


def test_sampling_an_unknown_dataset_fails_clearly(env: Path) -> None:
    result = CliRunner().invoke(cli, ["dataset", "sample", "nope"])
    assert result.exit_code == 1 and "does not exist" in result.output


@pytest.fixture
def env_db(env: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``env`` on each database kind (the CLI reads ONTOLABEL_DATABASE_URL)."""
    monkeypatch.setenv("ONTOLABEL_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()


def _add_one_frame_dataset(runner: CliRunner, data: Path, tmp_path: Path, name: str) -> Path:
    """``ontolabel dataset add NAME`` on a generic tree of one frame; returns its root."""
    root = data / name
    write_png(root / "images/a.png", np.zeros((2, 4, 3), dtype=np.uint8))
    write_png(root / "labels/a.png", np.zeros((2, 4), dtype=np.uint8))
    labels_csv = tmp_path / "labels.csv"
    labels_csv.write_text(write_labels_csv(TAXONOMY))
    added = runner.invoke(
        cli, ["dataset", "add", name, str(root), "--taxonomy", str(labels_csv), "--preset",
              "generic"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    return root


def test_index_exits_1_when_the_job_fails(env_db: Path, tmp_path: Path) -> None:
    # given a registered dataset whose folder is gone by the time it is indexed
    runner = CliRunner()
    root = _add_one_frame_dataset(runner, env_db, tmp_path, "gone")
    for path in sorted(root.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    root.rmdir()
    # when it is indexed, then the job fails, says why, and the command exits 1
    indexed = runner.invoke(cli, ["dataset", "index", "gone"])
    assert indexed.exit_code == 1
    assert "failed" in indexed.output and "not an existing directory" in indexed.output


def test_index_refuses_while_another_index_job_is_unfinished(env_db: Path, tmp_path: Path) -> None:
    # given a registered dataset whose index job is queued (e.g. sent to the workers)
    runner = CliRunner()
    _add_one_frame_dataset(runner, env_db, tmp_path, "ds")
    factory = session_factory_for(get_settings())
    with session_scope(factory) as session:
        dataset_id = service.dataset_named(session, "ds").id
        queued = service.start_index(session, get_settings(), dataset_id, "api")
    # when it is indexed from the CLI, then the command names that job and exits 1
    refused = runner.invoke(cli, ["dataset", "index", "ds"])
    assert refused.exit_code == 1
    assert f"already being indexed by job {queued} (queued)" in refused.output
    # and once that job is cancelled, indexing runs
    assert runner.invoke(cli, ["jobs", "cancel", str(queued)]).exit_code == 0
    indexed = runner.invoke(cli, ["dataset", "index", "ds"])
    assert indexed.exit_code == 0 and "succeeded" in indexed.output, indexed.output


def test_index_shows_each_chunk_and_the_progress_as_it_runs(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a dataset of eight frames, indexed two frames per chunk
    runner = CliRunner()
    root = env / "ds"
    for i in range(8):
        write_png(root / f"images/{i}.png", np.zeros((2, 4, 3), dtype=np.uint8))
        write_png(root / f"labels/{i}.png", np.full((2, 4), i % 3, dtype=np.uint8))
    labels_csv = tmp_path / "labels.csv"
    labels_csv.write_text(write_labels_csv(TAXONOMY))
    added = runner.invoke(cli, ["dataset", "add", "ds", str(root), "--taxonomy", str(labels_csv),
                                "--preset", "generic"])  # fmt: skip
    assert added.exit_code == 0, added.output
    monkeypatch.setattr(indexing, "CHUNK_FRAMES", 2)
    # when it is indexed from the CLI
    indexed = runner.invoke(cli, ["dataset", "index", "ds"])
    # then each chunk's end is shown with the frames done so far, before the job's end
    assert indexed.exit_code == 0, indexed.output
    lines = indexed.output.splitlines()
    chunks = [m.groups() for m in map(CHUNK_LINE.search, lines) if m]
    assert chunks == [(str(k), "4", str(2 * k), "8") for k in range(1, 5)], indexed.output
    last_chunk = max(i for i, line in enumerate(lines) if CHUNK_LINE.search(line))
    assert last_chunk < next(i for i, line in enumerate(lines) if "succeeded 8/8" in line)


def test_a_taxonomy_file_clashing_with_a_stored_one_is_refused(
    env_db: Path, tmp_path: Path
) -> None:
    # given a stored taxonomy 'tiny' and a file of that name with other classes
    root = env_db / "ds"
    write_png(root / "images/a.png", np.zeros((2, 4, 3), dtype=np.uint8))
    write_png(root / "labels/a.png", np.zeros((2, 4), dtype=np.uint8))
    first = tmp_path / "tiny.yaml"
    first.write_text(dump_taxonomy(TAXONOMY))
    runner = CliRunner()
    base = ["dataset", "add", "a", str(root), "--preset", "generic", "--taxonomy"]
    assert runner.invoke(cli, [*base, str(first)]).exit_code == 0
    renamed = dataclasses.replace(TAXONOMY.classes[5], name="truck")
    other = dataclasses.replace(TAXONOMY, classes=(*TAXONOMY.classes[:5], renamed))
    second = tmp_path / "other" / "tiny.yaml"
    second.parent.mkdir()
    second.write_text(dump_taxonomy(other))
    # when a second dataset names that file, then it is refused, naming the difference
    clash = runner.invoke(cli, ["dataset", "add", "b", str(root), "--preset", "generic",
                                "--taxonomy", str(second)])  # fmt: skip
    assert clash.exit_code == 1
    assert "id 5: stored 'car'" in clash.output and "'truck'" in clash.output
    # and nothing was registered; the same file as stored is accepted
    listed = runner.invoke(cli, ["dataset", "list"]).output
    assert " a " in listed and " b " not in listed
    assert runner.invoke(cli, [*base[:2], "c", *base[3:], str(first)]).exit_code == 0


def test_a_taxonomy_file_that_is_not_utf8_is_a_clear_error(env_db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "labels.csv"
    bad.write_bytes(b"id,name\n0,r\xe9\n")
    result = CliRunner().invoke(
        cli, ["dataset", "add", "x", str(env_db), "--preset", "generic", "--taxonomy", str(bad)]
    )
    assert result.exit_code == 1
    assert "labels.csv:2: not UTF-8 text" in result.output
