"""Loading teachers through the real paths: HF folders and class checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from ontolabel.errors import InvalidInput
from ontolabel_worker.ml.models import ModelSpec, load_model

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


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"no config\.json"):
        load_model(ModelSpec("hf_dir", str(tmp_path)))
