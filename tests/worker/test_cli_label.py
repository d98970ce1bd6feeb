"""``ontolabel label`` end to end on synthetic frames with a tiny SegFormer on disk."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from ontolabel.cli.main import cli
from ontolabel.core.config import get_settings
from PIL import Image

from .conftest import EXTRA_CSV, MAPPING_CSV

# extra id → allowed source ids (255 = void) per MAPPING_CSV
ALLOWED = {0: {255}, 1: {0}, 2: {1, 255}, 3: {2}, 4: {3}, 5: {4}, 6: {4}, 7: set()}


def test_label_writes_mirrored_constrained_pngs_and_a_manifest(
    tiny_segformer: Path,
    frames: Callable[..., tuple[Path, Path]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given frames, an extra labels.csv, a reference mapping CSV and a temp home
    monkeypatch.setenv("ONTOLABEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ONTOLABEL_DATABASE_URL", raising=False)
    monkeypatch.delenv("ONTOLABEL_REDIS_URL", raising=False)
    get_settings.cache_clear()
    images, labels = frames(["seq1/f0", "seq1/f1", "seq2/f0"])
    (tmp_path / "labels.csv").write_text(EXTRA_CSV)
    (tmp_path / "master_labels_src.csv").write_text(MAPPING_CSV)
    out = tmp_path / "out"
    args = [
        "label", "--model", str(tiny_segformer), "--images", str(images), "--labels",
        str(labels), "--extra", str(tmp_path / "labels.csv"), "--mapping",
        str(tmp_path / "master_labels_src.csv"), "--out", str(out), "--scales", "0.75,1",
        "--device", "cpu", "--workers", "0", "--chunk-frames", "2", "--save-prediction",
    ]  # fmt: skip
    # when it runs
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    get_settings.cache_clear()
    # then outputs mirror the label paths and obey the mapping
    assert result.exit_code == 0, result.output
    assert "labelled 3 frame(s), 0 error(s)" in result.output
    for key in ("seq1/f0", "seq1/f1", "seq2/f0"):
        pseudo = np.asarray(Image.open(out / f"{key}.png"))
        extra = np.asarray(Image.open(labels / f"{key}.png"))
        assert pseudo.shape == extra.shape == (32, 64)
        for e, allowed in ALLOWED.items():
            values = set(np.unique(pseudo[extra == e]).tolist())
            assert values <= (allowed | {255}), (key, e, values)
        assert set(np.unique(pseudo[extra == 7]).tolist()) <= {255}  # unmapped: never class 0
        assert set(np.unique(pseudo[extra == 0]).tolist()) <= {255}  # void-only
        assert (out / "_prediction" / f"{key}.png").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tta"]["scales"] == [0.75, 1.0] and manifest["tta"]["flip"] is True
    assert manifest["tta"]["precision_used"] == ["fp32"]  # bf16 autocast is CUDA-only
    assert all(f["precision"] == "fp32" for f in manifest["frames"].values())
    assert set(manifest["frames"]) == {"seq1/f0", "seq1/f1", "seq2/f0"}
    assert manifest["errors"] == {} and manifest["code_version"].startswith("0.")
    mapping_file = tmp_path / "master_labels_src.csv"
    assert manifest["mapping"]["file"] == str(mapping_file.resolve())
    assert manifest["mapping"]["sha256"] == hashlib.sha256(mapping_file.read_bytes()).hexdigest()
    assert (
        manifest["mapping"]["extra_labels_sha256"]
        == hashlib.sha256((tmp_path / "labels.csv").read_bytes()).hexdigest()
    )


def test_label_help_is_fast_and_lists_options() -> None:
    result = CliRunner().invoke(cli, ["label", "--help"])
    assert result.exit_code == 0
    assert "--void-threshold" in result.output and "--no-flip" in result.output


def test_an_unknown_model_name_fails_before_any_job(
    frames: Callable[..., tuple[Path, Path]],
    tmp_path: Path,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a database with no model called 'teacher' and no such folder
    monkeypatch.setenv("ONTOLABEL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ONTOLABEL_DATABASE_URL", db_url)
    monkeypatch.delenv("ONTOLABEL_REDIS_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    images, labels = frames(["a"])
    (tmp_path / "labels.csv").write_text(EXTRA_CSV)
    (tmp_path / "master_labels_src.csv").write_text(MAPPING_CSV)
    args = [
        "label", "--model", "teacher", "--images", str(images), "--labels", str(labels),
        "--extra", str(tmp_path / "labels.csv"), "--mapping",
        str(tmp_path / "master_labels_src.csv"), "--out", str(tmp_path / "out"),
    ]  # fmt: skip
    # when it runs
    result = CliRunner().invoke(cli, args)
    jobs = CliRunner().invoke(cli, ["jobs", "list"])
    get_settings.cache_clear()
    # then it says what MODEL may be, and no job was made (no download attempted)
    assert result.exit_code == 1
    assert "'teacher' is neither a registered model (registered: none yet)" in result.output
    assert "0 of 0 job(s)" in jobs.output
