"""Training data: sources drawn by weight, a stream that resumes exactly, fixed crops."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import numpy as np
import torch
from ontolabel.jobs.train_params import AugmentSettings
from ontolabel_worker.ml.training.data import TrainFrames, TrainSource, WeightedSourceSampler

from .conftest import TRIVIAL, colour_frames


def test_sources_are_drawn_by_weight_whatever_their_size() -> None:
    # given a small source weighted 3 and a source eight times its size weighted 1
    sampler = WeightedSourceSampler(sizes=[5, 40], weights=[3.0, 1.0], draws=20_000, seed=1)
    # when a whole epoch is drawn
    frames = np.array([index for index, _ in sampler])
    # then three quarters of the draws come from the first source (within 3 points)
    share = float((frames < 5).mean())
    assert abs(share - 0.75) < 0.03
    # and every frame of both sources is drawn, none outside them
    assert set(frames.tolist()) == set(range(45))


def test_a_zero_weight_source_is_never_drawn() -> None:
    sampler = WeightedSourceSampler(sizes=[3, 3], weights=[1.0, 0.0], draws=500, seed=0)
    assert {index for index, _ in sampler} <= {0, 1, 2}


def test_a_resumed_sampler_continues_the_stream_it_left() -> None:
    # given an uninterrupted epoch, and the same epoch stopped after 37 draws
    def sampler() -> WeightedSourceSampler:
        return WeightedSourceSampler(sizes=[4, 9], weights=[1.0, 2.0], draws=100, seed=7)

    whole = sampler()
    whole.set_epoch(3)
    expected = list(whole)
    first = sampler()
    first.set_epoch(3)
    head = list(islice(iter(first), 37))
    # when a fresh sampler loads the stopped one's state
    resumed = sampler()
    resumed.load_state_dict(first.state_dict())
    # then it draws the rest of the same stream (frames and augmentation seeds)
    assert head + list(resumed) == expected
    assert first.state_dict() == {"epoch": 3, "position": 37}
    # and another epoch or seed is another stream
    other = sampler()
    other.set_epoch(4)
    assert list(other) != expected


def test_processes_take_disjoint_shards_that_make_up_the_stream() -> None:
    # given one stream and the two shards of it that two processes draw
    def sampler(rank: int, world: int) -> WeightedSourceSampler:
        return WeightedSourceSampler([6, 6], [1.0, 1.0], draws=40, seed=2, rank=rank, world=world)

    stream = list(sampler(0, 1))
    shards = [list(sampler(rank, 2)) for rank in (0, 1)]
    # then the shards interleave into the stream, and each knows its length
    assert shards[0] == stream[0::2] and shards[1] == stream[1::2]
    assert [len(sampler(rank, 2)) for rank in (0, 1)] == [20, 20]


def test_frames_are_fixed_crops_of_channel_labels_and_one_draw_is_one_crop(
    tmp_path: Path,
) -> None:
    # given frames labelled with the taxonomy's ids 0, 3, 7 and an unknown id 200
    pairs = colour_frames(tmp_path, 2, size=(40, 56))
    settings = AugmentSettings(crop=24, **TRIVIAL)
    frames = TrainFrames([TrainSource("a", pairs)], class_ids=[0, 3, 7], settings=settings)
    # when a draw is loaded twice, and another draw of the same frame once
    image, label, source = frames[(1, 1234)]
    again, again_label, _ = frames[(1, 1234)]
    other, _, _ = frames[(1, 99)]
    # then the crop has the crop size, labels are channels 0..2 or 255, and it is the
    # same crop for the same draw, whatever the global generator was doing
    assert image.shape == (3, 24, 24) and image.dtype == torch.uint8
    assert label.shape == (24, 24) and set(label.unique().tolist()) <= {0, 1, 2, 255}
    assert source == 0
    assert torch.equal(image, again) and torch.equal(label, again_label)
    assert not torch.equal(image, other)


def test_unknown_label_ids_become_255(tmp_path: Path) -> None:
    # given a frame whose 4x4 corner holds id 200, which the taxonomy lacks, and a crop
    # window that is the whole frame, unflipped
    pairs = colour_frames(tmp_path, 1, size=(32, 32))
    identity = {"crop": 32, "min_crop_scale": 1.0, "max_crop_scale": 1.0, "flip": 0.0}
    settings = AugmentSettings(**{**TRIVIAL, **identity, "min_crop_size": 32})
    frames = TrainFrames([TrainSource("a", pairs)], class_ids=[0, 3, 7], settings=settings)
    # when it is loaded
    _, label, _ = frames[(0, 0)]
    # then the corner, and only the corner, is ignored
    assert (label[:4, :4] == 255).all()
    assert int((label == 255).sum()) == 16
