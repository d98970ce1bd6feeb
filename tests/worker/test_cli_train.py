"""``ontolabel train`` end to end: folders in, a save_pretrained folder out that
``ontolabel label --model`` and ``ontolabel evaluate --model`` load."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result
from ontolabel.cli.main import cli

from .conftest import EXTRA_CSV, MAPPING_CSV, SOURCE_NAMES

CLASSES_CSV = "id,name\n" + "".join(f"{i},{n}\n" for i, n in enumerate(SOURCE_NAMES)) + "255,void\n"


def _invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [*map(str, args)])


def test_train_writes_a_model_folder_that_label_and_evaluate_load(
    cli_home: Path, tmp_path: Path, frames: Callable[..., tuple[Path, Path]]
) -> None:
    # given source frames (ids 0..4 named by a labels.csv) and a held-out pair of folders
    images, labels = frames(["s/a", "s/b", "c"])
    classes = tmp_path / "src" / "labels.csv"
    classes.parent.mkdir()
    classes.write_text(CLASSES_CSV)
    out = tmp_path / "student"
    # when a nano SegFormer is trained for two epochs on CPU
    result = _invoke(
        "train", "--data", f"{images}:{labels}", "--val", f"{images}:{labels}",
        "--classes", classes, "--out", out, "--model", "segformer-nano", "--epochs", "2",
        "--batch-size", "2", "--crop", "32", "--lr", "1e-3", "--seed", "3", "--device", "cpu",
    )  # fmt: skip
    # then progress and the epochs were shown, and --out holds the best model
    assert result.exit_code == 0, result.output
    assert "epoch 1 (train)" in result.output and "ETA" in result.output
    assert "trained 2 epoch(s), 4 step(s)" in result.output and str(out) in result.output
    config = json.loads((out / "config.json").read_text())
    assert [config["id2label"][str(i)] for i in range(5)] == SOURCE_NAMES
    # and `ontolabel label --model` pseudo-labels with it
    (tmp_path / "extra.csv").write_text(EXTRA_CSV)
    (tmp_path / "mapping.csv").write_text(MAPPING_CSV)
    labelled = _invoke(
        "label", "--model", out, "--images", images, "--labels", labels, "--extra",
        tmp_path / "extra.csv", "--mapping", tmp_path / "mapping.csv", "--out",
        tmp_path / "pseudo", "--device", "cpu", "--workers", "0", "--scales", "1",
    )  # fmt: skip
    assert labelled.exit_code == 0, labelled.output
    assert "labelled 3 frame(s), 0 error(s)" in labelled.output
    # and `ontolabel evaluate --model` scores it
    scored = _invoke("evaluate", "--model", out, "--images", images, "--labels", labels, "--json")
    assert scored.exit_code == 0, scored.output
    figures = json.loads(scored.stdout)
    assert set(figures["per_class"]) == set(SOURCE_NAMES) and 0 <= figures["miou"] <= 100


def test_train_from_the_papers_config_with_options_over_it(
    cli_home: Path, tmp_path: Path, frames: Callable[..., tuple[Path, Path]]
) -> None:
    # given the reference config.yaml (100 epochs, a hub model) and a small --steps budget
    images, labels = frames(["a", "b"])
    classes = tmp_path / "labels.csv"
    classes.write_text(CLASSES_CSV)
    config = Path(__file__).resolve().parents[1] / "data" / "data-priors" / "config.yaml"
    result = _invoke(
        "train", "--data", f"{images}:{labels}", "--classes", classes, "--out",
        tmp_path / "out", "--config", config, "--model", "segformer-nano", "--steps", "2",
        "--batch-size", "1", "--crop", "32", "--device", "cpu",
    )  # fmt: skip
    # then it trains the given steps, warning about the keys it could not use
    assert result.exit_code == 0, result.output
    assert "warning: --config tensorboard_imgs" in result.output
    assert "2 step(s)" in result.output and (tmp_path / "out" / "config.json").is_file()
