"""``ontolabel dataset add / index / sample`` end to end on a constructed layout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from ontolabel.cli.main import cli
from ontolabel.core.config import get_settings
from ontolabel.domain.formats.reference import write_labels_csv

from .factories import TAXONOMY, write_png


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("ONTOLABEL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ONTOLABEL_DATA_ROOTS", str(data))
    monkeypatch.delenv("ONTOLABEL_DATABASE_URL", raising=False)
    monkeypatch.delenv("ONTOLABEL_REDIS_URL", raising=False)
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


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
