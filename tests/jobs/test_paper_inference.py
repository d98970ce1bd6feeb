"""The paper's config_inference.yaml as pseudo_label settings, and back."""

from __future__ import annotations

from pathlib import Path

import yaml
from ontolabel.jobs.paper_inference import export_inference_config, import_inference_config
from ontolabel.jobs.params import MappingRef, ModelRef, PseudoLabelParams

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "data-priors" / "config_inference.yaml"


def _params(fields: dict[str, object]) -> PseudoLabelParams:
    return PseudoLabelParams.model_validate(
        {
            "model": ModelRef(id=1),
            "mapping": MappingRef(mapping_id=1),
            "dataset_id": 1,
            **fields,
        }
    )


def test_the_reference_file_becomes_tta_priors_and_workers_with_the_rest_reported() -> None:
    # given the paper's own inference config
    doc = yaml.safe_load(REFERENCE.read_text())
    # when it is imported
    imported = import_inference_config(doc)
    # then its TTA, priors switch and worker count are the job's settings
    params = _params(imported.fields)
    assert params.tta.scales == [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2] and params.tta.flip is True
    assert params.priors is True and params.options.num_workers == 2
    # and every key without an equivalent is named with what to do instead
    reported = {line.split(":")[0] for line in imported.unmapped}
    assert reported == {
        "dataset", "master_labels", "color_map", "pretrained", "extension", "save_results",
        "visualize", "show_extra", "save_softmax", "color_map_extra",
    }  # fmt: skip
    assert any(
        line.startswith("pretrained: pass the teacher with --model") for line in imported.unmapped
    )


def test_priors_off_and_export_round_trip() -> None:
    # given a document asking for the Naive Student's labels
    imported = import_inference_config(
        {"use_priors": False, "test_time_augmentation": {"flip": False, "scales": [1]}}
    )
    params = _params(imported.fields)
    assert params.priors is False and imported.unmapped == []
    # when exported, then importing the export gives the same settings
    again = _params(import_inference_config(export_inference_config(params)).fields)
    assert (again.tta, again.priors, again.options) == (params.tta, params.priors, params.options)
