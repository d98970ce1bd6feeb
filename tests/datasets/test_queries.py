"""Sampling in SQL picks exactly what the pure sampling rules pick, on each database."""

from __future__ import annotations

from pathlib import Path

import pytest
from ontolabel.core.config import Settings
from ontolabel.datasets import repository, service
from ontolabel.datasets.tables import DatasetLabelStat, Frame, FrameLabel, shuffle_key_sql
from ontolabel.domain.sampling import (
    FrameRef,
    SamplingRule,
    apply_rule,
    sample_per_label,
    sample_random,
    shuffle_key,
)
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from .factories import create_taxonomy, index, label_array, register, write_frame

RULES = [
    SamplingRule(per_label=2, seed=1),
    SamplingRule(per_label=3, seed=7, every=2),
    SamplingRule(per_label=1, seed=3, camera="c2"),
    SamplingRule(per_label=2, seed=5, labels=(5,)),
    SamplingRule(per_label=2, random=4, seed=9, sequence="s2"),
]


@pytest.fixture
def dataset_id(settings: Settings, session_factory: sessionmaker[Session]) -> int:
    """3 sequences x 2 cameras x 12 frames; car (5) is rare, sky (4) is everywhere."""
    root = settings.allowed_data_roots[0] / "ds"
    for s, seq in enumerate(("s1", "s2", "s3")):
        for cam in ("c1", "c2"):
            for i in range(12):
                ids = (4, 2) if i % 3 else (4, 0, 1)
                if (i + s) % 7 == 0:
                    ids = (*ids, 5)
                if cam == "c2" and i % 4 == 0:
                    ids = (*ids, 3)
                write_frame(root, f"{seq}/{cam}/{i:03d}", label_array(i, ids=ids))
    create_taxonomy(session_factory)
    found = register(
        session_factory,
        settings,
        "ds",
        root,
        preset="generic",
        image_regex=r"images/(?P<sequence>[^/]+)/(?P<camera>[^/]+)/(?P<frame>\d+)\.png",
    )
    assert index(session_factory, settings, found)[0] == "succeeded"
    return found


def _refs(session: Session) -> list[FrameRef]:
    labels: dict[int, set[int]] = {}
    for frame_id, label in session.execute(select(FrameLabel.frame_id, FrameLabel.label_id)):
        labels.setdefault(frame_id, set()).add(label)
    return [
        FrameRef(f.id, f.sequence, f.frame, f.camera, f.split, frozenset(labels.get(f.id, ())))
        for f in session.scalars(select(Frame))
    ]


def _expected(session: Session, rule: SamplingRule) -> list[int]:
    """What the pure rules pick, with the dataset-wide counts as rarity (as SQL uses)."""
    rarity = {s.label_id: s.frames for s in session.scalars(select(DatasetLabelStat))}
    pool = apply_rule(_refs(session), _filters_only(rule))
    if rule.per_label is not None:
        chosen = {
            f.id: f for f in sample_per_label(pool, rule.per_label, seed=rule.seed, rarity=rarity)
        }
    else:
        chosen = {}
    if rule.random is not None:
        chosen.update((f.id, f) for f in sample_random(pool, rule.random, seed=rule.seed))
    return [f.id for f in apply_rule(chosen.values(), SamplingRule())]


def _filters_only(rule: SamplingRule) -> SamplingRule:
    return SamplingRule(
        every=rule.every,
        camera=rule.camera,
        sequence=rule.sequence,
        split=rule.split,
        labels=rule.labels,
    )


@pytest.mark.parametrize(
    ("in_memory", "walk_cost"),
    [(0, 0), (0, 10**9), (10**6, 4)],
    ids=["walk-shuffle-order", "read-label-frames", "in-memory"],
)
def test_per_label_in_sql_matches_the_pure_rule(
    session_factory: sessionmaker[Session],
    dataset_id: int,
    monkeypatch: pytest.MonkeyPatch,
    in_memory: int,
    walk_cost: int,
) -> None:
    # given each way SQL can take a label's first frames in the shuffle order
    monkeypatch.setattr(service, "PER_LABEL_IN_MEMORY", in_memory)
    monkeypatch.setattr(service, "WALK_STEP_COST", walk_cost)
    with session_factory() as session:
        for rule in [*RULES, SamplingRule(per_label=2, seed=1, every=3, camera="c1")]:
            # when the service resolves the rule
            picked = service.select_frame_ids(session, dataset_id, rule)
            # then it picks what the pure rules pick, in frame order
            assert picked == _expected(session, rule), rule.describe()
        # and every label gets at least k frames, or all of its frames when it has fewer
        picked = set(service.select_frame_ids(session, dataset_id, RULES[0]) or [])
        for stat in session.scalars(select(DatasetLabelStat)):
            members = set(
                session.scalars(
                    select(FrameLabel.frame_id).where(FrameLabel.label_id == stat.label_id)
                )
            )
            assert len(members & picked) >= min(2, len(members))


