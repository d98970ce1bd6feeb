"""``ontolabel train`` up to the job: options into ``TrainParams`` (over a paper config),
``--classes`` into a taxonomy, ``--model`` into a start, and bad input as exit 1."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from ontolabel.cli.jobs import refusals_as_cli_errors
from ontolabel.cli.main import cli
from ontolabel.cli.training import (
    FolderPair,
    TrainOptions,
    classes_taxonomy,
    model_start,
    parse_folder_pair,
    read_config,
    train_params,
)
from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.taxonomies.repository import load_domain_taxonomy
from sqlalchemy.orm import Session, sessionmaker

REFERENCE_CONFIG = Path(__file__).resolve().parents[1] / "data" / "data-priors" / "config.yaml"
LABELS_CSV = "id,name\n0,road\n1,sky\n2,car\n"


def _pair(root: Path, name: str) -> FolderPair:
    for sub in ("images", "labels"):
        (root / name / sub).mkdir(parents=True, exist_ok=True)
    return FolderPair(root / name / "images", root / name / "labels")


def test_folder_pairs_parse_with_an_optional_weight(tmp_path: Path) -> None:
    pair = _pair(tmp_path, "goose")
    value = f"{pair.images}:{pair.labels}"
    assert parse_folder_pair(value, "--data", weighted=True) == pair
    assert parse_folder_pair(f"{value}:0.5", "--data", weighted=True).weight == 0.5
    for bad, why in (
        (f"{pair.images}", "give IMAGES:LABELS[:WEIGHT]"),
        (f"{value}:heavy", "WEIGHT must be a number"),
        (f"{pair.images}:{tmp_path / 'nope'}", "LABELS folder"),
    ):
        with pytest.raises(click.ClickException, match=re.escape(why)):
            parse_folder_pair(bad, "--data", weighted=True)
    with pytest.raises(click.ClickException, match="give IMAGES:LABELS"):
        parse_folder_pair(f"{value}:0.5", "--val", weighted=False)


def test_options_make_the_contract_named_by_folder_with_the_first_as_source(
    tmp_path: Path,
) -> None:
    # given two --data (the second weighted), a --val and some settings
    source, extra, val = _pair(tmp_path, "city"), _pair(tmp_path, "pseudo"), _pair(tmp_path, "v")
    options = TrainOptions(
        data=[source, FolderPair(extra.images, extra.labels, 0.5)],
        val=[val],
        epochs=3,
        batch_size=2,
        crop=64,
        lr=1e-3,
        seed=4,
        device="cpu",
    )
    # when they become the job's parameters
    params, notes = train_params(options, 7, {"preset": "segformer-nano"})
    # then each setting lands in its field, and the rest keeps the contract's defaults
    assert [d.name for d in params.data] == ["city", "pseudo"]
    assert params.data[0].images_dir == str(source.images) and params.data[1].weight == 0.5
    assert [(v.name, v.labels_dir) for v in params.val] == [("v", str(val.labels))]
    assert (params.taxonomy_id, params.epochs, params.steps, params.batch_size) == (7, 3, None, 2)
    assert (params.augment.crop, params.optim.lr, params.seed, params.device) == (
        64,
        1e-3,
        4,
        "cpu",
    )
    assert params.optim.encoder_lr == 1e-5 and params.patience == 15
    assert params.model.preset == "segformer-nano" and notes == []


def test_options_given_override_the_papers_config(tmp_path: Path) -> None:
    # given the reference config and --data named like two of its datasets
    config = read_config(REFERENCE_CONFIG)
    goose, tas = _pair(tmp_path, "goose"), _pair(tmp_path, "tas500")
    tas = FolderPair(tas.images, tas.labels, 3.0)
    options = TrainOptions(data=[goose, tas], steps=50, lr=2e-4, crop=96, patience=4)
    # when the options are applied over it
    params, notes = train_params(options, 1, {"preset": "segformer-b0"}, config)
    # then what was given wins, and the config supplies the rest
    assert (params.steps, params.epochs) == (50, None)  # --steps replaces its 100 epochs
    assert (params.optim.lr, params.optim.encoder_lr) == (2e-4, 1e-5)
    assert (params.augment.crop, params.augment.min_crop_size) == (96, 240)
    assert (params.patience, params.batch_size, params.model.init_head) == (4, 4, False)
    assert params.model.preset == "segformer-b0"
    # and per-dataset settings follow the names; a weight given beats the config's
    assert params.data[0].weight == 1.0
    assert params.data[1].weight == 3.0 and params.data[1].augment is not None
    assert params.data[1].augment.max_crop_scale == 0.66
    assert "train_with_val: tas500 is not a registered dataset (no val split)" in notes


def test_classes_come_from_a_labels_csv_a_model_folder_or_a_stored_name(
    tmp_path: Path, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    # given a labels.csv in a folder named after its taxonomy, and a model folder
    csv = tmp_path / "roads" / "labels.csv"
    csv.parent.mkdir()
    csv.write_text(LABELS_CSV)
    model = tmp_path / "student-1"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"id2label": {"0": "a", "1": "b"}}))
    with session_scope(session_factory) as session:
        # when each is given as --classes (the csv twice, then by the name it got)
        first = classes_taxonomy(session, str(csv))
        assert classes_taxonomy(session, str(csv)) == first
        assert classes_taxonomy(session, "roads") == first
        from_model = classes_taxonomy(session, str(model))
        # then the csv is one taxonomy, and the folder's id2label another, with a void
        roads = load_domain_taxonomy(session, first)
        named = load_domain_taxonomy(session, from_model)
    assert roads is not None and [c.name for c in roads.classes] == ["road", "sky", "car"]
    assert named is not None and named.name == "student-1"
    assert [(c.id, c.name) for c in named.classes] == [(0, "a"), (1, "b"), (255, "void")]
    # and a csv of other classes under a taken name, or nothing at all, is refused
    csv.write_text("id,name\n0,road\n1,grass\n")
    with (
        session_scope(session_factory) as session,
        pytest.raises(click.ClickException) as err,
        refusals_as_cli_errors(),
    ):
        classes_taxonomy(session, str(csv))
    assert "already exists with other classes" in err.value.message
    with session_factory() as session, pytest.raises(click.ClickException, match="neither"):
        classes_taxonomy(session, str(tmp_path / "nothing"))


def test_the_model_is_a_preset_a_folder_a_hub_id_or_refused(
    tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    folder = tmp_path / "weights"
    folder.mkdir()
    (tmp_path / "teacher.pth").write_bytes(b"")
    assert model_start(session_factory, "mask2former-swin-tiny") == (
        {"preset": "mask2former-swin-tiny"},
        [],
    )
    assert model_start(session_factory, str(folder)) == ({"init": {"path": str(folder)}}, [folder])
    assert model_start(session_factory, "org/name") == ({"hub_id": "org/name"}, [])
    with pytest.raises(click.ClickException, match="checkpoint file cannot start"):
        model_start(session_factory, str(tmp_path / "teacher.pth"))
    with pytest.raises(click.ClickException, match="segformer-tiny"):
        model_start(session_factory, "segformer-huge")


def _train(args: list[str]) -> Result:
    return CliRunner().invoke(cli, ["train", *args])


def test_bad_input_exits_1_with_a_message_before_any_job(cli_home: Path, tmp_path: Path) -> None:
    pair = _pair(tmp_path, "city")
    data = ["--data", f"{pair.images}:{pair.labels}"]
    csv = tmp_path / "labels.csv"
    csv.write_text(LABELS_CSV)
    base = [*data, "--classes", str(csv), "--out", str(tmp_path / "out")]
    stuffed = tmp_path / "stuffed"
    stuffed.mkdir()
    (stuffed / "notes.txt").write_text("mine")
    cases = [
        ([*base, "--steps", "5", "--epochs", "2"], "give --steps or --epochs, not both"),
        (base, "give --steps N or --epochs N"),
        (["--data", str(pair.images), *base[2:], "--steps", "5"], "give IMAGES:LABELS"),
        ([*base, "--steps", "5", "--model", "resnet"], "is neither a preset"),
        (
            [*data, "--classes", "nowhere", "--out", str(tmp_path / "o"), "--steps", "5"],
            "--classes",
        ),
        ([*data, "--classes", str(csv), "--out", str(stuffed), "--steps", "5"], "not empty"),
        ([*base, "--steps", "5", "--device", "gpu"], "device"),
        ([*base, "--steps", "0"], "steps"),
    ]
    for args, message in cases:
        result = _train(args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
    # and none of them left a job behind
    assert "0 of 0 job(s)" in CliRunner().invoke(cli, ["jobs", "list"]).output


def test_a_config_prints_the_keys_it_cannot_use(cli_home: Path, tmp_path: Path) -> None:
    pair = _pair(tmp_path, "goose")
    result = _train(
        ["--data", f"{pair.images}:{pair.labels}", "--classes", "nowhere", "--out",
         str(tmp_path / "out"), "--config", str(REFERENCE_CONFIG), "--model", "segformer-nano"]
    )  # fmt: skip
    assert result.exit_code == 1  # --classes names nothing: stopped before any job
    assert "warning: --config tensorboard_imgs: TensorBoard gets scalars only" in result.output
    assert "warning: --config resume: an interrupted job always resumes" in result.output
