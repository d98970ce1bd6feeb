"""Sampling rules against a layout where the right answer is known by hand."""

from __future__ import annotations

from ontolabel.domain.sampling import (
    FrameRef,
    SamplingRule,
    apply_rule,
    sample_every_nth,
    sample_per_label,
    sample_random,
)


def _layout() -> list[FrameRef]:
    """Two sequences x two cameras; seq A has 45 frames, seq B 21; ids deliberately shuffled."""
    frames = []
    n = 0
    for seq, count in (("B", 21), ("A", 45)):
        for cam in ("cam5", "cam6"):
            for i in reversed(range(count)):
                n += 1
                labels = frozenset({0, 7} if i == 13 else {0})
                frames.append(
                    FrameRef(
                        id=n * 7 % 1000 + n, sequence=seq, frame=f"{i}", camera=cam, labels=labels
                    )
                )
    return frames


def _names(frames: list[FrameRef]) -> list[tuple[str, str, str]]:
    return [(f.sequence, f.camera, f.frame) for f in frames]


def test_every_20th_per_sequence_and_camera_is_what_a_person_picks() -> None:
    picked = sample_every_nth(_layout(), 20)
    # by hand: frames 0, 20, 40 of A (45 frames) and 0, 20 of B (21 frames), each camera,
    # numbers compared as numbers, in sequence/frame/camera order
    assert _names(picked) == [
        ("A", "cam5", "0"), ("A", "cam6", "0"),
        ("A", "cam5", "20"), ("A", "cam6", "20"),
        ("A", "cam5", "40"), ("A", "cam6", "40"),
        ("B", "cam5", "0"), ("B", "cam6", "0"),
        ("B", "cam5", "20"), ("B", "cam6", "20"),
    ]  # fmt: skip


def test_every_20th_of_one_camera() -> None:
    picked = sample_every_nth(_layout(), 20, camera="cam6")
    assert _names(picked) == [("A", "cam6", "0"), ("A", "cam6", "20"), ("A", "cam6", "40"),
                              ("B", "cam6", "0"), ("B", "cam6", "20")]  # fmt: skip


def test_numbered_frames_sort_as_numbers() -> None:
    frames = [
        FrameRef(id=i, sequence="s", frame=f"frame_{n}") for i, n in enumerate([10, 9, 100, 1])
    ]
    assert [f.frame for f in sample_every_nth(frames, 1)] == [
        "frame_1",
        "frame_9",
        "frame_10",
        "frame_100",
    ]


def test_seeded_random_is_repeatable_and_seed_dependent() -> None:
    a = sample_random(_layout(), 10, seed=3)
    assert a == sample_random(list(reversed(_layout())), 10, seed=3)
    assert a != sample_random(_layout(), 10, seed=4)
    assert len(a) == 10


def test_per_label_gets_rare_labels_in() -> None:
    picked = sample_per_label(_layout(), 2, seed=0)
    assert sum(1 for f in picked if 7 in f.labels) == 2
    assert sum(1 for f in picked if 0 in f.labels) >= 2


def test_rules_combine_every_nth_then_filters_then_random() -> None:
    rule = SamplingRule(every=20, sequence="A", random=3, seed=1)
    picked = apply_rule(_layout(), rule)
    assert len(picked) == 3
    assert set(_names(picked)) <= set(_names(sample_every_nth(_layout(), 20)))
    assert apply_rule(_layout(), rule) == picked


def test_one_sort_gives_the_same_positions_as_per_group_sorting() -> None:
    from ontolabel.domain.sampling import in_order, order_and_positions, sequence_positions

    ordered, positions = order_and_positions(_layout())
    assert ordered == in_order(_layout())
    assert positions == sequence_positions(_layout())