@pytest.mark.parametrize("by_position", [900, 0], ids=["numbered-in-sql", "read-ids"])
def test_random_in_sql_matches_the_pure_rule(
    session_factory: sessionmaker[Session],
    dataset_id: int,
    monkeypatch: pytest.MonkeyPatch,
    by_position: int,
) -> None:
    monkeypatch.setattr(service, "RANDOM_BY_POSITION", by_position)
    with session_factory() as session:
        for rule in (
            SamplingRule(random=5, seed=3),  # the whole dataset: ordinals are positions
            SamplingRule(random=5, seed=3, every=2, camera="c1"),
            SamplingRule(random=3, seed=8, labels=(5,)),
            SamplingRule(random=500, seed=1, sequence="s1"),  # more than there are
        ):
            assert service.select_frame_ids(session, dataset_id, rule) == _expected(session, rule)


def test_counts_match_the_pages(session_factory: sessionmaker[Session], dataset_id: int) -> None:
    with session_factory() as session:
        for rule in (
            SamplingRule(),
            SamplingRule(labels=(5,)),
            SamplingRule(labels=(5, 3), camera="c2"),
            SamplingRule(every=5, sequence="s3"),
        ):
            ids = repository.all_ids(session, repository.filtered_ids(dataset_id, rule))
            assert repository.count_pool(session, dataset_id, rule) == len(ids) > 0
            assert ids == [f.id for f in apply_rule(_refs(session), rule)]


def test_frames_with_several_labels_count_and_rank(
    session_factory: sessionmaker[Session], dataset_id: int
) -> None:
    with session_factory() as session:
        everything, total = repository.frames_with_labels(session, dataset_id, [5, 3], 0, 1000)
        page, same_total = repository.frames_with_labels(session, dataset_id, [5, 3], 2, 3)
        past_the_end, still = repository.frames_with_labels(session, dataset_id, [5, 3], 999, 3)
    assert total == same_total == still == len(everything)
    assert page == everything[2:5] and past_the_end == []
    assert [px for _f, px in everything] == sorted((px for _f, px in everything), reverse=True)


def test_frames_with_several_labels_rank_by_their_summed_pixels(
    session_factory: sessionmaker[Session], dataset_id: int
) -> None:
    # given sky (4, in all 72 frames) and label 2 (in 48), summed per frame in Python
    with session_factory() as session:
        sums: dict[int, int] = {}
        for frame_id, label, px in session.execute(
            select(FrameLabel.frame_id, FrameLabel.label_id, FrameLabel.pixels)
        ):
            if label in (4, 2):
                sums[frame_id] = sums.get(frame_id, 0) + px
        expected = sorted(sums.items(), key=lambda r: (-r[1], r[0]))
        # when pages are read at several offsets
        for offset, limit in ((0, 5), (3, 10), (60, 50), (200, 5)):
            page, total = repository.frames_with_labels(session, dataset_id, [4, 2], offset, limit)
            # then each is that slice of the full ranking, with the full count
            assert page == expected[offset : offset + limit]
            assert total == len(expected) == 72


def test_shuffle_key_in_sql_is_the_python_one(db_url: str) -> None:
    from ontolabel.core.db import make_engine

    engine = make_engine(db_url)
    ids = [0, 1, 2, 3, 140_000, 999_983, 2**31 - 1]
    values = " UNION ALL ".join(f"SELECT {i} AS id" for i in ids)
    with engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT id, {shuffle_key_sql('id')} FROM ({values}) AS ids ORDER BY id")
        ).all()
    engine.dispose()
    assert [(int(i), int(k)) for i, k in rows] == [(i, shuffle_key(i)) for i in ids]


def test_sqlite_answers_the_summary_and_the_walk_from_indexes(tmp_path: Path) -> None:
    from ontolabel.core.db import make_engine, upgrade_database

    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    with engine.connect() as conn:

        def plan(sql: str) -> str:
            return " ".join(r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))

        unknown = plan(
            "SELECT count(*) FROM frames WHERE dataset_id = 1 AND unknown_labels IS NOT NULL"
        )
        walk = plan(
            f"SELECT id FROM frames WHERE dataset_id = 1 AND {shuffle_key_sql('frames.id')} >= 5 "
            f"ORDER BY {shuffle_key_sql('frames.id')}, id LIMIT 3"
        )
        groups = plan(
            "SELECT sequence, camera, split, count(*) FROM frames WHERE dataset_id = 1 "
            "GROUP BY sequence, camera, split"
        )
    engine.dispose()
    assert "ix_frames_dataset_unknown" in unknown
    assert "ix_frames_dataset_shuffle" in walk and "TEMP B-TREE" not in walk
    assert "COVERING INDEX ix_frames_dataset_sequence" in groups and "TEMP B-TREE" not in groups
