"""``ontolabel label`` end to end on synthetic frames with a tiny SegFormer on disk."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from ontolabel.api.app import create_app
from ontolabel.cli.main import cli
from ontolabel.core.config import Settings, get_settings
from ontolabel.core.db import upgrade_database
from PIL import Image

from .conftest import EXTRA_CSV, MAPPING_CSV, SOURCE_NAMES, paper_teacher

# extra id → allowed source ids (255 = void) per MAPPING_CSV
ALLOWED = {0: {255}, 1: {0}, 2: {1, 255}, 3: {2}, 4: {3}, 5: {4}, 6: {4}, 7: set()}


def test_label_writes_mirrored_constrained_pngs_and_a_manifest(
    tiny_segformer: Path,
    frames: Callable[..., tuple[Path, Path]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given frames, an extra labels.csv, a reference mapping CSV and a temp home
    images, labels = frames(["seq1/f0", "seq1/f1", "seq2/f0"])
    out = tmp_path / "out"
    options = ["--scales", "0.75,1", "--chunk-frames", "2", "--save-prediction"]
    # when it runs
    result = _label(tiny_segformer, images, labels, out, options, monkeypatch)
    # then outputs mirror the label paths and obey the mapping
    assert result.exit_code == 0, result.output
    assert "labelled 3 frame(s), 0 error(s)" in result.output
    for key in ("seq1/f0", "seq1/f1", "seq2/f0"):
        _assert_obeys_the_mapping(out / f"{key}.png", labels / f"{key}.png")
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


def _label(
    model: Path,
    images: Path,
    labels: Path,
    out: Path,
    options: list[str],
    monkeypatch: pytest.MonkeyPatch,
    mapping_csv: str = MAPPING_CSV,
) -> Result:
    """``ontolabel label`` on CPU with ``mapping_csv``, in a temp home without a database."""
    monkeypatch.setenv("ONTOLABEL_HOME", str(out.parent / "home"))
    monkeypatch.delenv("ONTOLABEL_DATABASE_URL", raising=False)
    monkeypatch.delenv("ONTOLABEL_REDIS_URL", raising=False)
    get_settings.cache_clear()
    out.parent.mkdir(parents=True, exist_ok=True)
    (out.parent / "labels.csv").write_text(EXTRA_CSV)
    (out.parent / "master_labels_src.csv").write_text(mapping_csv)
    args = [
        "label", "--model", str(model), "--images", str(images), "--labels", str(labels),
        "--extra", str(out.parent / "labels.csv"), "--mapping",
        str(out.parent / "master_labels_src.csv"), "--out", str(out), "--device", "cpu",
        "--workers", "0", *options,
    ]  # fmt: skip
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    get_settings.cache_clear()
    return result


def _assert_obeys_the_mapping(pseudo_png: Path, extra_png: Path) -> None:
    pseudo = np.asarray(Image.open(pseudo_png))
    extra = np.asarray(Image.open(extra_png))
    assert pseudo.shape == extra.shape == (32, 64)
    for e, allowed in ALLOWED.items():
        values = set(np.unique(pseudo[extra == e]).tolist())
        assert values <= (allowed | {255}), (pseudo_png, e, values)
    assert set(np.unique(pseudo[extra == 7]).tolist()) <= {255}  # unmapped: never class 0
    assert set(np.unique(pseudo[extra == 0]).tolist()) <= {255}  # void-only


def test_a_rerun_with_an_edited_mapping_relabels_like_a_fresh_run(
    tiny_segformer: Path,
    frames: Callable[..., tuple[Path, Path]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a folder labelled with mapping M1
    images, labels = frames(["a/f0", "a/f1", "b/f0"])
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    first = _label(tiny_segformer, images, labels, out, ["--scales", "1"], monkeypatch)
    assert first.exit_code == 0, first.output
    # when a row is edited (wall, unmapped in M1, may now be vegetation; rider no longer
    # person) and the label run is repeated into the same folder
    edited = MAPPING_CSV.replace("2,vegetation,tree", "2,vegetation,tree,wall").replace(
        "4,person,pedestrian,rider", "4,person,pedestrian"
    )
    rerun = _label(tiny_segformer, images, labels, out, ["--scales", "1"], monkeypatch, edited)
    again = _label(tiny_segformer, images, labels, fresh, ["--scales", "1"], monkeypatch, edited)
    # then every label equals a fresh run's with M2, and the manifest names M2 for each
    assert rerun.exit_code == 0 and again.exit_code == 0, rerun.output + again.output
    for key in ("a/f0", "a/f1", "b/f0"):
        relabelled = np.asarray(Image.open(out / f"{key}.png"))
        np.testing.assert_array_equal(relabelled, np.asarray(Image.open(fresh / f"{key}.png")))
    walls = np.asarray(Image.open(labels / "a/f0.png")) == 7
    wall_labels = np.asarray(Image.open(out / "a/f0.png"))[walls]
    assert walls.any() and set(np.unique(wall_labels).tolist()) == {2}  # was 255 under M1
    manifest = json.loads((out / "manifest.json").read_text())
    digest = hashlib.sha256(edited.encode()).hexdigest()
    assert manifest["mapping"]["sha256"] == digest
    current = manifest["provenance"]
    assert manifest["provenances"][current]["mapping"]["sha256"] == digest
    assert {f["provenance"] for f in manifest["frames"].values()} == {current}
    assert manifest["summary"]["labelled"] == 3 and manifest["summary"]["other_provenance"] == 0


def test_label_with_a_paper_teacher_pth(
    frames: Callable[..., tuple[Path, Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a teacher released in the paper's .pth layout, and two frames
    teacher = tmp_path / "6_best.pth"
    paper_teacher(teacher, SOURCE_NAMES)
    images, labels = frames(["f0", "f1"])
    # when `ontolabel label` runs with it, without --allow-pickle
    result = _label(teacher, images, labels, tmp_path / "out", ["--scales", "1"], monkeypatch)
    # then both frames get pseudo-labels that obey the mapping
    assert result.exit_code == 0, result.output
    assert "labelled 2 frame(s), 0 error(s)" in result.output
    for key in ("f0", "f1"):
        _assert_obeys_the_mapping(tmp_path / "out" / f"{key}.png", labels / f"{key}.png")


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


def test_a_folder_label_wrote_under_the_output_root_can_be_evaluated_through_the_api(
    tiny_segformer: Path,
    frames: Callable[..., tuple[Path, Path]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a server's home whose data root holds the frames, and `ontolabel label` writing
    # under that home's output root
    images, labels = frames(["a", "b"])
    home = tmp_path / "home"
    monkeypatch.setenv("ONTOLABEL_DATA_ROOTS", str(labels.parent))
    out = home / "outputs" / "by-cli"
    labelled = _label(tiny_segformer, images, labels, out, ["--scales", "1"], monkeypatch)
    assert labelled.exit_code == 0, labelled.output
    # when the API is asked to evaluate that folder against the extra labels
    settings = Settings(home=home, data_roots=str(labels.parent))
    upgrade_database(settings.sqlalchemy_url)
    params = {"predictions_dir": str(out), "labels_dir": str(labels), "class_ids": [0, 1, 2, 3, 4]}
    app = create_app(settings)
    with TestClient(app) as client:
        created = client.post("/api/jobs", json={"kind": "evaluate", "params": params})
        assert created.status_code == 201, created.text
        job = created.json()
        while job["status"] not in ("succeeded", "failed", "cancelled"):
            time.sleep(0.2)
            job = client.get(f"/api/jobs/{job['id']}").json()
    app.state.engine.dispose()
    # then both agree on the roots: the job reads the folder and scores its two frames
    assert job["status"] == "succeeded", job["error"]
    assert job["outputs"]["evaluation_id"] >= 1


def test_label_takes_the_papers_inference_config_under_its_own_options(
    tiny_segformer: Path,
    frames: Callable[..., tuple[Path, Path]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given the paper's config_inference.yaml asking for no priors, one scale, and a teacher
    config = tmp_path / "config_inference.yaml"
    config.write_text(
        "seg_task: semantic\npretrained: experiments/6_best.pth\nnum_workers: 0\n"
        "test_time_augmentation:\n  flip: true\n  scales: [1]\nuse_priors: false\n"
    )
    images, labels = frames(["f0"])
    out = tmp_path / "out"
    # when `ontolabel label --config` runs with --no-flip given on the command line
    result = _label(
        tiny_segformer, images, labels, out, ["--config", str(config), "--no-flip"], monkeypatch
    )
    # then the config's scales and priors apply, the explicit option wins over its flip,
    # and the key with no equivalent is named
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tta"]["scales"] == [1.0] and manifest["tta"]["flip"] is False
    assert manifest["priors"] is False
    assert "--config: pretrained: pass the teacher with --model" in result.output
