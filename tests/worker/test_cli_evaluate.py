"""``ontolabel evaluate`` end to end: folders of label PNGs and tiny models, stored results."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from ontolabel.api.app import create_app
from ontolabel.cli.database import open_database
from ontolabel.cli.main import cli
from ontolabel.core.config import get_settings
from PIL import Image

from .conftest import SOURCE_NAMES

CLASSES_CSV = "id,name\n" + "".join(f"{i},{n}\n" for i, n in enumerate(SOURCE_NAMES)) + "255,void\n"


def _evaluate(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["evaluate", *map(str, args)])


def _write_labels(folder: Path, labels: dict[str, np.ndarray]) -> Path:
    for key, ids in labels.items():
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(ids.astype(np.uint8)).save(folder / f"{key}.png")
    return folder


@pytest.fixture
def classes_csv(tmp_path: Path) -> Path:
    path = tmp_path / "labels.csv"
    path.write_text(CLASSES_CSV)
    return path


def test_predictions_equal_to_the_labels_score_100(
    cli_home: Path, tmp_path: Path, classes_csv: Path
) -> None:
    # given ground truth with road, building and sky (and ignored pixels), and the same PNGs
    # as predictions; vegetation and person appear nowhere
    rng = np.random.default_rng(0)
    truth = {k: rng.choice([0, 1, 3, 255], (16, 24)) for k in ("a/f0", "a/f1", "b/f0")}
    labels = _write_labels(tmp_path / "gt", truth)
    predictions = _write_labels(tmp_path / "pred", truth)
    # when they are evaluated with --json
    result = _evaluate("--predictions", predictions, "--labels", labels, "--classes", classes_csv,
                       "--json")  # fmt: skip
    # then stdout is the JSON alone: 100 for the present classes, null for the absent ones
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "miou": 100.0,
        "per_class": {"road": 100.0, "building": 100.0, "vegetation": None, "sky": 100.0,
                      "person": None},
    }  # fmt: skip
    assert "succeeded" in result.stderr


# 4x4 truth: 8 road, 6 building, 2 ignored. Predicted: 2 road pixels as building and 2 as
# ignore; sky only where the truth is ignored (so sky is absent, not a false positive).
TRUTH = np.array([[0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 255, 255]])
PREDICTED = np.array([[0, 0, 0, 0], [1, 1, 255, 255], [1, 1, 1, 1], [1, 1, 3, 3]])


def test_a_known_confusion_gives_the_hand_computed_ious(
    cli_home: Path, tmp_path: Path, classes_csv: Path
) -> None:
    # given one frame with the confusion above
    labels = _write_labels(tmp_path / "gt", {"f0": TRUTH})
    predictions = _write_labels(tmp_path / "pred", {"f0": PREDICTED})
    args: list[str | Path] = [
        "--predictions", predictions, "--labels", labels, "--classes", classes_csv
    ]  # fmt: skip
    # when it is evaluated, as JSON and as text
    as_json = _evaluate(*args, "--json")
    as_text = _evaluate(*args)
    # then road = 4 / (4 + 4 missed) = 50 %, building = 6 / (6 + 2 false) = 75 %, mIoU their
    # mean; the other classes are absent
    assert as_json.exit_code == 0 and as_text.exit_code == 0, as_json.output + as_text.output
    figures = json.loads(as_json.stdout)
    assert figures["miou"] == pytest.approx(62.5)
    assert figures["per_class"] == {
        "road": pytest.approx(50.0),
        "building": pytest.approx(75.0),
        "vegetation": None,
        "sky": None,
        "person": None,
    }
    lines = as_text.stdout.splitlines()
    assert "mIoU 62.50% over 2 of 5 classes present, 1 frame(s)" in as_text.stdout
    assert "  road         50.00" in lines and "  building     75.00" in lines
    assert "  sky            n/a" in lines


def test_a_model_folder_is_scored_and_the_evaluation_stored(
    cli_home: Path, tiny_segformer: Path, frames: Callable[..., tuple[Path, Path]]
) -> None:
    # given a tiny random SegFormer folder and frames whose labels hold ids 0..7 (5..7 are
    # no class of the model's, so ignored)
    images, labels = frames(["s/f0", "s/f1"])
    # when it is evaluated without --classes (its config's id2label names them)
    result = _evaluate("--model", tiny_segformer, "--images", images, "--labels", labels, "--json")
    # then the JSON names every class with a percentage or null
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert list(figures["per_class"]) == SOURCE_NAMES
    values = [v for v in figures["per_class"].values() if v is not None]
    assert values and all(0 <= v <= 100 for v in values)
    assert figures["miou"] == pytest.approx(np.mean(values))
    # and the evaluation is stored for the job, as the API lists it
    with TestClient(create_app(get_settings())) as client:
        stored = client.get("/api/models/evaluations").json()
    assert stored["total"] == 1
    evaluation = stored["items"][0]
    assert evaluation["class_names"] == SOURCE_NAMES and evaluation["frames"] == 2
    assert evaluation["subject"] == str(tiny_segformer)
    assert evaluation["mean_iou"] * 100 == pytest.approx(figures["miou"])
    assert "evaluate" in CliRunner().invoke(cli, ["jobs", "list"]).output


def test_a_registered_model_is_scored_in_its_taxonomy(
    cli_home: Path,
    tiny_segformer: Path,
    frames: Callable[..., tuple[Path, Path]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given the tiny SegFormer registered as 'teacher' with a taxonomy naming its classes
    monkeypatch.setenv("ONTOLABEL_DATA_ROOTS", str(tiny_segformer.parent))
    get_settings.cache_clear()
    open_database()  # the CLI's first use migrates the home's database
    images, labels = frames(["f0"])
    classes = [{"id": i, "name": n} for i, n in enumerate(SOURCE_NAMES)]
    with TestClient(create_app(get_settings())) as client:
        taxonomy = client.post(
            "/api/taxonomies", json={"name": "src", "kind": "source", "classes": classes}
        ).json()["id"]
        registered = client.post(
            "/api/models",
            json={"name": "teacher", "taxonomy_id": taxonomy, "kind": "hf_dir",
                  "path": str(tiny_segformer)},
        )  # fmt: skip
        assert registered.status_code == 201, registered.text
    # when it is evaluated by name
    result = _evaluate("--model", "teacher", "--images", images, "--labels", labels)
    # then every class of the taxonomy has a line, and the evaluation belongs to the model
    assert result.exit_code == 0, result.output
    assert all(any(line.split()[:1] == [n] for line in result.stdout.splitlines())
               for n in SOURCE_NAMES)  # fmt: skip
    with TestClient(create_app(get_settings())) as client:
        listed = client.get(
            "/api/models/evaluations", params={"model_id": registered.json()["id"]}
        ).json()
    assert listed["total"] == 1


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing labels folder", "nowhere does not exist"),
        ("no pairs", "no prediction/label pairs found"),
        ("unknown model", "'teacher' is neither a registered model (registered: none yet)"),
        ("invalid classes file", "bad.csv:2: "),
        ("predictions without classes", "--predictions needs --classes LABELS_CSV"),
        ("model folder without id2label", "give --classes LABELS_CSV"),
        ("both model and predictions", "give one of --model MODEL or --predictions DIR"),
        ("model without images", "--model needs --images DIR"),
        ("repeated class names", "class names must be unique; repeated: ['road']"),
    ],
)
def test_bad_input_exits_1_with_a_message(
    case: str, message: str, cli_home: Path, tmp_path: Path, classes_csv: Path
) -> None:
    # given a folder of ground truth, one of predictions named otherwise, and the bad input
    labels = _write_labels(tmp_path / "gt", {"f0": TRUTH})
    unpaired = _write_labels(tmp_path / "pred", {"other": TRUTH})
    (tmp_path / "bad.csv").write_text("id,name\nroad,0\n")
    (tmp_path / "twice.csv").write_text("id,name\n0,road\n1,road\n")
    (tmp_path / "no-config").mkdir()
    scored: list[str | Path] = [
        "--predictions", unpaired, "--labels", labels, "--classes", classes_csv
    ]  # fmt: skip
    cases: dict[str, list[str | Path]] = {
        "missing labels folder": [*scored[:2], "--labels", tmp_path / "nowhere", *scored[4:]],
        "no pairs": scored,
        "unknown model": ["--model", "teacher", "--images", unpaired, "--labels", labels],
        "invalid classes file": [*scored[:4], "--classes", tmp_path / "bad.csv"],
        "predictions without classes": scored[:4],
        "model folder without id2label": ["--model", tmp_path / "no-config", "--images",
                                          unpaired, "--labels", labels],
        "both model and predictions": ["--model", "teacher", *scored],
        "model without images": ["--model", "teacher", "--labels", labels],
        "repeated class names": [*scored[:4], "--classes", tmp_path / "twice.csv"],
    }  # fmt: skip
    # when it runs
    result = _evaluate(*cases[case], "--json")
    # then it exits 1 with the message, no traceback, nothing on stdout
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert message in result.stderr and "Traceback" not in result.output
    assert result.stdout == ""
