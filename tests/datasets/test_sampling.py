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


def test_per_label_is_repeatable_and_seed_dependent() -> None:
    # given the same frames in another order, the same seed picks the same frames
    a = sample_per_label(_layout(), 3, seed=11)
    assert a == sample_per_label(list(reversed(_layout())), 3, seed=11)
    # and another seed picks others, still at least 3 of each label
    b = sample_per_label(_layout(), 3, seed=12)
    assert a != b
    assert all(sum(1 for f in picked if 7 in f.labels) >= 3 for picked in (a, b))


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


def test_orders_of_plain_names_match_the_frame_order() -> None:
    from ontolabel.domain.sampling import order_and_positions, orders_of

    # given frames whose ids are their indexes, with names that only compare naturally
    # ("f9" before "f10") and two spellings of one number ("a01", "a1")
    frames = [
        FrameRef(id=i, sequence=f.sequence, frame=f.frame, camera=f.camera)
        for i, f in enumerate(_layout())
    ]
    frames += [
        FrameRef(id=len(frames) + i, sequence=s, frame=fr, camera="c")
        for i, (s, fr) in enumerate([("a01", "f10"), ("a1", "f9"), ("a01", "f9"), ("", "")])
    ]

    # when both order them
    ordered, positions = order_and_positions(frames)
    orders = orders_of([(f.sequence, f.frame, f.camera) for f in frames])

    # then each frame gets the same ordinal and the same place within its stream
    assert orders == [
        ({f.id: n for n, f in enumerate(ordered)}[f.id], positions[f.id]) for f in frames
    ]
    assert orders_of([]) == []
