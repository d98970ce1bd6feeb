"""The paper's ``config_inference.yaml`` in ontolabel's terms: ``pseudo_label`` settings.

Pure: a parsed document in, the ``PseudoLabelParams`` fields it sets out, with one line
per key that has no equivalent (and what to do instead); and a job's settings back out in
the paper's shape. ``ontolabel label --config`` uses both directions' first half.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ontolabel.jobs.params import PseudoLabelParams

JSON = dict[str, Any]

INSTEAD = {
    "dataset": "pass the frames with --images/--labels (or a job's dataset_id)",
    "master_labels": "pass the mapping file with --mapping (or a job's mapping id)",
    "pretrained": "pass the teacher with --model (register a checkpoint to name it)",
    "color_map": "colours come from the taxonomies",
    "color_map_extra": "colours come from the taxonomies",
    "extension": "label PNGs are always written",
    "save_results": "labels are always written under --out",
    "visualize": "the web app's frame view shows overlays",
    "show_extra": "the web app's frame view shows the extra labels",
    "save_softmax": "soft_top_k writes the top-k constrained probabilities instead",
}
"""Keys with no setting of their own, and what stands in for them."""


@dataclass(frozen=True)
class ImportedInference:
    fields: JSON
    """``PseudoLabelParams`` fields (``tta``, ``priors``, ``options``), nested as there."""
    unmapped: list[str]
    """``key: what to do instead`` for each key with no equivalent."""


def import_inference_config(doc: Mapping[str, Any]) -> ImportedInference:
    """The pseudo-label settings of the paper's inference document ``doc``."""
    fields: JSON = {}
    unmapped: list[str] = []
    for key, value in doc.items():
        if key == "test_time_augmentation" and isinstance(value, Mapping):
            tta = {k: value[k] for k in ("flip", "scales") if k in value}
            unmapped += [
                f"test_time_augmentation.{k}: no equivalent" for k in value if k not in tta
            ]
            fields["tta"] = tta
        elif key == "use_priors":
            fields["priors"] = bool(value)
        elif key == "num_workers":
            fields["options"] = {"num_workers": value}
        elif key == "seg_task":
            if value != "semantic":
                unmapped.append(f"seg_task: only semantic segmentation exists, not {value!r}")
        else:
            unmapped.append(f"{key}: {INSTEAD.get(key, 'no equivalent')}")
    return ImportedInference(fields=fields, unmapped=unmapped)


def export_inference_config(params: PseudoLabelParams) -> JSON:
    """A job's settings in the paper's ``config_inference.yaml`` shape (what has a key)."""
    return {
        "seg_task": "semantic",
        "num_workers": params.options.num_workers,
        "test_time_augmentation": {"flip": params.tta.flip, "scales": list(params.tta.scales)},
        "use_priors": params.priors,
    }
