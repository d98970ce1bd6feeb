"""Checkpoint files: ontolabel's own layouts, the paper's released teachers, untrusted pickles."""

from __future__ import annotations

import fractions
import json
import os
from pathlib import Path
from typing import Any

import pytest
import torch
from ontolabel.errors import InvalidInput
from ontolabel_worker.ml.models import ModelSpec, load_model
from ontolabel_worker.ml.training.student import mask2former_config
from safetensors.torch import save_file

from .conftest import SOURCE_NAMES, paper_teacher


def _checkpoint_parts(folder: Path) -> tuple[dict[str, object], dict[str, torch.Tensor]]:
    model = load_model(ModelSpec("hf_dir", str(folder)))
    config = model.network.config.to_dict()  # type: ignore[operator, union-attr]
    return config, {k: v.clone() for k, v in model.network.state_dict().items()}


def test_pth_checkpoint_loads_weights_only(tiny_mask2former: Path, tmp_path: Path) -> None:
    config, state = _checkpoint_parts(tiny_mask2former)
    path = tmp_path / "teacher.pth"
    torch.save({"config": config, "state_dict": state}, path)
    model = load_model(ModelSpec("checkpoint", str(path)), source_names=SOURCE_NAMES)
    assert model.family == "mask2former"


def test_pth_with_pickled_objects_is_refused_unless_allowed(
    tiny_segformer: Path, tmp_path: Path
) -> None:
    # given a checkpoint carrying an arbitrary pickled object
    config, state = _checkpoint_parts(tiny_segformer)
    path = tmp_path / "untrusted.pth"
    torch.save({"config": config, "state_dict": state, "meta": fractions.Fraction(1, 3)}, path)
    # then the default load refuses it and says why and how
    with pytest.raises(InvalidInput) as caught:
        load_model(ModelSpec("checkpoint", str(path)))
    assert "arbitrary code" in caught.value.message
    assert "allow_pickle" in caught.value.message
    assert "fractions.Fraction" in caught.value.message
    # and an explicit opt-in loads it
    assert load_model(ModelSpec("checkpoint", str(path), allow_pickle=True)).num_classes == 5


def test_safetensors_checkpoint_with_config_metadata(tiny_segformer: Path, tmp_path: Path) -> None:
    config, state = _checkpoint_parts(tiny_segformer)
    path = tmp_path / "teacher.safetensors"
    save_file(state, str(path), metadata={"config": json.dumps(config)})
    model = load_model(ModelSpec.guess(str(path)), source_names=SOURCE_NAMES)
    assert model.family == "semantic"


def _assert_same_logits(loaded: torch.nn.Module, original: torch.nn.Module, seed: int) -> None:
    """Both networks give identical class and mask query logits on one random input."""
    pixel_values = torch.randn(1, 3, 64, 96, generator=torch.Generator().manual_seed(seed))
    with torch.inference_mode():
        got, want = loaded(pixel_values=pixel_values), original(pixel_values=pixel_values)
    torch.testing.assert_close(got.class_queries_logits, want.class_queries_logits, rtol=0, atol=0)
    torch.testing.assert_close(got.masks_queries_logits, want.masks_queries_logits, rtol=0, atol=0)


def test_paper_teacher_loads_weights_only_with_its_weights_and_classes(tmp_path: Path) -> None:
    # given a .pth in the layout of the paper's released teachers
    original = paper_teacher(tmp_path / "6_best.pth", SOURCE_NAMES)
    allowlist_before = set(map(str, torch.serialization.get_safe_globals()))
    # when the checkpoint loader reads it, without allow_pickle
    model = load_model(ModelSpec.guess(str(tmp_path / "6_best.pth")), source_names=SOURCE_NAMES)
    # then it is that network: its classes, and the same logits on an input
    assert (model.family, model.class_names) == ("mask2former", SOURCE_NAMES)
    _assert_same_logits(model.network, original, seed=1)
    # and the transformers classes were allowlisted for that load only (torch registers
    # globals of its own as its modules load, so compare what transformers added)
    added = set(map(str, torch.serialization.get_safe_globals())) - allowlist_before
    assert not [g for g in added if "transformers" in g]


def test_paper_teacher_saved_by_another_transformers_version_loads(tmp_path: Path) -> None:
    # given a paper teacher whose pickled config has another version's attributes
    path = tmp_path / "teacher.pth"
    original = paper_teacher(path, SOURCE_NAMES)
    blob = torch.load(path, weights_only=False)  # written by this test: trusted
    for config in (blob["model_config"], blob["model_config"].backbone_config):
        for attribute in ("_attn_implementation_internal", "_experts_implementation_internal"):
            vars(config).pop(attribute, None)
        vars(config).update(torch_dtype=torch.float32, _commit_hash=None, use_bfloat16=False)
    vars(blob["model_config"])["transformers_version"] = "4.40.0"
    torch.save(blob, path)
    # when it is loaded and run
    model = load_model(ModelSpec.guess(str(path)), source_names=SOURCE_NAMES)
    # then the installed transformers rebuilt the same network from it
    _assert_same_logits(model.network, original, seed=2)


def test_paper_teacher_classes_must_match_the_taxonomy(tmp_path: Path) -> None:
    paper_teacher(tmp_path / "teacher.pth", SOURCE_NAMES)
    names = [*SOURCE_NAMES[:2], "terrain", *SOURCE_NAMES[3:]]
    with pytest.raises(InvalidInput) as caught:
        load_model(ModelSpec.guess(str(tmp_path / "teacher.pth")), source_names=names)
    assert "channel 2: model 'vegetation' vs taxonomy 'terrain'" in caught.value.message


class _RunsOnLoad:
    """Unpickling this runs a shell command that creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("where", ["beside the weights", "inside the model config"])
def test_paper_teacher_with_an_untrusted_pickle_is_refused_and_nothing_runs(
    where: str, tmp_path: Path
) -> None:
    # given a paper-layout teacher whose pickle also carries an os.system call
    marker = tmp_path / "ran"
    if where == "beside the weights":
        extra: dict[str, Any] = {"tracker": _RunsOnLoad(marker)}
    else:
        config = mask2former_config(SOURCE_NAMES)
        vars(config)["tracker"] = _RunsOnLoad(marker)
        extra = {"model_config": config}
    paper_teacher(tmp_path / "teacher.pth", SOURCE_NAMES, extra=extra)
    # when it is loaded without allow_pickle
    with pytest.raises(InvalidInput) as caught:
        load_model(ModelSpec.guess(str(tmp_path / "teacher.pth")), source_names=SOURCE_NAMES)
    # then it is refused, naming the call, and the command never ran
    assert "arbitrary code" in caught.value.message
    assert f"{os.system.__module__}.system" in caught.value.message
    assert not marker.exists()
