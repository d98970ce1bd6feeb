"""The paper's training config.yaml as train settings, and a job's settings back in its shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from ontolabel.jobs.paper_config import apply_datasets, export_config, import_config
from ontolabel.jobs.train_params import AugmentOverrides, TrainData, TrainParams

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "data-priors" / "config.yaml"


def _reference() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(REFERENCE.read_text())
    return doc


def _params(fields: dict[str, Any], **extra: Any) -> TrainParams:
    body = {"taxonomy_id": 1, "data": [{"dataset_id": 1}], "model": {"preset": "segformer-b0"}}
    merged = {**fields, **body, **extra}
    merged["model"] = {**fields.get("model", {}), **body["model"]}
    return TrainParams.model_validate(merged)


def test_the_reference_config_becomes_the_papers_settings() -> None:
    # given the published trainer's config.yaml
    config = import_config(_reference())
    # when its settings make a train contract
    params = _params(config.fields)
    # then optimiser, schedule, stopping and augmentation are the paper's
    optim = params.optim
    assert (optim.optimizer, optim.lr, optim.encoder_lr, optim.weight_decay) == (
        "adamw",
        1e-4,
        1e-5,
        0.05,
    )
    assert (optim.schedule, optim.milestones, optim.gamma, optim.warmup_epochs) == (
        "multistep",
        [0.9, 0.95],
        0.1,
        1.0,
    )
    assert optim.grad_clip == 1.0
    assert (params.epochs, params.batch_size, params.num_workers, params.val_every) == (
        100,
        4,
        16,
        1,
    )
    assert params.patience == 15
    assert params.model.init_head is False and params.model.no_object_weight == 0.005
    augment = params.augment
    assert (augment.min_crop_size, augment.max_crop_size) == (240, 14_400)
    assert (augment.min_crop_scale, augment.max_crop_scale, augment.flip) == (0.67, 0.95, 0.5)
    assert augment.hue_shift == (-3.0, 3.0) and augment.shear == (-2.0, 2.0)
    assert (augment.blur_prob, augment.gaussian_noise, augment.noise_prob) == (0.005, 0.01, 0.0025)
    assert config.pretrained == "facebook/mask2former-swin-base-mapillary-vistas-semantic"
    # and the per-dataset entries are kept by name
    assert config.datasets["goose"].weight == 1.0
    assert config.datasets["tas500"].augment == {"max_crop_scale": 0.66, "min_crop_scale": 0.33}
    merged = {name for name, d in config.datasets.items() if d.merge_val}
    assert merged == {"rellis3d", "tas500", "yamaha", "freiburgforest", "cityscapes"}


def test_keys_without_an_equivalent_are_reported_once_per_section() -> None:
    config = import_config(_reference())
    reported = [line.split(":")[0] for line in config.unmapped]
    assert sorted(reported) == [
        "augmentation.base.image_dim",
        "color_map",
        "dataset",
        "master_labels",
        "pseudo_labels_root",
        "resume",  # false there; ontolabel always resumes
        "size",
        "source_dataset",
        "tensorboard_imgs",
        "training_params.first_epoch_save",
        "training_params.save_interval",
        "validation_datasets",
    ]
    # the unused optimisers' and schedules' sections are not reported: they do nothing
    assert not [line for line in config.unmapped if "SGD" in line or "Polynomial" in line]


def test_unknown_keys_and_unsupported_values_are_reported() -> None:
    doc = {**_reference(), "seg_task": "panoptic", "mixup": 0.2, "optimizer": {"name": "LAMB"}}
    config = import_config(doc)
    assert "mixup: no equivalent" in config.unmapped
    assert any(line.startswith("seg_task: ") for line in config.unmapped)
    assert any(line.startswith("optimizer.name: 'LAMB'") for line in config.unmapped)


def test_milestones_in_epochs_become_fractions_of_training() -> None:
    # given the layout the released teachers' checkpoints store: milestones in epochs
    doc = {
        "training_params": {"epochs": 100},
        "lr_scheduler": {
            "name": "MultiStepLR",
            "MultiStepLR": {"gamma": 0.1, "milestones": [90, 95]},
        },
    }
    assert import_config(doc).fields["optim"]["milestones"] == [0.9, 0.95]
    # and milestones past the last epoch are reported, not guessed
    doc["lr_scheduler"]["MultiStepLR"]["milestones"] = [90, 120]
    config = import_config(doc)
    assert "milestones" not in config.fields["optim"]
    assert any("milestones" in line for line in config.unmapped)


def test_per_dataset_settings_apply_to_entries_of_those_names() -> None:
    # given the reference config and entries named goose (a dataset), tas500 (folders)
    config = import_config(_reference())
    data = [
        TrainData(name="goose", dataset_id=1),
        TrainData(name="tas500", images_dir="/d/tas500/images", labels_dir="/d/tas500/labels"),
        TrainData(name="mine", dataset_id=2),
    ]
    applied, notes = apply_datasets(config, data)
    # then each takes its settings; a folder pair cannot merge a val split; the rest is said
    assert applied[0].weight == 1.0 and applied[0].merge_val is False
    assert applied[1].augment == AugmentOverrides(max_crop_scale=0.66, min_crop_scale=0.33)
    assert applied[1].merge_val is False
    assert applied[2] == data[2]
    assert "train_with_val: tas500 is not a registered dataset (no val split)" in notes
    assert sorted(n.split(":")[0] for n in notes if "no data entry" in n) == [
        "cityscapes",
        "freiburgforest",
        "rellis3d",
        "yamaha",
    ]


def test_an_exported_job_imports_back_to_the_same_settings() -> None:
    # given a job's settings, some of them with no key in the paper's document
    params = TrainParams.model_validate(
        {
            "taxonomy_id": 3,
            "data": [
                {"name": "city", "dataset_id": 2, "merge_val": True, "weight": 2.0},
                {
                    "name": "extra",
                    "pseudo_label_job": 9,
                    "weight": 0.5,
                    "augment": {"min_crop_scale": 0.3, "shear": [-1, 1]},
                },
            ],
            "val": [{"name": "city-val", "dataset_id": 2}],
            "model": {"hub_id": "org/weights", "init_head": False, "no_object_weight": 0.01},
            "augment": {"crop": 384, "flip": 0.25},
            "optim": {"optimizer": "sgd", "lr": 0.01, "encoder_lr": None, "momentum": 0.8,
                      "schedule": "poly", "poly_power": 0.8, "warmup_epochs": 0.5},
            "steps": 5000,
            "fine_tune_epochs": 3,
            "seed": 7,
        }
    )  # fmt: skip
    # when it is exported and the document imported again
    doc = export_config(params)
    config = import_config(yaml.safe_load(yaml.safe_dump(doc)))
    # then the settings are the same, and so are the per-dataset ones
    again = TrainParams.model_validate(
        {
            **config.fields,
            "taxonomy_id": 3,
            "data": apply_datasets(
                config,
                [TrainData(name="city", dataset_id=2), TrainData(name="extra", pseudo_label_job=9)],
            )[0],
            "val": params.val,
            "model": {**config.fields["model"], "hub_id": config.pretrained},
        }
    )
    assert again == params
    assert doc["source_dataset"] == "city" and doc["validation_datasets"] == ["city-val"]
    assert doc["optimizer"]["name"] == "SGD" and doc["lr_scheduler"]["name"] == "PolynomialLR"
    assert [
        line for line in config.unmapped if not line.startswith(("dataset", "source", "validation"))
    ] == []
