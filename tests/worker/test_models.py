"""Loading teachers through the real paths: HF folders, checkpoints, class checks."""

from __future__ import annotations

import fractions
import json
from pathlib import Path

import pytest
import torch
from ontolabel.errors import InvalidInput
from ontolabel_worker.ml.models import ModelSpec, load_model
from safetensors.torch import save_file

from .conftest import SOURCE_NAMES


@pytest.mark.parametrize("fixture", ["tiny_segformer", "tiny_mask2former"])
def test_hf_folder_gives_probabilities_at_the_requested_size(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    # given a randomly initialised model saved with save_pretrained
    folder: Path = request.getfixturevalue(fixture)
    # when it is loaded and run
    model = load_model(ModelSpec("hf_dir", str(folder)), source_names=SOURCE_NAMES)
    with torch.inference_mode():
        probs = model.probabilities(model.normalise(torch.zeros(2, 3, 64, 96)), (30, 50))
    # then it yields a distribution over the source classes at label size
    assert probs.shape == (2, len(SOURCE_NAMES), 30, 50)
    torch.testing.assert_close(probs.sum(1), torch.ones(2, 30, 50), atol=1e-4, rtol=0)


def test_class_mismatch_lists_the_differences(tiny_segformer: Path) -> None:
    names = [*SOURCE_NAMES[:2], "terrain", *SOURCE_NAMES[3:], "bicycle"]
    with pytest.raises(InvalidInput) as caught:
        load_model(ModelSpec("hf_dir", str(tiny_segformer)), source_names=names)
    message = caught.value.message
    assert "channel 2: model 'vegetation' vs taxonomy 'terrain'" in message
    assert "the model has 5 classes, the taxonomy 6" in message


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
    # and an explicit opt-in loads it
    assert load_model(ModelSpec("checkpoint", str(path), allow_pickle=True)).num_classes == 5


def test_safetensors_checkpoint_with_config_metadata(tiny_segformer: Path, tmp_path: Path) -> None:
    config, state = _checkpoint_parts(tiny_segformer)
    path = tmp_path / "teacher.safetensors"
    save_file(state, str(path), metadata={"config": json.dumps(config)})
    model = load_model(ModelSpec.guess(str(path)), source_names=SOURCE_NAMES)
    assert model.family == "semantic"


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"no config\.json"):
        load_model(ModelSpec("hf_dir", str(tmp_path)))
