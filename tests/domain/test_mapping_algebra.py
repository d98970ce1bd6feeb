"""diff, compose and inverse_view: the mapping algebra."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ontolabel.domain.mapping import VOID_ID, Mapping, compose, diff, inverse_view

from domain.factories import make_mapping


def test_diff_reports_labels_and_rows() -> None:
    # given a mapping before and after an edit
    a = make_mapping({"road": ["road", "parking"], "car": ["car"], "bus": ["bus"]})
    b = make_mapping({"road": ["road ", "sidewalk"], "cars": ["car"]}, void=["unlabeled"])
    # when diffed
    d = diff(a, b)
    # then per row: labels added/removed (compared stripped), renames, rows added/removed
    assert [r.source_id for r in d.rows_added] == [VOID_ID]
    assert [r.source_name for r in d.rows_removed] == ["bus"]
    assert [(c.source_id, c.added, c.removed, c.renamed_from) for c in d.changed] == [
        (0, ("sidewalk",), ("parking",), None),
        (1, (), (), "car"),
    ]
    assert not d.is_empty and diff(a, a).is_empty


def test_compose_chains_allowed_sets_and_carries_void() -> None:
    # given e→s (with a void row) and s→t (which sends s's "pole" to void)
    e_to_s = make_mapping(
        {"road": ["asphalt"], "building": ["house"], "pole": ["post", "house"]},
        void=["house", "nothing"],
        extra="e",
        source="s",
    )
    s_to_t = make_mapping(
        {"flat": ["road"], "structure": ["building"]}, void=["pole"], extra="s", source="t"
    )
    # when composed
    e_to_t = compose(e_to_s, s_to_t)
    # then allowed sets chain, and void comes from either side
    assert (e_to_t.extra_taxonomy, e_to_t.source_taxonomy) == ("e", "t")
    assert e_to_t.allowed("asphalt") == {0}
    assert e_to_t.allowed("house") == {1, VOID_ID}
    assert e_to_t.allowed("post") == {VOID_ID}
    assert e_to_t.allowed("nothing") == {VOID_ID}


def test_compose_refuses_mismatched_taxonomies() -> None:
    with pytest.raises(ValueError, match="cannot compose"):
        compose(make_mapping({"a": []}, source="s"), make_mapping({"b": []}, extra="x"))


def test_inverse_view_lists_each_label_with_its_classes() -> None:
    mapping = make_mapping({"road": ["a"], "building": ["b", "a"]}, void=["b", "v"])
    views = {v.label: v for v in inverse_view(mapping, ["a", "b", "v", "z"])}
    assert views["a"].source_names == ("road", "building") and not views["a"].void
    assert views["b"].source_ids == (1,) and views["b"].void
    assert views["v"].source_ids == () and views["v"].void and not views["v"].unmapped
    assert views["z"].unmapped


labels = st.sampled_from(["a", "b", "c", "d"])
mids = st.sampled_from(["m0", "m1", "m2"])


@st.composite
def chains(draw: st.DrawFn) -> tuple[Mapping, Mapping]:
    first = make_mapping(
        {m: draw(st.lists(labels, max_size=3, unique=True)) for m in ["m0", "m1", "m2"]},
        void=draw(st.one_of(st.none(), st.lists(labels, max_size=2, unique=True))),
        extra="e",
        source="m",
    )
    second = make_mapping(
        {t: draw(st.lists(mids, max_size=2, unique=True)) for t in ["t0", "t1"]},
        void=draw(st.one_of(st.none(), st.lists(mids, max_size=2, unique=True))),
        extra="m",
        source="t",
    )
    return first, second


@settings(max_examples=200, deadline=None)
@given(chains())
def test_compose_matches_the_set_definition(pair: tuple[Mapping, Mapping]) -> None:
    first, second = pair
    names = {r.source_id: r.source_name for r in first.source_rows}
    composed = compose(first, second)
    for e in ["a", "b", "c", "d"]:
        via = first.allowed(e)
        expected = {t for s in via if s != VOID_ID for t in second.allowed(names[s])}
        if VOID_ID in via:
            expected.add(VOID_ID)
        assert composed.allowed(e) == expected, e
